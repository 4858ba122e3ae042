// `npm run sim:scale [-- --brokers N --partitions N --kills N]`: the metadata
// path at scale (scale-simulation.ts), twice (kills noticed by a closed
// connection, then by the session timeout), with the figures written to
// bench/results/scale.json. Run with --expose-gc for the image's memory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { intArg } from '../../raft/sim/cli-args';
import { runScaleSimulation, type ScaleResult } from './scale-simulation';

function main(): void {
  const base = {
    brokers: intArg('brokers', 100),
    partitions: intArg('partitions', 100_000),
    partitionsPerTopic: intArg('partitions-per-topic', 100),
    replicationFactor: 3,
    brokerKills: intArg('kills', 3),
  };
  const results: ScaleResult[] = [];
  for (const killCloses of [true, false]) {
    const r = runScaleSimulation({ ...base, killCloses });
    results.push(r);
    const led = r.brokerKillRounds.map((k) => `${k.partitionsReLed}/${k.partitionsLed} re-led in ${k.decideMs} ms CPU (${k.simulatedMs} ms simulated)`);
    process.stdout.write(
      [
        `${base.brokers} brokers, ${base.partitions.toLocaleString('en-US')} partitions (RF 3), kills ${killCloses ? 'closing their connections' : 'going silent'}:`,
        `  ${r.records.toLocaleString('en-US')} metadata records; controller ${r.controllerMicrosPerRecord} µs CPU per record decided; a broker applies one in ${r.brokerApplyMicrosPerRecord} µs`,
        `  snapshot ${(r.snapshotBytes / 1e6).toFixed(2)} MB (${r.snapshotBytesPerPartition} B per partition), encoded in ${r.snapshotEncodeMs} ms, loaded in ${r.snapshotLoadMs} ms; image ${r.imageBytesPerPartition ?? '? (run with --expose-gc)'} B per partition`,
        `  broker kills: ${led.join('; ')}`,
        `  controller failover: ${r.controllerFailoverMs} ms CPU before the new one decides; its first fence ${r.fenceAfterFailoverMs} ms CPU`,
        r.failures.length === 0 ? '  invariants: all held' : `  FAILURES:\n    ${r.failures.join('\n    ')}`,
        '',
      ].join('\n'),
    );
  }
  const out = path.join(__dirname, '../../../../bench/results/scale.json');
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
  process.exit(results.every((r) => r.failures.length === 0) ? 0 : 1);
}

main();
