// The wall clock steps back (NTP, a VM restored) while a leader's AlterPartition is in flight: the broker's
// tick moves the replica's old-clock times to the new clock (clockSteppedBack), so the change is sent again
// one retry interval later on the new clock, not once the clock has caught up with the old one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch, PartitionLog } from '../../../../core/log';
import { PartitionReplica, type PartitionRegistration } from '../../../../core/cluster';
import { DueQueue } from '../../../../core/cluster/broker/due-queue';

const LAG_MAX = 1000;
const STEP = 60_000;
let dir: string;
const logs: PartitionLog[] = [];
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-review-due-'))));
afterEach(() => {
  for (const l of logs.splice(0)) l.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function replicaOn(id: number): PartitionReplica {
  const log = PartitionLog.open(path.join(dir, `b${id}`), {}, { replicated: true, clock: { now: () => 0 } });
  logs.push(log);
  return new PartitionReplica('t-0', log, {
    brokerId: id,
    replicaLagTimeMaxMs: LAG_MAX,
    minInsyncReplicas: 2,
    uncleanLeaderElection: false,
    requestTimeoutMs: 100,
    alterPartitionRetryMs: 100,
    maxFetchBytes: 1 << 20,
    durableAppends: false,
  });
}
const state: PartitionRegistration = { topicId: 1, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 };

test('after a clock step back the ISR change is sent again one retry interval later on the new clock', () => {
  const b1 = replicaOn(1);
  const b2 = replicaOn(2);
  b1.onPartitionState(state, 0);
  b2.onPartitionState(state, 0);
  const T = 1_000_000;
  b1.appendAsLeader(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseTimestamp: 0 }), 1);
  b1.maybeShrinkIsr(T);
  expect(b1.pollIsrChange(T)).toBeDefined(); // sent at T, the controller never answers
  const due = new DueQueue<PartitionReplica>(20, T);
  due.schedule(b1, b1.nextDueAt());
  const now = T - STEP; // NTP steps the clock back a minute
  b1.clockSteppedBack(now); // what the broker's tick does first
  expect(due.takeDue(now)).toEqual([b1]);
  expect(b1.pollIsrChange(now)).toBeUndefined(); // just "sent": the retry interval starts now
  due.schedule(b1, b1.nextDueAt());
  expect(b1.nextDueAt()).toBe(now + 100);
  expect(due.takeDue(now + 120)).toEqual([b1]);
  expect(b1.pollIsrChange(now + 120)).toBeDefined(); // sent again 100 ms later on the new clock, not a minute later
});

test('a follower stamped on the old clock lags from the new one: dropped one lag time after the step', () => {
  const b1 = replicaOn(1);
  const T = 1_000_000;
  b1.onPartitionState(state, T); // the follower's progress is stamped on the old clock
  b1.appendAsLeader(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseTimestamp: 0 }), 1);
  const now = T - STEP;
  b1.clockSteppedBack(now);
  expect(b1.nextDueAt()).toBe(now + LAG_MAX + 1);
  b1.maybeShrinkIsr(now + LAG_MAX + 1);
  expect(b1.pollIsrChange(now + LAG_MAX + 1)?.newIsr).toEqual([1]);
});
