import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

// Rill Raft vs etcd 3.4, side by side: a 3-node cluster of each on loopback,
// the same number of concurrent clients putting values of the same size to
// the leader over HTTP/1.1 keep-alive, the same client code, the same keys
// (k0..k999 overwritten in turn: Rill's server runs its kv state machine). The machine is
// shared and loaded, so the two run in alternating rounds (Rill first in even
// rounds, etcd first in odd ones) and each round's ratios compare runs that
// suffered about the same load. Reports every round, the median of the
// per-round figures and of the per-round ratios, and the load average, to
// bench/results/raft.json (or --out).
//
//   npm run bench:raft [-- --clients 64 --value-bytes 100 --rounds 3 --seconds 10 --warmup 2 --out FILE]
//   --trace: the Rill nodes record per-phase latency histograms, GC pauses and
//   event-loop delay (RILL_RAFT_TRACE) and the leader's report is printed and
//   stored with its round. Tracing costs a little CPU: compare ratios without it.
//   --profile DIR: the Rill nodes write a CPU profile (node --cpu-prof) and a
//   sampling allocation profile (bench/alloc-sampler.cjs) each into DIR.
// Every round also reports what the Rill leader allocated and its CPU per
// acknowledged put (bench/gc-meter.cjs, preloaded): steadier evidence than
// latency on a loaded machine.

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

const CLIENTS = arg('clients', 64);
const SECONDS = arg('seconds', 10);
const WARMUP_SECONDS = arg('warmup', 2);
const VALUE_BYTES = arg('value-bytes', 100);
const ROUNDS = arg('rounds', 3);
const TRACE = process.argv.includes('--trace');
const outIndex = process.argv.indexOf('--out');
const profileIndex = process.argv.indexOf('--profile');
const PROFILE_DIR = profileIndex >= 0 ? path.resolve(process.argv[profileIndex + 1]) : undefined;
const ROOT = path.resolve(__dirname, '..');
const OUT = outIndex >= 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(ROOT, 'bench/results/raft.json');
const SERVER = path.join(ROOT, 'core/raft/server/run.cjs');
const GC_METER = path.join(ROOT, 'bench/gc-meter.cjs');
const ALLOC_SAMPLER = path.join(ROOT, 'bench/alloc-sampler.cjs');

const children: ChildProcess[] = [];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', cleanup);

/** Ask every child to stop (a Rill node stops when its stdin closes, writing its trace) and wait, SIGKILL after 5 s. */
async function stopAll(): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      if (c.stdin) c.stdin.end();
      else c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
process.on('SIGINT', () => process.exit(130));

async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));
  await new Promise((r) => s.close(r));
  return port;
}

interface Target {
  readonly port: number;
  readonly path: (seq: number) => string;
  readonly body: (seq: number) => Buffer;
}

function request(agent: http.Agent, port: number, method: string, p: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, agent, headers: body ? { 'content-length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Result {
  commitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ops: number;
  errors: number;
  /** CPU (user + system) of the cluster's three server processes per acknowledged put, warm-up included: what the load cannot move. */
  serverCpuMsPerCommit: number;
  /** Puts acknowledged, warm-up included (the divisor of the per-commit figures). */
  acknowledged: number;
}

/** The Rill leader's own cost per acknowledged put, warm-up included (Rill only). */
interface LeaderCost {
  readonly cpuMsPerCommit: number;
  /** V8 heap bytes allocated (bench/gc-meter.cjs). */
  readonly heapBytesPerCommit: number;
  /** Buffers outside the heap (external memory) allocated. */
  readonly externalBytesPerCommit: number;
  readonly gcMsPerCommit: number;
  readonly collections: number;
  readonly fullCollections: number;
}

/** User + system CPU ms of process `pid` so far (Linux /proc; 0 elsewhere or once it exited). */
function processCpuMs(pid: number | undefined): number {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerMs;
  } catch {
    return 0;
  }
}

/** User + system CPU ms of the running children so far. */
function childrenCpuMs(): number {
  let ms = 0;
  for (const c of children) ms += processCpuMs(c.pid);
  return ms;
}

