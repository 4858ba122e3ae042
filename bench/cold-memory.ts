// What a page-cache write costs here into fresh memory and into recycled
// memory: the measurement behind bench:cluster's broker memory cgroups
// (bench/memory-cgroup.ts).
//
// A child process writes BENCH_COLD_MB (default 4096) MB to a new file in
// 128 KB positional writes, as a segment append does, and reports its system
// CPU per MB for each 512 MB step. It runs twice: unconfined (its page cache
// grows into free memory) and in a memory cgroup of 1 GB (its page cache
// recycles its own pages once full). On the bench VM the first steps of the
// unconfined run are cheap (memory freed a moment ago is still backed by the
// host), the later ones cost about ten times more; the confined run stays
// cheap throughout. Results: bench/results/cold-memory.json.
//
//   node -r ./test/support/register-ts.js bench/cold-memory.ts
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryCgroup } from './memory-cgroup';

const CHUNK = 128 * 1024;
const STEP_MB = 512;
const MB = 1024 * 1024;
const CGROUP_MB = 1024;
const WRITER_FLAG = '--cold-memory-writer';

/** The child: waits for the go (so the parent can confine it first), writes, reports system and wall ms per MB per step. */
function writer(totalMB: number, dir: string): void {
  process.once('message', () => {
    const file = path.join(dir, `cold-${process.pid}.log`);
    const fd = fs.openSync(file, 'w');
    const chunk = Buffer.alloc(CHUNK, 7);
    const steps: { systemMsPerMB: number; wallMsPerMB: number }[] = [];
    let position = 0;
    try {
      for (let s = 0; s < totalMB / STEP_MB; s++) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < (STEP_MB * MB) / CHUNK; i++) {
          fs.writeSync(fd, chunk, 0, CHUNK, position);
          position += CHUNK;
        }
        const cpu = process.cpuUsage(cpu0);
        steps.push({ systemMsPerMB: +(cpu.system / 1000 / STEP_MB).toFixed(3), wallMsPerMB: +((performance.now() - t0) / STEP_MB).toFixed(3) });
      }
    } finally {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
    }
    process.send!(steps, () => process.exit(0));
  });
}

async function run(totalMB: number, dir: string, cgroup: MemoryCgroup | undefined) {
  const child = fork(__filename, [WRITER_FLAG, String(totalMB), dir], { execArgv: process.execArgv });
  const lifetime = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    if (cgroup !== undefined) cgroup.add(child.pid!);
    const steps = new Promise<{ systemMsPerMB: number; wallMsPerMB: number }[]>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { systemMsPerMB: number; wallMsPerMB: number }[]));
      child.once('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
    });
    child.send('go');
    return await steps;
  } finally {
    clearTimeout(lifetime);
    child.kill();
    await exited; // an empty cgroup is the only kind that can be removed
  }
}

async function main(): Promise<void> {
  const totalMB = Number(process.env.BENCH_COLD_MB ?? 4096);
  if (!Number.isInteger(totalMB) || totalMB < STEP_MB || totalMB % STEP_MB !== 0)
    throw new Error(`BENCH_COLD_MB must be a multiple of ${STEP_MB}, not ${process.env.BENCH_COLD_MB}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cold-memory-'));
  const cgroup = MemoryCgroup.create(`rill-bench-${process.pid}-cold`, CGROUP_MB);
  const loadAtStart = os.loadavg().map((x) => +x.toFixed(2));
  try {
    const unconfined = await run(totalMB, dir, undefined);
    console.log(`unconfined: system CPU-ms/MB per ${STEP_MB} MB step: ${unconfined.map((s) => s.systemMsPerMB).join(' ')}`);
    const confined = await run(totalMB, dir, cgroup);
    console.log(`in a ${CGROUP_MB} MB memory cgroup: ${confined.map((s) => s.systemMsPerMB).join(' ')}`);
    const mean = (xs: { systemMsPerMB: number }[]) => +(xs.reduce((a, s) => a + s.systemMsPerMB, 0) / xs.length).toFixed(3);
    const result = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        memoryGB: Math.round(os.totalmem() / 1024 ** 3),
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: os.loadavg().map((x) => +x.toFixed(2)),
      },
      what: `${totalMB} MB written to a new file in ${CHUNK / 1024} KB pwrites, system CPU-ms per MB per ${STEP_MB} MB step`,
      unconfined: { steps: unconfined, meanSystemMsPerMB: mean(unconfined) },
      inMemoryCgroup: { limitMB: CGROUP_MB, steps: confined, meanSystemMsPerMB: mean(confined) },
    };
    const out = path.join(__dirname, 'results', 'cold-memory.json');
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written to ${out}`);
  } finally {
    cgroup.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const flag = process.argv.indexOf(WRITER_FLAG);
if (flag >= 0) writer(Number(process.argv[flag + 1]), process.argv[flag + 2]);
else
  main().catch((e) => {
    process.stderr.write(`bench/cold-memory: ${(e as Error).message}\n`);
    process.exit(1);
  });
