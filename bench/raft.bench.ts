import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

// Rill Raft vs etcd 3.4, side by side in one run: a 3-node cluster of each on
// loopback, the same number of concurrent clients writing small values to the
// leader over HTTP/1.1 keep-alive, the same client code. Reports commits/s
// and p50/p99 latency to bench/results/raft.json.
//
//   npm run bench:raft [-- --clients 32 --seconds 10 --value-bytes 16]

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const CLIENTS = arg('clients', 32);
const SECONDS = arg('seconds', 10);
const WARMUP_SECONDS = arg('warmup', 2);
const VALUE_BYTES = arg('value-bytes', 16);
const ROOT = path.resolve(__dirname, '..');
const SERVER = path.join(ROOT, 'core/raft/server/run.cjs');

const children: ChildProcess[] = [];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));
  await new Promise((r) => s.close(r));
  return port;
}

interface Target {
  readonly port: number;
  readonly path: string;
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
}

/** CLIENTS closed-loop writers against one endpoint; latency of every op after warm-up. */
async function load(target: Target): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let errors = 0;
  let seq = 0;
  const start = Date.now();
  const measureFrom = start + WARMUP_SECONDS * 1000;
  const end = measureFrom + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        const res = await request(agent, target.port, 'POST', target.path, target.body(seq++)).catch(() => ({ status: 0, text: '' }));
        const t1 = process.hrtime.bigint();
        if (res.status !== 200) errors++;
        else if (Date.now() >= measureFrom && Date.now() < end) latencies.push(Number(t1 - t0) / 1e6);
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => +(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(2);
  return { commitsPerSec: Math.round(latencies.length / SECONDS), p50Ms: q(0.5), p99Ms: q(0.99), ops: latencies.length, errors };
}

function value(seq: number): string {
  return `v${seq}`.padEnd(VALUE_BYTES, '.').slice(0, VALUE_BYTES);
}

async function rillCluster(dir: string): Promise<Target> {
  const info: { raftPort: number; httpPort: number }[] = [];
  const ids = [1, 2, 3];
  for (const id of ids) {
    const child = spawn(process.execPath, [SERVER, '--id', String(id), '--dir', path.join(dir, `rill-${id}`), '--bootstrap', '1,2,3', '--tick-ms', '50'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
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
      if (s && (JSON.parse(s.text) as { role: string }).role === 'leader') {
        return { port: i.httpPort, path: '/propose', body: (seq) => Buffer.from(value(seq)) };
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
          path: '/v3/kv/put',
          body: (seq) => Buffer.from(JSON.stringify({ key: b64(`k${seq % 1000}`), value: b64(value(seq)) })),
        };
      }
    }
    await pause(50);
  }
  throw new Error('the etcd cluster elected no leader (is etcd-server installed? apt-get install etcd-server)');
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-raft-bench-'));
  let etcdVersion = 'not installed';
  try {
    etcdVersion = execFileSync('etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    // reported below
  }
  try {
    process.stdout.write(`${CLIENTS} clients, ${VALUE_BYTES}-byte values, ${WARMUP_SECONDS}s warm-up + ${SECONDS}s per system\n`);
    const rill = await load(await rillCluster(dir));
    process.stdout.write(`rill raft: ${rill.commitsPerSec} commits/s, p50 ${rill.p50Ms} ms, p99 ${rill.p99Ms} ms\n`);
    cleanup();
    let etcd: Result | undefined;
    if (etcdVersion !== 'not installed') {
      etcd = await load(await etcdCluster(dir));
      process.stdout.write(`etcd:      ${etcd.commitsPerSec} commits/s, p50 ${etcd.p50Ms} ms, p99 ${etcd.p99Ms} ms\n`);
    } else {
      process.stdout.write('etcd is not installed (apt-get install etcd-server): only Rill was measured\n');
    }
    const out = {
      benchmark: 'raft',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
      workload: {
        clients: CLIENTS,
        valueBytes: VALUE_BYTES,
        warmupSeconds: WARMUP_SECONDS,
        seconds: SECONDS,
        nodes: 3,
        transport: 'HTTP/1.1 keep-alive to the leader, loopback',
      },
      etcdVersion,
      rill,
      etcd: etcd ?? null,
      rillOverEtcdCommits: etcd ? +(rill.commitsPerSec / etcd.commitsPerSec).toFixed(2) : null,
    };
    fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench/results/raft.json'), JSON.stringify(out, null, 2) + '\n');
    process.stdout.write(`wrote bench/results/raft.json${out.rillOverEtcdCommits !== null ? ` (Rill/etcd commits ratio ${out.rillOverEtcdCommits})` : ''}\n`);
  } finally {
    cleanup();
    await pause(200);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:raft failed: ${e instanceof Error ? e.message : String(e)}\n`);
  cleanup();
  process.exit(1);
});