/** CLIENTS closed-loop writers against one endpoint; latency of every op after warm-up. */
async function load(target: Target): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let errors = 0;
  let seq = 0;
  let acknowledged = 0;
  const cpuBefore = childrenCpuMs();
  const start = Date.now();
  const measureFrom = start + WARMUP_SECONDS * 1000;
  const end = measureFrom + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        const n = seq++;
        const res = await request(agent, target.port, 'POST', target.path(n), target.body(n)).catch(() => ({ status: 0, text: '' }));
        const t1 = process.hrtime.bigint();
        if (res.status !== 200) {
          errors++;
          continue;
        }
        acknowledged++;
        if (Date.now() >= measureFrom && Date.now() < end) latencies.push(Number(t1 - t0) / 1e6);
      }
    }),
  );
  const cpuMs = childrenCpuMs() - cpuBefore;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => +(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(2);
  return {
    commitsPerSec: Math.round(latencies.length / SECONDS),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    ops: latencies.length,
    errors,
    serverCpuMsPerCommit: +(cpuMs / Math.max(1, acknowledged)).toFixed(3),
    acknowledged,
  };
}

function value(seq: number): string {
  return `v${seq}`.padEnd(VALUE_BYTES, '.').slice(0, VALUE_BYTES);
}

async function rillCluster(dir: string, traceDir: string | undefined, gcDir: string): Promise<Target & { leader: number; leaderPid: number }> {
  const info: { raftPort: number; httpPort: number }[] = [];
  const ids = [1, 2, 3];
  const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '-r', ALLOC_SAMPLER];
  for (const id of ids) {
    const child = spawn(
      process.execPath,
      [
        ...profile,
        '-r',
        GC_METER,
        SERVER,
        '--id',
        String(id),
        '--dir',
        path.join(dir, `rill-${id}`),
        '--bootstrap',
        '1,2,3',
        '--tick-ms',
        '50',
        '--state-machine',
        'kv',
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: {
          ...process.env,
          RILL_BENCH_GC_DIR: gcDir,
          ...(traceDir === undefined ? {} : { RILL_RAFT_TRACE: traceDir }),
          ...(PROFILE_DIR === undefined ? {} : { RILL_BENCH_ALLOC_DIR: PROFILE_DIR }),
        },
      },
    );
    children.push(child);
    const line = await new Promise<string>((r) => readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', r));
    info.push(JSON.parse(line) as { raftPort: number; httpPort: number });
  }
  const peers = Object.fromEntries(ids.map((id, k) => [id, { host: '127.0.0.1', port: info[k].raftPort }]));
  for (const c of children.slice(-3)) c.stdin?.write(JSON.stringify({ peers }) + '\n');
  const agent = new http.Agent({ keepAlive: false });
  for (let attempt = 0; attempt < 200; attempt++) {
    for (const i of info) {
      const s = await request(agent, i.httpPort, 'GET', '/status').catch(() => undefined);
      const st = s && (JSON.parse(s.text) as { id: number; role: string });
      if (st && st.role === 'leader') {
        // The same work as etcd's put below: 1000 keys overwritten in turn.
        const leaderPid = children[children.length - 3 + (st.id - 1)].pid as number;
        return { port: i.httpPort, path: (seq) => `/kv/k${seq % 1000}`, body: (seq) => Buffer.from(value(seq)), leader: st.id, leaderPid };
      }
    }
    await pause(50);
  }
  throw new Error('the Rill cluster elected no leader');
}

async function etcdCluster(dir: string): Promise<Target> {
  const names = ['e1', 'e2', 'e3'];
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), peer: await freePort() })));
  const initial = names.map((n, k) => `${n}=http://127.0.0.1:${ports[k].peer}`).join(',');
  names.forEach((name, k) => {
    const child = spawn(
      'etcd',
      [
        '--name',
        name,
        '--data-dir',
        path.join(dir, name),
        '--listen-client-urls',
        `http://127.0.0.1:${ports[k].client}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${ports[k].client}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${ports[k].peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${ports[k].peer}`,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'rill-bench',
        '--log-level',
        'error',
      ],
      { stdio: 'ignore' }, // etcd's raft logs to stderr regardless of --log-level
    );
    children.push(child);
  });
  const agent = new http.Agent({ keepAlive: false });
  for (let attempt = 0; attempt < 200; attempt++) {
    for (const p of ports) {
      const s = await request(agent, p.client, 'POST', '/v3/maintenance/status', Buffer.from('{}')).catch(() => undefined);
      if (s?.status !== 200) continue;
      const st = JSON.parse(s.text) as { header?: { member_id?: string }; leader?: string };
      if (st.leader !== undefined && st.leader !== '0' && st.leader === st.header?.member_id) {
        const b64 = (x: string) => Buffer.from(x).toString('base64');
        return {
          port: p.client,
          path: () => '/v3/kv/put',
          body: (seq) => Buffer.from(JSON.stringify({ key: b64(`k${seq % 1000}`), value: b64(value(seq)) })),
        };
      }
    }
    await pause(50);
  }
  throw new Error('the etcd cluster elected no leader (is etcd-server installed? apt-get install etcd-server)');
}

