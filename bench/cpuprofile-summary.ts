// Summarises the .cpuprofile files node --cpu-prof wrote (bench/cluster.ts with
// BENCH_CPU_PROF=1): self time by function and by source file, over all the
// profiles in a directory, optionally only inside given time windows (in the
// monotonic clock's microseconds, which V8's profile timestamps and
// process.hrtime share on Linux).
//
//   node -r ./test/support/register-ts.js bench/cpuprofile-summary.ts DIR [TOP]
import * as fs from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  fn: string;
  where: string;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  profiles: number;
  /** Sampled milliseconds inside the windows (or the whole profiles), all processes together. */
  sampledMs: number;
  /** Share of the sampled time that was not idle. */
  busyPercent: number;
  /** Busy time by function, percent of busy time. */
  top: ProfileLine[];
  /** Busy time by source file (or V8/Node category), percent of busy time. */
  byFile: { where: string; selfMs: number; selfPercent: number }[];
}

const ROOT = path.resolve(__dirname, '..');

function whereOf(f: CallFrame): string {
  if (f.url === '') return f.functionName.startsWith('(') ? f.functionName : '(native)';
  let u = f.url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = path.relative(ROOT, u);
  return u;
}

export function summariseProfiles(dir: string, topN = 30, windows?: readonly (readonly [number, number])[]): ProfileSummary {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const file of files) {
    const prof = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const frames = new Map(prof.nodes.map((n) => [n.id, n.callFrame]));
    let t = prof.startTime;
    for (let i = 0; i < prof.samples.length; i++) {
      t += prof.timeDeltas[i];
      const dt = prof.timeDeltas[i + 1] ?? 0; // a sample stands for the time until the next one
      if (windows !== undefined && !windows.some(([a, b]) => t >= a && t <= b)) continue;
      const f = frames.get(prof.samples[i]);
      if (f === undefined) continue;
      total += dt;
      if (f.functionName === '(idle)') {
        idle += dt;
        continue;
      }
      const where = whereOf(f);
      const key = `${f.functionName}|${where}|${f.lineNumber}`;
      const e = byFn.get(key) ?? { fn: f.functionName || '(anonymous)', where: f.url === '' ? where : `${where}:${f.lineNumber + 1}`, us: 0 };
      e.us += dt;
      byFn.set(key, e);
      byFile.set(where, (byFile.get(where) ?? 0) + dt);
    }
  }
  const busy = Math.max(1, total - idle);
  const pct = (us: number) => +((100 * us) / busy).toFixed(1);
  return {
    profiles: files.length,
    sampledMs: Math.round(total / 1000),
    busyPercent: total > 0 ? +((100 * (total - idle)) / total).toFixed(1) : 0,
    top: [...byFn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((e) => ({ fn: e.fn, where: e.where, selfMs: Math.round(e.us / 1000), selfPercent: pct(e.us) })),
    byFile: [...byFile.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([where, us]) => ({ where, selfMs: Math.round(us / 1000), selfPercent: pct(us) })),
  };
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: bench/cpuprofile-summary.ts DIR [TOP]');
    process.exit(2);
  }
  console.log(JSON.stringify(summariseProfiles(dir, Number(process.argv[3] ?? 30)), null, 2));
}
