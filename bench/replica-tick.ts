// The per-replica part of a cluster broker's 20 ms tick at scale (issue #19):
// N real PartitionReplicas over real replicated logs, a third leaders (ISR of
// 3, followers caught up) and two thirds followers, as on each broker of a
// 3-broker RF 3 cluster. It measures the CPU of one pass of what the tick asks
// of every replica (the ISR shrink check, the ISR proposal poll, the completed
// acks=all appends), with the shrink check every tick ("every") and on the
// slower cadence the broker now uses ("cadence": only every ISR_CHECK_TICKS
// ticks), in alternating rounds. CPU by process.cpuUsage: the machine is shared.
//
//   node -r ./test/support/register-ts.js bench/replica-tick.ts [replicas, default 10000]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog } from '../core/log';
import { PartitionReplica } from '../core/cluster/replication/partition-replica';
import { ISR_CHECK_TICKS } from '../core/cluster/broker/broker-process';

const N = Number(process.argv[2] ?? 10_000);
const TICKS = 250;
const ROUNDS = 4;

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-tick-'));
  const replicas: PartitionReplica[] = [];
  const logs: PartitionLog[] = [];
  try {
    const t0 = Date.now();
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
      r.onPartitionState({ topicId: 1, partition: i, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 + (i % 3), leaderEpoch: 1, partitionEpoch: 1 }, t0);
      replicas.push(r);
    }
    const pass = (now: number, shrinkCheck: boolean) => {
      for (const r of replicas) {
        if (shrinkCheck) r.maybeShrinkIsr(now);
        r.pollIsrChange(now);
        r.takeCompletedAppends();
      }
    };
    const cpuUsPerTick = (cadence: boolean) => {
      const c0 = process.cpuUsage();
      for (let t = 0; t < TICKS; t++) pass(t0 + 1 + t * 20, !cadence || t % ISR_CHECK_TICKS === 0);
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / TICKS;
    };
    for (let i = 0; i < 3; i++) cpuUsPerTick(false);
    const every: number[] = [];
    const cadence: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      every.push(cpuUsPerTick(false));
      cadence.push(cpuUsPerTick(true));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const result = {
      replicas: N,
      loadAverage: Number(os.loadavg()[0].toFixed(1)),
      cpuUsPerTick: { every: Math.round(median(every)), cadence: Math.round(median(cadence)) },
      cpuShareOfOneCoreAt20msTicks: { every: Number((median(every) / 20_000).toFixed(3)), cadence: Number((median(cadence) / 20_000).toFixed(3)) },
    };
    console.log(JSON.stringify(result));
    for (const log of logs) log.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
