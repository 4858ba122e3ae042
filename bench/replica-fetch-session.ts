// What fetch sessions (KIP-227) save the batched replica fetch at N idle
// partitions (issue #19): one follower broker's fetcher against one leader's
// ReplicaFetchLeader over N real PartitionReplicas and logs on each side, the
// batch and its answer through the wire code and JSON as the RPC carries them.
// The fetcher, leader and wire code of two trees run alternately over the same
// replicas: BEFORE_TREE (a `git archive` export of the code before sessions)
// and this tree. Per tree it reports:
//   - the bytes of the request body and of the answer body of an idle batch;
//   - CPU per idle batch round trip (follower and leader, JSON both ways;
//     process.cpuUsage: the machine is shared);
//   - CPU per broker tick while the batch is held (the fetcher's poll, every 20 ms).
// Medians of alternating rounds. The clock is fake: nothing waits on time.
//
//   node -r ./test/support/register-ts.js bench/replica-fetch-session.ts BEFORE_TREE [partitions, default 10000]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog } from '../core/log';
import { PartitionReplica } from '../core/cluster/replication/partition-replica';
import type { HostedReplica } from '../core/cluster/broker/broker-view';

const beforeTree = process.argv[2];
const N = Number(process.argv[3] ?? 10_000);
const ROUNDS = 5;
const TRIPS = 20;
const POLLS = 200;
const REQUEST_TIMEOUT_MS = 30_000;

interface Tree {
  name: string;
  leader: typeof import('../core/cluster/broker/replica-fetch-leader');
  fetcher: typeof import('../core/cluster/broker/replica-fetcher');
  wire: typeof import('../core/cluster/broker/replica-fetch-wire');
}

function load(name: string, root: string): Tree {
  const at = (m: string) => require(path.join(root, 'core/cluster/broker', m));
  return { name, leader: at('replica-fetch-leader.ts'), fetcher: at('replica-fetcher.ts'), wire: at('replica-fetch-wire.ts') };
}

function hostAll(dir: string, brokerId: number): Map<string, HostedReplica> {
  const hosted = new Map<string, HostedReplica>();
  for (let p = 0; p < N; p++) {
    const name = `t-${p}`;
    const log = PartitionLog.open(path.join(dir, `b${brokerId}`, name), {}, { replicated: true });
    const replica = new PartitionReplica(name, log, {
      brokerId,
      replicaLagTimeMaxMs: 3_600_000,
      minInsyncReplicas: 1,
      uncleanLeaderElection: false,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      alterPartitionRetryMs: 3_600_000,
      maxFetchBytes: 1 << 20,
      durableAppends: false,
    });
    replica.onPartitionState({ topicId: 1, partition: p, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }, 0);
    hosted.set(name, { name, topic: 't', topicId: 1, partition: p, replica, log, topicConfig: {} });
  }
  return hosted;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const turns = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

async function main(): Promise<void> {
  if (beforeTree === undefined) throw new Error('usage: bench/replica-fetch-session.ts BEFORE_TREE [partitions]');
  const trees = [load('before', path.resolve(beforeTree)), load('after', path.join(__dirname, '..'))];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-fetchsess-'));
  const leaderSide = hostAll(dir, 1);
  const followerSide = hostAll(dir, 2);
  const clock = { now: 0 };
  const results: Record<string, { requestBytes: number[]; answerBytes: number[]; cpuUsPerTrip: number[]; cpuUsPerTick: number[] }> = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const tree of trees) {
        const r = (results[tree.name] ??= { requestBytes: [], answerBytes: [], cpuUsPerTrip: [], cpuUsPerTick: [] });
        // Whatever the other tree left in flight has timed out.
        clock.now += REQUEST_TIMEOUT_MS + 1;
        const life = { stopped: false };
        const leader = new tree.leader.ReplicaFetchLeader(
          {
            hosted: (name) => leaderSide.get(name),
            fetched: () => {},
            answered: () => {},
            isLive: () => true,
            get stopped() {
              return life.stopped;
            },
          },
          { maxWaitMs: 3_600_000, responseMaxBytes: 10 << 20 },
        );
        let requestBytes = 0;
        let answerBytes = 0;
        const inFlight: Promise<unknown>[] = [];
        const fetchers = new tree.fetcher.ReplicaFetchers(
          {
            nodeId: 2,
            brokerEpoch: 1,
            get stopped() {
              return life.stopped;
            },
            hosted: (name) => followerSide.get(name),
            send: (_leaderId, b) => {
              const json = JSON.stringify(b);
              if (!b.wake) requestBytes = Buffer.byteLength(json);
              const batch = tree.wire.decodeFetchBatch(JSON.parse(json));
              if (typeof batch === 'string') throw new Error(batch);
              const call = leader
                .answer(batch, () => clock.now)
                .then((a: unknown) => {
                  // The before tree answers a list; this one a FetchAnswer.
                  const { body, blob } = Array.isArray(a) ? tree.wire.encodeFetchAnswers(a) : tree.wire.encodeFetchAnswer(a as never);
                  const out = JSON.stringify(body);
                  answerBytes = Buffer.byteLength(out);
                  return { ok: true as const, body: JSON.parse(out), blob: Buffer.concat(blob as Buffer[]) };
                });
              inFlight.push(call);
              return call;
            },
            recycle: () => {},
            answered: () => {},
            warn: (m) => console.error(m),
            error: (m) => console.error(m),
          },
          { maxWaitMs: 3_600_000, errorBackoffMs: 50, now: () => clock.now },
        );
        for (const h of followerSide.values()) fetchers.track(h);
        fetchers.poll(clock.now);
        await turns();
        // A few trips first: the session opens and settles (and the JIT warms up).
        for (let i = 0; i < 3; i++) {
          leader.releaseAll();
          await turns();
        }
        const c0 = cpuUs();
        for (let i = 0; i < TRIPS; i++) {
          leader.releaseAll();
          await turns();
        }
        r.cpuUsPerTrip.push((cpuUs() - c0) / TRIPS);
        r.requestBytes.push(requestBytes);
        r.answerBytes.push(answerBytes);
        const t0 = cpuUs();
        for (let i = 0; i < POLLS; i++) fetchers.poll(clock.now);
        r.cpuUsPerTick.push((cpuUs() - t0) / POLLS);
        life.stopped = true;
        leader.releaseAll();
        await Promise.all(inFlight);
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        {
          requestBytes: median(r.requestBytes),
          requestBytesPerPartition: Number((median(r.requestBytes) / N).toFixed(2)),
          answerBytes: median(r.answerBytes),
          cpuMsPerIdleTrip: Number((median(r.cpuUsPerTrip) / 1000).toFixed(2)),
          cpuUsPerTickWhileHeld: Math.round(median(r.cpuUsPerTick)),
        },
      ]),
    );
    console.log(JSON.stringify({ partitions: N, rounds: ROUNDS, loadAverage: Number(os.loadavg()[0].toFixed(1)), ...summary }, null, 2));
  } finally {
    // delete(), not close(): nothing is kept, and 2N clean closes (each fsynced) would take minutes on a loaded disk.
    for (const h of [...leaderSide.values(), ...followerSide.values()]) h.log.delete();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
