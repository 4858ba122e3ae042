// The per-replica part of a cluster broker's 20 ms tick at scale (issue #19):
// N real PartitionReplicas over real replicated logs, a third leaders (ISR of
// 3) and two thirds followers, as on each broker of a 3-broker RF 3 cluster.
// Followers fetch as a fetch session serves them (every partition, every
// 500 ms), a few leaders take a write now and then. Measured: the CPU of the
// tick's replica work, in alternating rounds of
//  - "walk": what the tick did before, every replica every tick (the ISR
//    shrink check on every 10th tick, the ISR proposal poll, the completed
//    acks=all writes);
//  - "queue": what it does now, only the replicas whose due time came
//    (due-queue.ts), each filed again for its next one.
// The fetches and writes cost the same in both and are not counted.
// CPU by process.cpuUsage: the machine is shared.
//
//   node -r ./test/support/register-ts.js bench/replica-tick.ts [replicas, default 10000]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch, PartitionLog } from '../core/log';
import { PartitionReplica } from '../core/cluster/replication/partition-replica';
import { DueQueue } from '../core/cluster/broker/due-queue';

const N = Number(process.argv[2] ?? 10_000);
const TICK_MS = 20;
const TICKS = 250;
const ROUNDS = 4;
/** The shrink check's cadence in the walk (every 10th tick, as the broker had it). */
const WALK_ISR_CHECK_TICKS = 10;
/** Followers' fetches reach each partition every this many ticks (a session batch held 500 ms). */
const FETCH_EVERY_TICKS = 25;
/** Leaders written to per tick. */
const WRITES_PER_TICK = 5;

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-tick-'));
  const leaders: PartitionReplica[] = [];
  const replicas: PartitionReplica[] = [];
  const logs: PartitionLog[] = [];
  const record = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }], baseTimestamp: 0 });
  let clock = 1_000_000;
  try {
    for (let i = 0; i < N; i++) {
      const log = PartitionLog.open(path.join(dir, `t-${i}`), {}, { replicated: true });
      logs.push(log);
      const r = new PartitionReplica(`t-${i}`, log, {
        brokerId: 1,
        replicaLagTimeMaxMs: 10_000,
        minInsyncReplicas: 2,
        uncleanLeaderElection: false,
        requestTimeoutMs: 30_000,
        alterPartitionRetryMs: 500,
        maxFetchBytes: 1 << 20,
        durableAppends: false,
      });
      r.onPartitionState({ topicId: 1, partition: i, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 + (i % 3), leaderEpoch: 1, partitionEpoch: 1 }, clock);
      replicas.push(r);
      if (r.role === 'leader') leaders.push(r);
    }
    let fetchRequest = 0;
    /** The followers' fetches due this tick, and a few writes: the same work in both ways. */
    const traffic = (tick: number, onInput: (r: PartitionReplica) => void) => {
      for (let k = tick % FETCH_EVERY_TICKS; k < leaders.length; k += FETCH_EVERY_TICKS) {
        const r = leaders[k];
        for (const follower of [2, 3])
          r.handleFetch(
            { kind: 'fetch', requestId: ++fetchRequest, replicaId: follower, replicaEpoch: 1, currentLeaderEpoch: 1, fetchOffset: r.logEndOffset, maxBytes: 0 },
            clock,
          );
        onInput(r);
      }
      for (let w = 0; w < WRITES_PER_TICK; w++) {
        const r = leaders[(tick * WRITES_PER_TICK + w) % leaders.length];
        r.appendAsLeader(record, 1);
        onInput(r);
      }
    };
    const visit = (r: PartitionReplica) => {
      r.maybeShrinkIsr(clock);
      r.pollIsrChange(clock);
      r.takeCompletedAppends();
    };
    const due = new DueQueue<PartitionReplica>(TICK_MS, clock);
    for (const r of replicas) due.schedule(r, r.nextDueAt());
    const cpuUsPerTick = (way: 'walk' | 'queue') => {
      let us = 0;
      for (let t = 0; t < TICKS; t++) {
        clock += TICK_MS;
        traffic(t, way === 'queue' ? (r) => due.advance(r, r.nextDueAt()) : () => {});
        const c0 = process.cpuUsage();
        if (way === 'walk')
          for (const r of replicas) {
            if (t % WALK_ISR_CHECK_TICKS === 0) r.maybeShrinkIsr(clock);
            r.pollIsrChange(clock);
            r.takeCompletedAppends();
          }
        else
          for (const r of due.takeDue(clock)) {
            visit(r);
            due.schedule(r, r.nextDueAt());
          }
        const c = process.cpuUsage(c0);
        us += c.user + c.system;
      }
      return us / TICKS;
    };
    for (let i = 0; i < 2; i++) {
      cpuUsPerTick('walk');
      cpuUsPerTick('queue');
    }
    const walk: number[] = [];
    const queue: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      walk.push(cpuUsPerTick('walk'));
      queue.push(cpuUsPerTick('queue'));
    }
    const isrSizes = new Map<number, number>();
    for (const r of leaders) isrSizes.set(r.isr.length, (isrSizes.get(r.isr.length) ?? 0) + 1);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const result = {
      replicas: N,
      loadAverage: Number(os.loadavg()[0].toFixed(1)),
      cpuUsPerTick: { walk: Math.round(median(walk)), queue: Math.round(median(queue)) },
      cpuShareOfOneCoreAt20msTicks: { walk: Number((median(walk) / 20_000).toFixed(4)), queue: Number((median(queue) / 20_000).toFixed(4)) },
      // No ISR change is proposed in either way (a proposal is never committed here): both walked the same replicas.
      leadersByIsrSize: Object.fromEntries(isrSizes),
    };
    console.log(JSON.stringify(result));
    for (const log of logs) log.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
