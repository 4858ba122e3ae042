import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRODUCER_STATE_WINDOW } from '../../../../core/broker';
import { crc32c, decodeRecordBatches, encodeRecordBatch, PartitionLog } from '../../../../core/log';
import {
  ErrorCode,
  PartitionReplica,
  ReplicationInvariantError,
  type PartitionRegistration,
  type ReplicaConfig,
  type ReplicaResponse,
} from '../../../../core/cluster';

const LAG_MAX = 1000;

let dir: string;
const logs: PartitionLog[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-replica-'));
});
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function replicaOn(brokerId: number, overrides: Partial<ReplicaConfig> = {}): PartitionReplica {
  const log = PartitionLog.open(path.join(dir, `b${brokerId}`), {}, { replicated: true, clock: { now: () => 0 } });
  logs.push(log);
  return new PartitionReplica('t-0', log, {
    brokerId,
    replicaLagTimeMaxMs: LAG_MAX,
    minInsyncReplicas: 2,
    uncleanLeaderElection: false,
    requestTimeoutMs: 100,
    alterPartitionRetryMs: 100,
    maxFetchBytes: 1 << 20,
    durableAppends: false,
    ...overrides,
  });
}

const state = (s: Partial<PartitionRegistration> = {}): PartitionRegistration => ({
  topicId: 1,
  partition: 0,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  leader: 1,
  leaderEpoch: 0,
  partitionEpoch: 0,
  ...s,
});

const batch = (...values: string[]) => encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })), baseTimestamp: 0 });

function values(r: PartitionReplica, upTo = r.logEndOffset): string[] {
  if (upTo === 0) return [];
  const decoded = decodeRecordBatches(r.log.read(0, 1 << 20, upTo));
  if (decoded._tag === 'Left') throw new Error(decoded.left.message);
  return decoded.right.flatMap((b) => b.records.map((x) => x.value!.toString()));
}

/** The values from the log start on (the records before it may be in the same segment still). */
function valuesFromStart(r: PartitionReplica): string[] {
  const decoded = decodeRecordBatches(r.log.read(r.log.logStartOffset, 1 << 20, r.logEndOffset));
  if (decoded._tag === 'Left') throw new Error(decoded.left.message);
  return decoded.right.flatMap((b) => b.records.map((x) => x.value!.toString()));
}

/** One request/response round between `follower` and `leader`, as the network would carry it. */
function round(leader: PartitionReplica, follower: PartitionReplica, now: number, brokerEpoch = 1): ReplicaResponse | undefined {
  const req = follower.nextRequest(now, brokerEpoch);
  if (req === undefined) return undefined;
  const resp = req.kind === 'fetch' ? leader.handleFetch(req, now) : leader.handleOffsetForLeaderEpoch(req);
  if (resp.kind === 'fetchResponse') follower.handleFetchResponse(resp);
  else follower.handleOffsetForLeaderEpochResponse(resp);
  return resp;
}

function cluster(s = state(), overrides: Partial<ReplicaConfig> = {}) {
  const [b1, b2, b3] = [replicaOn(1, overrides), replicaOn(2, overrides), replicaOn(3, overrides)];
  for (const r of [b1, b2, b3]) r.onPartitionState(s, 0);
  return { b1, b2, b3 };
}

