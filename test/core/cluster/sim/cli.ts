import { runClusterSimulation, type ClusterSimulationResult } from './cluster-simulation';
import { arg, intArg } from '../../raft/sim/cli-args';

// `npm run sim:cluster -- --seeds N [--start S] [--family flapping|transactions]` runs many
// seeds and prints every failing one; `npm run sim:cluster -- --seed S --trace`
// (with the same --family) replays one with its trace.

function main(): void {
  const chaosTime = arg('chaos-time') === undefined ? undefined : intArg('chaos-time', 3000);
  const family = arg('family') === 'flapping' || arg('family') === 'transactions' ? (arg('family') as 'flapping' | 'transactions') : 'default';
  if (arg('seed') !== undefined) {
    const r = runClusterSimulation({ seed: intArg('seed', 0), trace: process.argv.includes('--trace'), chaosTime, family });
    if (r.trace.length > 0) process.stdout.write(r.trace.join('\n') + '\n');
    process.stdout.write(r.ok ? `seed ${r.seed} ok: ${JSON.stringify(r.stats)}\n` : `seed ${r.seed} FAILED: ${r.failure}\n`);
    process.exit(r.ok ? 0 : 1);
  }
  const seeds = intArg('seeds', 1000);
  const start = intArg('start', 1);
  const failures: ClusterSimulationResult[] = [];
  const began = process.hrtime.bigint();
  let acked = 0;
  const totals: Record<string, number> = {};
  for (let k = 0; k < seeds; k++) {
    const r = runClusterSimulation({ seed: start + k, chaosTime, family });
    acked += r.stats.acknowledged;
    for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
    if (!r.ok) {
      failures.push(r);
      process.stdout.write(`FAIL seed ${r.seed}: ${r.failure}\n`);
    }
    if ((k + 1) % Math.max(1, Math.floor(seeds / 20)) === 0 || k + 1 === seeds) {
      process.stdout.write(`${k + 1}/${seeds} seeds, ${failures.length} failed\n`);
    }
  }
  const secs = Number(process.hrtime.bigint() - began) / 1e9;
  process.stdout.write(`${seeds} seeds in ${secs.toFixed(1)} s, ${acked} acknowledged writes checked: ${failures.length} failed\n`);
  process.stdout.write(`totals: ${JSON.stringify(totals)}\n`);
  for (const f of failures) process.stdout.write(`  replay: npm run sim:cluster -- --seed ${f.seed} --trace\n`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main();
