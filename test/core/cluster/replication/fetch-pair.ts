// A leader broker and a follower broker for the batched replica fetch tests:
// the follower's fetchers (ReplicaFetchers) against the leader's
// ReplicaFetchLeader, over real PartitionReplicas and PartitionLogs, each
// batch and answer going through the wire encoding and JSON. The "network" is
// a direct call, so a test sees every batch that would be sent; nothing waits
// on time: a held batch is released by an append, a wake or the end of the
// test, never by its (one minute) timeout, and the fetchers' backoff runs on a
// fake clock.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeRecordBatches, encodeRecordBatch, PartitionLog } from '../../../../core/log';
import { PartitionReplica, type PartitionRegistration, type RpcResult } from '../../../../core/cluster';
import type { RpcPeer } from '../../../../core/cluster/net/rpc';
import { type HostedReplica, replicaName } from '../../../../core/cluster/broker/broker-view';
import { ReplicaFetchLeader } from '../../../../core/cluster/broker/replica-fetch-leader';
import { decodeFetchBatch, encodeFetchAnswer, type FetchBatch } from '../../../../core/cluster/broker/replica-fetch-wire';
import { ReplicaFetchers } from '../../../../core/cluster/broker/replica-fetcher';

export const LEADER = 1;
export const FOLLOWER = 2;
export const HOLD_MS = 60_000;
export const BACKOFF_MS = 50;

let dir: string;
const logs: PartitionLog[] = [];

/** Registers the test file's hooks: a fresh directory for each test's logs. */
export function useFetchDirs(): void {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-fetch-batch-'));
  });
  afterEach(() => {
    for (const log of logs.splice(0)) log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

export const batch = (...values: string[]) => encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })), baseTimestamp: 0 });

export function values(h: HostedReplica): string[] {
  if (h.replica.logEndOffset === 0) return [];
  const decoded = decodeRecordBatches(h.log.read(0, 1 << 20, h.replica.logEndOffset));
  if (decoded._tag === 'Left') throw new Error(decoded.left.message);
  return decoded.right.flatMap((b) => b.records.map((x) => x.value!.toString()));
}

export const state = (partition: number, s: Partial<PartitionRegistration> = {}): PartitionRegistration => ({
  topicId: 1,
  partition,
  replicas: [LEADER, FOLLOWER],
  isr: [LEADER, FOLLOWER],
  leader: LEADER,
  leaderEpoch: 0,
  partitionEpoch: 0,
  ...s,
});

/** One broker's hosted replicas of topic t. */
export class Node {
  readonly hosted = new Map<string, HostedReplica>();
  constructor(readonly id: number) {}

  host(partition: number): HostedReplica {
    const name = replicaName('t', partition);
    const log = PartitionLog.open(path.join(dir, `b${this.id}`, name), {}, { replicated: true });
    logs.push(log);
    const replica = new PartitionReplica(name, log, {
      brokerId: this.id,
      replicaLagTimeMaxMs: 60_000,
      minInsyncReplicas: 1,
      uncleanLeaderElection: false,
      requestTimeoutMs: 60_000,
      alterPartitionRetryMs: 60_000,
      maxFetchBytes: 1 << 20,
      durableAppends: false,
    });
    const h: HostedReplica = { name, topic: 't', topicId: 1, partition, replica, log, topicConfig: {} };
    this.hosted.set(name, h);
    return h;
  }
}

/** A leader broker and a follower broker sharing `partitions` partitions; every batch the follower sends is recorded. */
export function pair(partitions: number, responseMaxBytes = 10 << 20) {
  const leaderNode = new Node(LEADER);
  const followerNode = new Node(FOLLOWER);
  const leaders: HostedReplica[] = [];
  const followers: HostedReplica[] = [];
  for (let p = 0; p < partitions; p++) {
    leaders.push(leaderNode.host(p));
    followers.push(followerNode.host(p));
    leaders[p].replica.onPartitionState(state(p), 0);
    followers[p].replica.onPartitionState(state(p), 0);
  }
  const life = { stopped: false, clock: 0, followerFenced: false, connection: undefined as RpcPeer | undefined };
  const leader = new ReplicaFetchLeader(
    {
      hosted: (name) => leaderNode.hosted.get(name),
      fetched: () => {},
      answered: () => {},
      get stopped() {
        return life.stopped;
      },
      isLive: (id) => id !== FOLLOWER || !life.followerFenced,
    },
    { maxWaitMs: HOLD_MS, responseMaxBytes },
  );
  const sent: FetchBatch[] = [];
  /** Leaders other than LEADER the fetchers tried to reach (unreachable here). */
  const elsewhere: number[] = [];
  const answered: Promise<unknown>[] = [];
  const warnings: string[] = [];
  const fetchers = new ReplicaFetchers(
    {
      nodeId: FOLLOWER,
      brokerEpoch: 1,
      get stopped() {
        return life.stopped;
      },
      hosted: (name) => followerNode.hosted.get(name),
      send: (leaderId, b) => {
        if (leaderId !== LEADER) {
          elsewhere.push(leaderId);
          return undefined;
        }
        // As the wire carries it: JSON both ways, the records as one blob.
        const decoded = decodeFetchBatch(JSON.parse(JSON.stringify(b)));
        if (typeof decoded === 'string') throw new Error(decoded);
        sent.push(decoded);
        const result = leader
          .answer(decoded, () => life.clock, life.connection)
          .then((answer): RpcResult => {
            const { body, blob } = encodeFetchAnswer(answer);
            return { ok: true, body: JSON.parse(JSON.stringify(body)), blob: Buffer.concat(blob as Buffer[]) };
          });
        answered.push(result);
        return result;
      },
      recycle: () => {},
      answered: () => {},
      warn: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
    },
    { maxWaitMs: HOLD_MS, errorBackoffMs: BACKOFF_MS, now: () => life.clock },
  );
  for (const h of followers) fetchers.track(h);
  /** Lets every answer that is not held arrive (and the batches they trigger go out). */
  const settle = async () => {
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  };
  /** Ends the pair: held batches are answered and no new one is sent. */
  const close = async () => {
    life.stopped = true;
    leader.releaseAll();
    await Promise.all(answered);
  };
  return { life, close, leaderNode, followerNode, leader, leaders, followers, fetchers, sent, elsewhere, answered, warnings, settle };
}