describe('PartitionReplica as leader', () => {
  test('the high watermark advances only when every ISR member has the data; acks=all completes then', () => {
    const { b1, b2, b3 } = cluster();
    expect(b1.role).toBe('leader');
    const out = b1.appendAsLeader(batch('a', 'b'), -1);
    expect(out).toMatchObject({ errorCode: 0, baseOffset: 0, lastOffset: 1, acknowledged: false });
    expect(b1.highWatermark).toBe(0);
    round(b1, b2, 10); // b2 fetches the data
    round(b1, b2, 20); // b2 reports it has it
    expect(b1.highWatermark).toBe(0); // b3 has not
    expect(b1.takeCompletedAppends()).toEqual([]);
    round(b1, b3, 30);
    round(b1, b3, 40);
    expect(b1.highWatermark).toBe(2);
    expect(b1.takeCompletedAppends()).toEqual([{ baseOffset: 0, lastOffset: 1, errorCode: 0 }]);
    // Followers learn the high watermark on their next fetch.
    round(b1, b2, 50);
    expect(b2.highWatermark).toBe(2);
    expect(values(b2)).toEqual(['a', 'b']);
  });

  test('acks=1 is acknowledged at once; acks=all is refused up front when the ISR is below min.insync.replicas', () => {
    const { b1 } = cluster(state({ isr: [1] }));
    expect(b1.appendAsLeader(batch('x'), 1)).toMatchObject({ errorCode: 0, acknowledged: true });
    expect(b1.appendAsLeader(batch('y'), 0)).toMatchObject({ errorCode: 0, acknowledged: true });
    expect(b1.appendAsLeader(batch('z'), -1)).toMatchObject({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS });
    expect(b1.logEndOffset).toBe(2);
  });

  test('a follower that lags past replica.lag.time.max.ms is proposed out; the high watermark waits until the shrink commits', () => {
    const { b1, b2 } = cluster();
    b1.appendAsLeader(batch('a'), -1);
    round(b1, b2, 10);
    round(b1, b2, 20);
    b1.maybeShrinkIsr(LAG_MAX);
    expect(b1.pollIsrChange(LAG_MAX)).toBeUndefined();
    b1.maybeShrinkIsr(LAG_MAX + 1);
    const proposal = b1.pollIsrChange(LAG_MAX + 1);
    expect(proposal).toEqual({ leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2] });
    expect(b1.pollIsrChange(LAG_MAX + 2)).toBeUndefined(); // resent only after the retry interval
    expect(b1.pollIsrChange(LAG_MAX + 101)).toEqual(proposal);
    expect(b1.highWatermark).toBe(0);
    b1.onPartitionState(state({ isr: [1, 2], partitionEpoch: 1 }), LAG_MAX + 150);
    expect(b1.highWatermark).toBe(1);
    expect(b1.takeCompletedAppends()).toEqual([{ baseOffset: 0, lastOffset: 0, errorCode: 0 }]);
  });

  test("a follower that has the leader's log end stays in sync however long it has not fetched; once the leader appends, the lag counts (Kafka's isCaughtUp)", () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(batch('a'), 1);
    for (const f of [b2, b3]) {
      round(b1, f, 10);
      round(b1, f, 20); // at the leader's log end, 1
    }
    // Both silent far past the lag window (a fetcher held up on a loaded broker, an idle session): nothing to catch up on.
    b1.maybeShrinkIsr(20 + 5 * LAG_MAX);
    expect(b1.pollIsrChange(20 + 5 * LAG_MAX)).toBeUndefined();
    // b3 fetches the new record and comes back to the end; b2 stays silent: only b2 lags now.
    b1.appendAsLeader(batch('b'), 1);
    round(b1, b3, 21 + 5 * LAG_MAX);
    round(b1, b3, 22 + 5 * LAG_MAX);
    b1.maybeShrinkIsr(23 + 5 * LAG_MAX);
    expect(b1.pollIsrChange(23 + 5 * LAG_MAX)).toEqual({ leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 3] });
  });

  test('nextDueAt: when a lag check or an ISR change to send is next due, so the tick visits only replicas with something due', () => {
    const { b1, b2, b3 } = cluster();
    // Followers that have not fetched in this epoch: due when their lag window from the election ends.
    expect(b1.nextDueAt()).toBe(LAG_MAX + 1);
    expect(b2.nextDueAt()).toBe(Infinity); // a follower has nothing in the tick
    for (const f of [b2, b3]) round(b1, f, 10);
    // Both at the leader's log end: nothing due until it appends.
    expect(b1.nextDueAt()).toBe(Infinity);
    b1.appendAsLeader(batch('a'), 1);
    expect(b1.nextDueAt()).toBe(10 + LAG_MAX + 1);
    round(b1, b2, 20); // fetches 'a'
    round(b1, b2, 30); // at the end again
    expect(b1.nextDueAt()).toBe(10 + LAG_MAX + 1); // b3 still has not
    // Exactly when due, the check drops b3, and the change is due to be sent now, then again after the retry interval.
    b1.maybeShrinkIsr(10 + LAG_MAX);
    expect(b1.pollIsrChange(10 + LAG_MAX)).toBeUndefined();
    b1.maybeShrinkIsr(10 + LAG_MAX + 1);
    expect(b1.nextDueAt()).toBeLessThanOrEqual(10 + LAG_MAX + 1);
    expect(b1.pollIsrChange(10 + LAG_MAX + 1)).toEqual({ leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2] });
    expect(b1.nextDueAt()).toBe(10 + LAG_MAX + 1 + 100);
  });

  test('an acks=all write whose ISR shrank below min.insync.replicas is answered NOT_ENOUGH_REPLICAS_AFTER_APPEND', () => {
    const { b1 } = cluster();
    b1.appendAsLeader(batch('a'), -1);
    b1.onPartitionState(state({ isr: [1], partitionEpoch: 1 }), 5);
    expect(b1.takeCompletedAppends()).toEqual([{ baseOffset: 0, lastOffset: 0, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND }]);
  });

  test('a caught-up follower outside the ISR is proposed in, and counts for the high watermark from then on', () => {
    const { b1, b2, b3 } = cluster(state({ isr: [1, 2] }));
    b1.appendAsLeader(batch('a'), 1);
    round(b1, b2, 1);
    round(b1, b2, 2);
    expect(b1.highWatermark).toBe(1);
    round(b1, b3, 10); // fetches at 0: below the high watermark, not caught up
    expect(b1.pollIsrChange(10)).toBeUndefined();
    round(b1, b3, 20); // fetches at 1
    expect(b1.pollIsrChange(20)).toEqual({ leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2, 3] });
    b1.appendAsLeader(batch('b'), 1);
    round(b1, b2, 30);
    round(b1, b2, 31);
    expect(b1.highWatermark).toBe(1); // the pending member b3 must have 'b' too
    round(b1, b3, 32);
    round(b1, b3, 33);
    expect(b1.highWatermark).toBe(2);
  });

  test('a refused ISR change stops being sent, but its members still hold the high watermark until the partition epoch moves', () => {
    const { b1, b2, b3 } = cluster(state({ isr: [1, 2] }));
    round(b1, b3, 5); // b3 catches up (empty log) and is proposed in
    const proposal = b1.pollIsrChange(5)!;
    expect(proposal.newIsr).toEqual([1, 2, 3]);
    b1.onIsrChangeRefused(proposal, ErrorCode.INELIGIBLE_REPLICA);
    expect(b1.pollIsrChange(500)).toBeUndefined();
    b1.appendAsLeader(batch('a'), -1);
    round(b1, b2, 10);
    round(b1, b2, 20);
    // A duplicate of the refused request may still commit: b3 must have the record first.
    expect(b1.highWatermark).toBe(0);
    b1.onPartitionState(state({ isr: [1, 2], partitionEpoch: 1 }), 30);
    expect(b1.highWatermark).toBe(1);
  });

  test('replica requests from another leader epoch or an older incarnation are fenced', () => {
    const { b1, b2 } = cluster();
    const fetch = { kind: 'fetch' as const, requestId: 1, replicaId: 2, replicaEpoch: 5, currentLeaderEpoch: 0, fetchOffset: 0, maxBytes: 1000 };
    expect(b1.handleFetch({ ...fetch, currentLeaderEpoch: -1 }, 0).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(b1.handleFetch({ ...fetch, currentLeaderEpoch: 1 }, 0).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(b1.handleFetch(fetch, 0).errorCode).toBe(0);
    expect(b1.handleFetch({ ...fetch, replicaEpoch: 4 }, 0).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(b2.handleFetch(fetch, 0).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(b2.appendAsLeader(batch('a'), -1)).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  test('losing leadership fails the waiting acks=all writes with NOT_LEADER_OR_FOLLOWER', () => {
    const { b1 } = cluster();
    b1.appendAsLeader(batch('a'), -1);
    b1.onPartitionState(state({ leader: 2, leaderEpoch: 1, partitionEpoch: 1 }), 5);
    expect(b1.role).toBe('follower');
    expect(b1.takeCompletedAppends()).toEqual([{ baseOffset: 0, lastOffset: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }]);
  });
});

describe('PartitionReplica as follower', () => {
  test('KIP-101: a deposed leader truncates its unreplicated tail by leader epoch, then copies the new leader', () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(batch('a', 'b'), -1);
    for (let t = 1; t <= 4; t++) {
      round(b1, b2, t);
      round(b1, b3, t);
    }
    expect(b1.highWatermark).toBe(2);
    b1.appendAsLeader(batch('lost'), 1); // acks=1: only on the old leader
    const next = state({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    for (const r of [b1, b2, b3]) r.onPartitionState(next, 10);
    b2.appendAsLeader(batch('c'), -1);
    round(b2, b1, 20); // OffsetForLeaderEpoch(0) -> epoch 0 ends at 2 on the new leader
    expect(b1.takeTruncations()).toEqual([{ from: 3, to: 2, highWatermark: 2 }]);
    round(b2, b1, 21);
    expect(values(b1)).toEqual(['a', 'b', 'c']);
    expect(b1.log.leaderEpochs.list()).toEqual(b2.log.leaderEpochs.list());
  });

  test('an epoch a replica led without writing is forgotten when it follows again (bug found by simulation seed 61378)', () => {
    // b1 writes 'a' (epoch 0) and only b3 copies it; b2 leads epoch 1 without writing.
    const { b1, b2, b3 } = cluster(state({ isr: [1, 2, 3] }));
    b1.appendAsLeader(batch('a'), 1);
    round(b1, b3, 1);
    b2.onPartitionState(state({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 }), 2);
    b3.onPartitionState(state({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 }), 2);
    // b3 leads epoch 2 with 'a' at offset 0; b2 follows and copies it.
    const epoch2 = state({ leader: 3, isr: [2, 3], leaderEpoch: 2, partitionEpoch: 2 });
    b2.onPartitionState(epoch2, 3);
    b3.onPartitionState(epoch2, 3);
    for (let t = 4; t < 8; t++) round(b3, b2, t);
    expect(values(b2)).toEqual(['a']);
    expect(b2.highWatermark).toBe(1);
    // b2's epoch cache files offset 0 under epoch 0, as b3's does, not under the empty epoch 1.
    expect(b2.log.leaderEpochs.endOffsetFor(0, b2.logEndOffset)).toEqual({ epoch: 0, endOffset: 1 });
    // So when b3's successor asks, b2 keeps its committed record.
    const b1Leads = state({ leader: 1, isr: [1, 2], leaderEpoch: 3, partitionEpoch: 3 });
    for (const r of [b1, b2]) r.onPartitionState(b1Leads, 10);
    round(b1, b2, 11);
    expect(b2.takeTruncations()).toEqual([]);
    expect(b2.logEndOffset).toBe(1);
  });

  test('a replica whose every epoch is newer than the leader answers drops what it wrote in them (bug found by simulation seed 70091)', () => {
    // b1 writes 'v1' in epoch 0 and only b3 copies it; b2 leads epoch 1 and writes 't1' there, which nobody copies.
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(batch('v1'), 1);
    round(b1, b3, 1);
    const epoch1 = state({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    b2.onPartitionState(epoch1, 2);
    b2.appendAsLeader(batch('t1'), 1);
    // b3 leads epoch 2 from 'v1' (its epoch 0 ends at 1); b2, back as its follower, knows only epoch 1.
    const epoch2 = state({ leader: 3, isr: [2, 3], leaderEpoch: 2, partitionEpoch: 2 });
    for (const r of [b2, b3]) r.onPartitionState(epoch2, 3);
    round(b3, b2, 4); // OffsetForLeaderEpoch(1) -> epoch 0 ends at 1; b2 has no epoch 0: all it has is from later epochs
    expect(b2.takeTruncations()).toEqual([{ from: 1, to: 0, highWatermark: 0 }]);
    for (let t = 5; t < 8; t++) round(b3, b2, t);
    expect(values(b2)).toEqual(['v1']);
    expect(b2.highWatermark).toBe(1);
  });

  test('a leader asked about an epoch older than every epoch it still has answers where its first epoch starts, as Kafka does', () => {
    // b1 leads epoch 0: 'a', 'b' committed everywhere, then 'p', 'q' copied by b2 only.
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(batch('a', 'b'), -1);
    for (let t = 1; t <= 3; t++) for (const f of [b2, b3]) round(b1, f, t);
    b1.appendAsLeader(batch('p', 'q'), 1);
    round(b1, b2, 4);
    expect([b2.logEndOffset, b2.highWatermark]).toEqual([4, 2]);
    // b3 leads epoch 1 alone from offset 2, writes 'r', 's', 't', and deletes the records before 4: its epochs are {1@4}.
    const epoch1 = state({ leader: 3, isr: [3], leaderEpoch: 1, partitionEpoch: 1 });
    b3.onPartitionState(epoch1, 5);
    b3.appendAsLeader(batch('r', 's'), 1);
    b3.appendAsLeader(batch('t'), 1);
    expect(b3.highWatermark).toBe(5);
    b3.log.deleteRecordsBefore(4);
    expect(b3.log.leaderEpochs.list()).toEqual([{ epoch: 1, startOffset: 4 }]);
    // Epoch 0 ends, as far as b3 can tell, where its first epoch starts (before: "no epoch", -1).
    const asked = b3.handleOffsetForLeaderEpoch({ kind: 'offsetForLeaderEpoch', requestId: 1, replicaId: 2, currentLeaderEpoch: 1, leaderEpoch: 0 });
    expect(asked).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 4, leaderLogEndOffset: 5 });
    // b2 ({0@0}, up to 4) keeps nothing at or past b3's log start; what it has below is deleted at b3 and goes with its first fetch.
    b2.onPartitionState(epoch1, 6);
    round(b3, b2, 7);
    expect(b2.takeTruncations()).toEqual([]);
    round(b3, b2, 8);
    expect(b2.log.logStartOffset).toBe(4);
    expect(b2.highWatermark).toBe(5);
    expect(valuesFromStart(b2)).toEqual(['t']);
    expect(valuesFromStart(b3)).toEqual(['t']);
  });

  test('KIP-279: when the leader answers an epoch the follower lacks, the follower cuts to its own older epoch and asks again', () => {
    // b2 and b3 have 'a' (epoch 0); only b3 has 'b', 'c' of epoch 0.
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(batch('a'), 1);
    round(b1, b2, 1);
    round(b1, b3, 1);
    b1.appendAsLeader(batch('b', 'c'), 1);
    round(b1, b3, 2);
    // b2 leads epoch 2 from offset 1 and writes 'y'; b3 leads epoch 3 from offset 3 and writes 'x'.
    b2.onPartitionState(state({ leader: 2, isr: [2, 3], leaderEpoch: 2, partitionEpoch: 2 }), 3);
    b2.appendAsLeader(batch('y'), 1);
    b3.onPartitionState(state({ leader: 3, isr: [2, 3], leaderEpoch: 3, partitionEpoch: 3 }), 4);
    b3.appendAsLeader(batch('x'), 1);
    // b2 leads epoch 4 (epochs 0@0, 2@1, 4@2); b3 ({0@0, 3@3}) follows and asks about epoch 3: epoch 2 ends at 2.
    const epoch4 = state({ leader: 2, isr: [2, 3], leaderEpoch: 4, partitionEpoch: 4 });
    for (const r of [b2, b3]) r.onPartitionState(epoch4, 5);
    round(b2, b3, 6); // b3 knows no epoch 2: it cuts its epoch 3 and asks about epoch 0
    round(b2, b3, 7); // epoch 0 ends at 1 on b2: 'b' and 'c' go too
    expect(b3.takeTruncations()).toEqual([
      { from: 4, to: 3, highWatermark: b3.highWatermark },
      { from: 3, to: 1, highWatermark: b3.highWatermark },
    ]);
    for (let t = 8; t < 11; t++) round(b2, b3, t);
    expect(values(b3)).toEqual(['a', 'y']);
    // Epoch 4 holds no records yet, so a follower (which learns epochs from batches) has not met it.
    expect(b3.log.leaderEpochs.list()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 1 },
    ]);
  });

  test('duplicated and late responses are ignored', () => {
    const { b1, b2 } = cluster();
    b1.appendAsLeader(batch('a'), 1);
    const req = b2.nextRequest(0, 1)!;
    expect(req.kind).toBe('fetch'); // an empty log has no epoch to check
    if (req.kind !== 'fetch') return;
    const resp = b1.handleFetch(req, 0);
    b2.handleFetchResponse(resp);
    b2.handleFetchResponse(resp);
    expect(values(b2)).toEqual(['a']);
    expect(b2.nextRequest(1, 1)).toMatchObject({ kind: 'fetch', fetchOffset: 1 });
  });

  test('a leader refuses a poison pill; a follower refuses a fetched batch damaged in transit and fetches it again', () => {
    const { b1, b2 } = cluster();
    const pill = batch('poison');
    pill[61 + 4] = 0x7e; // the key length now runs past the record
    pill.writeUInt32BE(crc32c(pill, 21, pill.length), 17);
    expect(b1.appendAsLeader(pill, 1)).toMatchObject({ errorCode: 2, message: expect.stringMatching(/key length 63/) });
    expect(b1.logEndOffset).toBe(0);
    b1.appendAsLeader(batch('a'), 1);
    const req = b2.nextRequest(0, 1)!;
    if (req.kind !== 'fetch') throw new Error('expected a fetch');
    const resp = b1.handleFetch(req, 0);
    const copy = Buffer.concat(resp.records);
    copy[copy.length - 1] ^= 0xff; // a flipped bit on the way: the CRC fails
    const damaged = { ...resp, records: [copy] };
    b2.handleFetchResponse(damaged);
    expect(b2.logEndOffset).toBe(0);
    expect(b2.refusedFetches).toBe(1);
    // Fetched again from the same offset, intact this time.
    expect(round(b1, b2, 1)).toMatchObject({ kind: 'fetchResponse', errorCode: 0 });
    expect(values(b2)).toEqual(['a']);
  });

  test('an unanswered request is sent again after the request timeout', () => {
    const { b2 } = cluster();
    expect(b2.nextRequest(0, 1)).toBeDefined();
    expect(b2.nextRequest(50, 1)).toBeUndefined();
    expect(b2.nextRequest(100, 1)).toBeDefined();
  });

  test('a truncation below the high watermark is refused as a bug (committed data would be lost)', () => {
    const { b1, b2 } = cluster(state({ isr: [1, 2] }));
    b1.appendAsLeader(batch('a', 'b', 'c'), -1);
    round(b1, b2, 1);
    round(b1, b2, 2);
    expect(b2.highWatermark).toBe(3);
    b2.onPartitionState(state({ leader: 3, isr: [3], leaderEpoch: 1, partitionEpoch: 1 }), 3);
    const req = b2.nextRequest(4, 1)!;
    expect(() =>
      b2.handleOffsetForLeaderEpochResponse({
        kind: 'offsetForLeaderEpochResponse',
        requestId: req.requestId,
        errorCode: 0,
        leaderEpoch: 0,
        endOffset: 1,
        leaderLogEndOffset: 1,
      }),
    ).toThrow(ReplicationInvariantError);
    expect(b2.logEndOffset).toBe(3);
  });

  test('with unclean election enabled the same truncation happens (data loss the topic opted into)', () => {
    const b2 = replicaOn(2, { uncleanLeaderElection: true });
    const b1 = replicaOn(1);
    b1.onPartitionState(state({ isr: [1, 2] }), 0);
    b2.onPartitionState(state({ isr: [1, 2] }), 0);
    b1.appendAsLeader(batch('a', 'b'), -1);
    round(b1, b2, 1);
    round(b1, b2, 2);
    b2.onPartitionState(state({ leader: 3, isr: [3], leaderEpoch: 1, partitionEpoch: 1 }), 3);
    const req = b2.nextRequest(4, 1)!;
    b2.handleOffsetForLeaderEpochResponse({
      kind: 'offsetForLeaderEpochResponse',
      requestId: req.requestId,
      errorCode: 0,
      leaderEpoch: -1,
      endOffset: -1,
      leaderLogEndOffset: 0,
    });
    expect(b2.logEndOffset).toBe(0);
  });
});

describe('PartitionReplica with an idempotent producer (KIP-98)', () => {
  const PRODUCER = 4096;
  /** A batch of producer PRODUCER (epoch `epoch`) starting at sequence `seq`. */
  const idem = (seq: number, values: string[], epoch = 0) =>
    encodeRecordBatch({
      records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
      baseTimestamp: 0,
      producerId: PRODUCER,
      producerEpoch: epoch,
      baseSequence: seq,
    });
  /** Rounds until both followers have everything and the leader knows it. */
  const replicate = (leader: PartitionReplica, followers: PartitionReplica[], from: number) => {
    for (let t = from; t < from + 3; t++) for (const f of followers) round(leader, f, t);
  };

  test('a retried batch is not written again: acks=all answers it with the original offsets once the high watermark passes them', () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(batch('plain'), 1);
    expect(b1.appendAsLeader(idem(0, ['a', 'b']), -1)).toMatchObject({ errorCode: 0, baseOffset: 1, lastOffset: 2, acknowledged: false, duplicate: false });
    // The retry (say the client's request timed out) waits on the same append.
    expect(b1.appendAsLeader(idem(0, ['a', 'b']), -1)).toMatchObject({ errorCode: 0, baseOffset: 1, lastOffset: 2, acknowledged: false, duplicate: true });
    expect(b1.logEndOffset).toBe(3);
    replicate(b1, [b2, b3], 1);
    expect(b1.highWatermark).toBe(3);
    expect(b1.takeCompletedAppends()).toEqual([{ baseOffset: 1, lastOffset: 2, errorCode: 0 }]);
    // Committed now: a later retry is acknowledged at once, acks=1 always is.
    expect(b1.appendAsLeader(idem(0, ['a', 'b']), -1)).toMatchObject({ errorCode: 0, baseOffset: 1, lastOffset: 2, acknowledged: true, duplicate: true });
    expect(b1.appendAsLeader(idem(0, ['a', 'b']), 1)).toMatchObject({ errorCode: 0, baseOffset: 1, acknowledged: true, duplicate: true });
    expect(b1.appendAsLeader(idem(2, ['c']), 1)).toMatchObject({ errorCode: 0, baseOffset: 3, duplicate: false });
    expect(values(b1)).toEqual(['plain', 'a', 'b', 'c']);
  });

  test('a gap in sequence numbers is refused OUT_OF_ORDER_SEQUENCE_NUMBER, and nothing is written', () => {
    const { b1 } = cluster();
    b1.appendAsLeader(idem(0, ['a']), 1);
    const out = b1.appendAsLeader(idem(2, ['c']), 1);
    expect(out).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect('message' in out && out.message).toMatch(/sequence 2, expected 1/);
    expect(b1.logEndOffset).toBe(1);
  });

  test('a batch of an older producer epoch is fenced with INVALID_PRODUCER_EPOCH', () => {
    const { b1 } = cluster();
    b1.appendAsLeader(idem(0, ['a'], 0), 1);
    b1.appendAsLeader(idem(0, ['b'], 1), 1); // a new epoch starts at sequence 0
    expect(b1.appendAsLeader(idem(1, ['c'], 0), 1)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(values(b1)).toEqual(['a', 'b']);
  });

  test('a follower promoted to leader recognises a batch its predecessor wrote (from the batches it copied)', () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(idem(0, ['a']), -1);
    b1.appendAsLeader(idem(1, ['b']), -1);
    replicate(b1, [b2, b3], 1);
    expect(b1.takeCompletedAppends().map((c) => c.errorCode)).toEqual([0, 0]);
    // b1 dies before answering 'b'; b2 takes over and the producer retries 'b'.
    const next = state({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    for (const r of [b2, b3]) r.onPartitionState(next, 10);
    expect(b2.appendAsLeader(idem(1, ['b']), -1)).toMatchObject({ errorCode: 0, baseOffset: 1, lastOffset: 1, acknowledged: true, duplicate: true });
    expect(b2.appendAsLeader(idem(3, ['d']), -1)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(b2.appendAsLeader(idem(2, ['c']), -1)).toMatchObject({ errorCode: 0, baseOffset: 2, duplicate: false });
    replicate(b2, [b3], 20);
    expect(values(b3)).toEqual(['a', 'b', 'c']);
  });

  test('a batch cut by a KIP-101 truncation is forgotten: retried to the same replica leading again, it is written', () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(idem(0, ['a']), -1);
    replicate(b1, [b2, b3], 1);
    b1.appendAsLeader(idem(1, ['b']), 1); // only on b1: lost with its leadership
    const epoch1 = state({ leader: 2, isr: [1, 2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    for (const r of [b1, b2, b3]) r.onPartitionState(epoch1, 10);
    b2.appendAsLeader(batch('other'), -1);
    replicate(b2, [b1, b3], 11);
    expect(b1.takeTruncations()).toEqual([{ from: 2, to: 1, highWatermark: 1 }]);
    expect(values(b1)).toEqual(['a', 'other']);
    // b1 leads again; the producer's retry of 'b' is new here, not a duplicate of the cut batch.
    const epoch2 = state({ leader: 1, isr: [1, 2, 3], leaderEpoch: 2, partitionEpoch: 2 });
    for (const r of [b1, b2, b3]) r.onPartitionState(epoch2, 20);
    expect(b1.appendAsLeader(idem(1, ['b']), -1)).toMatchObject({ errorCode: 0, baseOffset: 2, duplicate: false });
    replicate(b1, [b2, b3], 21);
    expect(values(b2)).toEqual(['a', 'other', 'b']);
  });

  test('a truncation does not forget producers older than the rebuild window', () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(idem(0, ['old']), -1);
    b1.appendAsLeader(batch(...Array.from({ length: PRODUCER_STATE_WINDOW }, (_, i) => `x${i}`)), -1);
    replicate(b1, [b2, b3], 1);
    b1.appendAsLeader(batch('tail'), 1); // only on b1: cut when it follows
    const epoch1 = state({ leader: 2, isr: [1, 2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    for (const r of [b1, b2, b3]) r.onPartitionState(epoch1, 10);
    replicate(b2, [b1], 11);
    expect(b1.takeTruncations()).toHaveLength(1);
    const epoch2 = state({ leader: 1, isr: [1, 2, 3], leaderEpoch: 2, partitionEpoch: 2 });
    for (const r of [b1, b2, b3]) r.onPartitionState(epoch2, 20);
    expect(b1.appendAsLeader(idem(0, ['old']), 1)).toMatchObject({ errorCode: 0, baseOffset: 0, duplicate: true });
    expect(b1.appendAsLeader(idem(1, ['new']), 1)).toMatchObject({ errorCode: 0, baseOffset: PRODUCER_STATE_WINDOW + 1, duplicate: false });
  });

  test('the producer state is rebuilt from the log when a replica reopens (broker restart)', () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(idem(0, ['a']), -1);
    b1.appendAsLeader(idem(1, ['b']), -1);
    replicate(b1, [b2, b3], 1);
    (b2.log as PartitionLog).close();
    const reopened = replicaOn(2);
    reopened.onPartitionState(state({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 }), 10);
    expect(reopened.appendAsLeader(idem(1, ['b']), 1)).toMatchObject({ errorCode: 0, baseOffset: 1, duplicate: true });
    expect(reopened.appendAsLeader(idem(0, ['a']), 1)).toMatchObject({ errorCode: 0, baseOffset: 0, duplicate: true });
    expect(reopened.logEndOffset).toBe(2);
  });
});

describe('PartitionReplica and transactions', () => {
  const txn = (pid: number, epoch: number, sequence: number, ...values: string[]) =>
    encodeRecordBatch({
      records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
      baseTimestamp: 0,
      producerId: pid,
      producerEpoch: epoch,
      baseSequence: sequence,
      transactional: true,
    });
  const marker = (pid: number, epoch: number, commit: boolean) => ({ producerId: pid, producerEpoch: epoch, coordinatorEpoch: 0, commit });

  test('followers compute the leader’s last stable offset and aborted index from the bytes they copy', () => {
    const { b1, b2, b3 } = cluster();
    b1.appendAsLeader(batch('plain'), -1); // 0
    b1.appendAsLeader(txn(7, 0, 0, 'a', 'b'), -1); // 1..2
    b1.appendAsLeader(txn(8, 0, 0, 'c'), -1); // 3
    expect(b1.appendMarkerAsLeader(marker(7, 0, false), 0)).toMatchObject({ errorCode: 0, baseOffset: 4, acknowledged: false }); // 4
    for (let now = 10; now <= 40; now += 10) {
      round(b1, b2, now);
      round(b1, b3, now);
    }
    expect(b1.highWatermark).toBe(5);
    // The marker is acknowledged like an acks=all produce: once the high watermark passes it.
    expect(b1.takeCompletedAppends().map((a) => a.lastOffset)).toContain(4);
    for (const r of [b1, b2, b3]) {
      expect(r.log.lastStableOffset).toBe(3); // producer 8's transaction is open
      expect(r.log.abortedTransactions(0, 5)).toEqual([{ producerId: 7, firstOffset: 1, lastOffset: 4, lastStableOffset: 3 }]);
    }
    // Read_committed readers stop at the last stable offset.
    expect(decodeRecordBatches(b1.readCommitted(0, 1 << 20, b1.log.lastStableOffset))).toMatchObject({ right: [{ baseOffset: 0 }, { baseOffset: 1 }] });
  });

  test('a marker of a newer epoch fences the old producer at the leader; an older marker is PRODUCER_FENCED; a follower refuses markers', () => {
    const { b1, b2 } = cluster();
    b1.appendAsLeader(txn(9, 0, 0, 'x'), -1);
    expect(b1.appendMarkerAsLeader(marker(9, 1, false), 0)).toMatchObject({ errorCode: 0 });
    expect(b1.appendAsLeader(txn(9, 0, 1, 'late'), -1)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(b1.appendMarkerAsLeader(marker(9, 0, true), 0)).toMatchObject({ errorCode: ErrorCode.PRODUCER_FENCED });
    expect(b2.appendMarkerAsLeader(marker(9, 1, true), 0)).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  test('a follower promoted to leader keeps the fenced epoch it copied', () => {
    const { b1, b2 } = cluster(state({ isr: [1, 2], replicas: [1, 2] }));
    b1.appendAsLeader(txn(11, 0, 0, 'x'), -1);
    b1.appendMarkerAsLeader(marker(11, 2, false), 0);
    round(b1, b2, 10);
    round(b1, b2, 20);
    b2.onPartitionState(state({ isr: [1, 2], replicas: [1, 2], leader: 2, leaderEpoch: 1 }), 30);
    expect(b2.role).toBe('leader');
    expect(b2.appendAsLeader(txn(11, 1, 0, 'zombie'), 1)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(b2.appendAsLeader(txn(11, 2, 0, 'fresh'), 1)).toMatchObject({ errorCode: 0 });
  });
});

describe('PartitionReplica: ISR eligibility', () => {
  test('a caught-up follower the broker sees fenced is not proposed into the ISR (KIP-841), so it never holds the high watermark', () => {
    const fenced = new Set([3]);
    const { b1, b2, b3 } = cluster(state({ isr: [1, 2] }), { isEligible: (id: number) => !fenced.has(id) });
    round(b1, b3, 5); // b3 catches up, but is fenced
    expect(b1.pollIsrChange(5)).toBeUndefined();
    b1.appendAsLeader(batch('a'), -1);
    round(b1, b2, 10);
    round(b1, b2, 20);
    expect(b1.highWatermark).toBe(1);
    fenced.delete(3);
    round(b1, b3, 30); // fetches 'a'
    round(b1, b3, 31); // and shows it has it
    expect(b1.pollIsrChange(31)?.newIsr).toEqual([1, 2, 3]);
  });
});
