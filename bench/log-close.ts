// The clean close of many replica logs (issue #19, a 10,000-partition broker's
// SIGTERM): close() one after another on the event loop, as a broker did,
// against closeLogsAsync() (closeAsync() with LOG_CLOSE_CONCURRENCY logs in
// flight), as cluster and single-node brokers do now. Each round opens N replicated logs (the same directories each round),
// writes one record to each (a bench:partitions broker after its writes) and
// closes them one way; rounds alternate. Reported per round: the wall time, the longest the event loop
// was held (the largest gap between two timer turns: heartbeats wait that
// long), and CPU. The machine is shared, so wall times are noisy; the
// event-loop figure is the point.
//
//   node -r ./test/support/register-ts.js bench/log-close.ts [logs, default 2000]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeLogsAsync, LOG_CLOSE_CONCURRENCY, LogDirCheckpoints, PartitionLog } from '../core/log';

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = 3;

function openAll(dir: string, checkpoints: LogDirCheckpoints): PartitionLog[] {
  const logs: PartitionLog[] = [];
  for (let i = 0; i < N; i++) {
    const log = PartitionLog.open(path.join(dir, `t-${i}`), {}, { replicated: true, dirCheckpoints: checkpoints });
    // One record more each round: every close has records to make durable, as a broker's after writes.
    log.appendRecords([{ key: null, value: Buffer.from(`record ${i}`) }]);
    logs.push(log);
  }
  return logs;
}

/** The longest gap between two turns of a 1 ms timer while `work` runs. */
async function longestStall(work: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work();
    longest = Math.max(longest, performance.now() - last);
  } finally {
    clearInterval(timer);
  }
  return longest;
}

async function closeRound(dir: string, way: 'sync' | 'async') {
  const checkpoints = new LogDirCheckpoints(dir, {});
  const logs = openAll(dir, checkpoints);
  // Let the background leader-epoch and other writes of the open settle.
  await new Promise((r) => setTimeout(r, 500));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const stallMs = await longestStall(async () => {
    if (way === 'sync') {
      for (const log of logs) log.close();
      return;
    }
    const failures = await closeLogsAsync(logs);
    if (failures.length > 0) throw failures[0].error;
  });
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  checkpoints.write();
  return { way, wallMs: Math.round(wallMs), longestEventLoopStallMs: Math.round(stallMs), cpuMs: Math.round((c.user + c.system) / 1000) };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-close-'));
  const loadAtStart = Number(os.loadavg()[0].toFixed(1));
  const rounds: Awaited<ReturnType<typeof closeRound>>[] = [];
  try {
    // Not counted: the first close of new logs also makes their new files and directories durable (ten times slower).
    await closeRound(dir, 'async');
    for (let r = 0; r < ROUNDS; r++)
      for (const way of r % 2 === 0 ? (['sync', 'async'] as const) : (['async', 'sync'] as const)) rounds.push(await closeRound(dir, way));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (way: string, key: 'wallMs' | 'longestEventLoopStallMs' | 'cpuMs') => median(rounds.filter((x) => x.way === way).map((x) => x[key]));
  const result = {
    bench: 'log-close',
    command: `node -r ./test/support/register-ts.js bench/log-close.ts ${N}`,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length },
    loadAverage: { atStart: loadAtStart, atEnd: Number(os.loadavg()[0].toFixed(1)) },
    logs: N,
    concurrency: LOG_CLOSE_CONCURRENCY,
    medians: {
      sync: { wallMs: of('sync', 'wallMs'), longestEventLoopStallMs: of('sync', 'longestEventLoopStallMs'), cpuMs: of('sync', 'cpuMs') },
      async: { wallMs: of('async', 'wallMs'), longestEventLoopStallMs: of('async', 'longestEventLoopStallMs'), cpuMs: of('async', 'cpuMs') },
    },
    rounds,
  };
  console.log(JSON.stringify(result, null, 2));
  fs.writeFileSync(path.join(__dirname, 'results', 'log-close.json'), `${JSON.stringify(result, null, 2)}\n`);
}

void main();