interface Round {
  readonly round: number;
  readonly order: string;
  readonly loadAverage1m: { start: number; end: number };
  readonly rill: Result;
  readonly rillLeader: LeaderCost | undefined;
  readonly etcd: Result;
  readonly p99RillOverEtcd: number;
  readonly commitsRillOverEtcd: number;
  readonly rillTrace?: unknown;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return +(s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2).toFixed(3);
};
const loadAvg = () => +os.loadavg()[0].toFixed(2);

interface GcTotals {
  collections: number;
  gcMs: number;
  allocatedBytes: number;
  externalBytes: number;
  byType: Record<string, number>;
}

/** A process's gc-meter totals so far (undefined before its first report). */
function gcTotals(gcFile: string): GcTotals | undefined {
  try {
    return JSON.parse(fs.readFileSync(gcFile, 'utf8')) as GcTotals;
  } catch {
    return undefined;
  }
}

/**
 * The leader's cost per acknowledged put: its CPU and the growth of its
 * gc-meter totals from the load's start (startup and compiling excluded)
 * to after it stopped.
 */
function leaderCost(cpuMs: number, before: GcTotals | undefined, after: GcTotals | undefined, acknowledged: number): LeaderCost | undefined {
  if (before === undefined || after === undefined) return undefined;
  const per = (pick: (g: GcTotals) => number, digits: number) => +((pick(after) - pick(before)) / Math.max(1, acknowledged)).toFixed(digits);
  return {
    cpuMsPerCommit: +(cpuMs / Math.max(1, acknowledged)).toFixed(4),
    heapBytesPerCommit: per((g) => g.allocatedBytes, 0),
    externalBytesPerCommit: per((g) => g.externalBytes, 0),
    gcMsPerCommit: per((g) => g.gcMs, 5),
    collections: after.collections - before.collections,
    fullCollections: (after.byType.MarkSweepCompact ?? 0) - (before.byType.MarkSweepCompact ?? 0),
  };
}

async function runRill(dir: string, round: number): Promise<{ result: Result; leader: LeaderCost | undefined; trace?: unknown }> {
  const traceDir = TRACE ? path.join(dir, `trace-${round}`) : undefined;
  if (traceDir) fs.mkdirSync(traceDir, { recursive: true });
  const gcDir = path.join(dir, `gc-${round}`);
  fs.mkdirSync(gcDir, { recursive: true });
  const target = await rillCluster(path.join(dir, `round-${round}`), traceDir, gcDir);
  const gcFile = path.join(gcDir, `${target.leaderPid}.json`);
  const gcBefore = gcTotals(gcFile);
  const cpuBefore = processCpuMs(target.leaderPid);
  const result = await load(target);
  const leaderCpuMs = processCpuMs(target.leaderPid) - cpuBefore;
  await stopAll();
  const leader = leaderCost(leaderCpuMs, gcBefore, gcTotals(gcFile), result.acknowledged);
  if (traceDir === undefined) return { result, leader };
  const file = path.join(traceDir, `node-${target.leader}.json`);
  const trace = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as unknown) : undefined;
  const followers = [1, 2, 3].filter((id) => id !== target.leader).map((id) => path.join(traceDir, `node-${id}.json`));
  const followerTraces = followers.filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as unknown);
  return { result, leader, trace: { leader: trace, followers: followerTraces } };
}

async function runEtcd(dir: string, round: number): Promise<Result> {
  const result = await load(await etcdCluster(path.join(dir, `round-${round}`)));
  await stopAll();
  return result;
}

function line(name: string, r: Result): string {
  return `${name.padEnd(5)} ${String(r.commitsPerSec).padStart(6)} commits/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, server CPU ${r.serverCpuMsPerCommit} ms/commit${r.errors > 0 ? `, ${r.errors} errors` : ''}`;
}

