import { runSimulation, type SimulationResult } from './simulation';
import { arg, intArg } from './cli-args';

// `npm run sim -- --seeds N [--start S] [--seed S --trace]`: run many seeds
// with a progress bar; print every failing seed so it can be replayed alone.

function main(): void {
  const single = arg('seed');
  if (single !== undefined) {
    const r = runSimulation({ seed: intArg('seed', 0), trace: process.argv.includes('--trace') });
    if (r.trace.length > 0) process.stdout.write(r.trace.join('\n') + '\n');
    report([r], 1, 0);
    process.exit(r.ok ? 0 : 1);
  }
  const seeds = intArg('seeds', 1000);
  const start = intArg('start', 1);
  const failures: SimulationResult[] = [];
  const began = process.hrtime.bigint();
  const tty = process.stdout.isTTY === true;
  let events = 0;
  for (let k = 0; k < seeds; k++) {
    const r = runSimulation({ seed: start + k });
    events += r.stats.events;
    if (!r.ok) {
      failures.push(r);
      process.stdout.write(`${tty ? '\r\x1b[K' : ''}FAIL seed ${r.seed}: ${r.failure}\n`);
    }
    if (tty || (k + 1) % Math.max(1, Math.floor(seeds / 20)) === 0 || k + 1 === seeds) {
      const done = (k + 1) / seeds;
      const width = 30;
      const bar = '#'.repeat(Math.round(done * width)).padEnd(width, '.');
      const line = `[${bar}] ${k + 1}/${seeds} seeds, ${failures.length} failed`;
      process.stdout.write(tty ? `\r${line}` : `${line}\n`);
    }
  }
  const secs = Number(process.hrtime.bigint() - began) / 1e9;
  if (tty) process.stdout.write('\n');
  report(failures, seeds, secs, events);
  process.exit(failures.length === 0 ? 0 : 1);
}

function report(failures: SimulationResult[], seeds: number, secs: number, events?: number): void {
  const bad = failures.filter((f) => !f.ok);
  if (events !== undefined) {
    process.stdout.write(`${seeds} seeds, ${events} events in ${secs.toFixed(1)} s: ${bad.length} failed\n`);
  }
  for (const f of bad) {
    process.stdout.write(`failing seed ${f.seed}: ${f.failure}\n  replay: npm run sim -- --seed ${f.seed} --trace\n`);
  }
  if (failures.length === 1 && failures[0].ok) {
    process.stdout.write(`seed ${failures[0].seed} ok: ${JSON.stringify(failures[0].stats)}\n`);
  }
}

main();