async function main(): Promise<void> {
  let etcdVersion: string;
  try {
    etcdVersion = execFileSync('etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error('etcd is not installed (apt-get install etcd-server): bench:raft compares against it');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-raft-bench-'));
  const rounds: Round[] = [];
  try {
    process.stdout.write(`${CLIENTS} clients, ${VALUE_BYTES}-byte values, ${WARMUP_SECONDS}s warm-up + ${SECONDS}s per system, ${ROUNDS} alternating rounds\n`);
    for (let round = 0; round < ROUNDS; round++) {
      const start = loadAvg();
      const rillFirst = round % 2 === 0;
      const first = rillFirst ? await runRill(dir, round) : undefined;
      const etcd = await runEtcd(dir, round);
      const rill = first ?? (await runRill(dir, round));
      const r: Round = {
        round,
        order: rillFirst ? 'rill, etcd' : 'etcd, rill',
        loadAverage1m: { start, end: loadAvg() },
        rill: rill.result,
        rillLeader: rill.leader,
        etcd,
        p99RillOverEtcd: +(rill.result.p99Ms / etcd.p99Ms).toFixed(2),
        commitsRillOverEtcd: +(rill.result.commitsPerSec / etcd.commitsPerSec).toFixed(2),
        ...(rill.trace === undefined ? {} : { rillTrace: rill.trace }),
      };
      rounds.push(r);
      process.stdout.write(`round ${round} (${r.order}; load ${r.loadAverage1m.start} -> ${r.loadAverage1m.end})\n`);
      process.stdout.write(`  ${line('rill', r.rill)}\n  ${line('etcd', r.etcd)}\n`);
      process.stdout.write(`  rill/etcd: p99 ${r.p99RillOverEtcd}, commits ${r.commitsRillOverEtcd}\n`);
      if (r.rillLeader !== undefined) process.stdout.write(`  rill leader per commit: ${JSON.stringify(r.rillLeader)}\n`);
      if (TRACE) process.stdout.write(`  rill trace: ${JSON.stringify(rill.trace)}\n`);
    }
    const med = (pick: (r: Round) => number) => median(rounds.map(pick));
    const summarize = (pick: (r: Round) => Result) => ({
      commitsPerSec: med((r) => pick(r).commitsPerSec),
      p50Ms: med((r) => pick(r).p50Ms),
      p99Ms: med((r) => pick(r).p99Ms),
      serverCpuMsPerCommit: med((r) => pick(r).serverCpuMsPerCommit),
    });
    const summary = {
      rill: summarize((r) => r.rill),
      etcd: summarize((r) => r.etcd),
      p99RillOverEtcd: med((r) => r.p99RillOverEtcd),
      commitsRillOverEtcd: med((r) => r.commitsRillOverEtcd),
      rillLeader: {
        cpuMsPerCommit: med((r) => r.rillLeader?.cpuMsPerCommit ?? NaN),
        heapBytesPerCommit: med((r) => r.rillLeader?.heapBytesPerCommit ?? NaN),
        externalBytesPerCommit: med((r) => r.rillLeader?.externalBytesPerCommit ?? NaN),
        gcMsPerCommit: med((r) => r.rillLeader?.gcMsPerCommit ?? NaN),
      },
    };
    const out = {
      benchmark: 'raft',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
      workload: {
        clients: CLIENTS,
        valueBytes: VALUE_BYTES,
        warmupSeconds: WARMUP_SECONDS,
        seconds: SECONDS,
        rounds: ROUNDS,
        nodes: 3,
        transport: 'HTTP/1.1 keep-alive to the leader, loopback',
        traced: TRACE,
      },
      etcdVersion,
      loadAverage1m: { min: Math.min(...rounds.map((r) => r.loadAverage1m.start)), max: Math.max(...rounds.map((r) => r.loadAverage1m.end)) },
      medianOfRounds: summary,
      rounds,
    };
    process.stdout.write(
      `median of ${ROUNDS} rounds: rill ${summary.rill.commitsPerSec} commits/s p99 ${summary.rill.p99Ms} ms; etcd ${summary.etcd.commitsPerSec} commits/s p99 ${summary.etcd.p99Ms} ms; rill/etcd p99 ${summary.p99RillOverEtcd}, commits ${summary.commitsRillOverEtcd}\n`,
    );
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
    process.stdout.write(`wrote ${path.relative(process.cwd(), OUT)}\n`);
  } finally {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:raft failed: ${e instanceof Error ? e.message : String(e)}\n`);
  cleanup();
  process.exit(1);
});
