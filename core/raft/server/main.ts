import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import * as v8 from 'v8';
import * as E from 'fp-ts/Either';
import { chooseLogLevel, createLogger } from '../../logging';
import { RaftNode } from '../raft-node';
import { RaftTrace } from '../trace';
import type { ReplicatedStateMachine } from '../state-machine';
import { AppendList } from './append-list';
import { KvMap } from './kv-map';
import { createPlainHttpServer } from './plain-http';

// A standalone Raft server process for the multi-process test and the
// benchmark: one node with its data directory, raft peers on one TCP port and
// a small HTTP API for clients on another (both port 0 unless given).
//
//   node core/raft/server/run.cjs --id 1 --dir /tmp/n1 --bootstrap 1,2,3 [--tick-ms 20] [--log-level LEVEL]
//     [--state-machine list|kv] [--snapshot-every N]
// prints {"id":1,"raftPort":..,"httpPort":..} on stdout, then reads peer
// addresses as JSON lines on stdin: {"peers":{"2":{"host":"127.0.0.1","port":4567}}}
//
// HTTP: POST /propose (body = value) -> 200 {"index":n} once applied here, 421 {"leader":id} if not leader;
//       with --state-machine kv, POST /kv/KEY (body = value) instead, as etcd's put;
//       GET /status -> NodeStatus; GET /values -> every applied value, or the map
//       (after a linearizable read barrier)
// HTTP/1.1 keep-alive with content-length bodies, served by plain-http.ts.
// RILL_RAFT_TRACE=<dir>: trace where each request's time goes (core/raft/trace.ts)
// and write the report to <dir>/node-<id>.json when the node stops.

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const logger = createLogger({ level: chooseLogLevel(arg('log-level')), bindings: { component: 'raft-server' } });

/** A key from the URL: percent-decoded, at most 65535 bytes. */
function kvKeyOf(encoded: string): string | Error {
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    return new Error(`the key ${JSON.stringify(encoded)} is not valid percent-encoding`);
  }
  const bytes = Buffer.byteLength(key);
  return bytes > 0xffff ? new Error(`a key is at most 65535 bytes, this one is ${bytes}`) : key;
}

function fatal(message: string): never {
  logger.fatal(message);
  process.exit(1);
}

/**
 * The old generation may grow to 4x its live size before a full collection,
 * as `rill broker` does (cli/broker-heap.ts): the Buffers in flight (request
 * bodies, append frames, WAL records) count against a limit a few MB above
 * the small live heap and otherwise start full collections every few hundred
 * puts at 1 KB. RILL_RAFT_HEAP_GROWING_PERCENT overrides it; 0 keeps V8's own.
 */
function setHeapGrowing(): void {
  const raw = process.env.RILL_RAFT_HEAP_GROWING_PERCENT ?? '300';
  const percent = Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > 10_000)
    fatal(`RILL_RAFT_HEAP_GROWING_PERCENT=${JSON.stringify(raw)}: expected a whole number of percent, 0 to 10000`);
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

async function main(): Promise<void> {
  setHeapGrowing();
  const id = Number(arg('id'));
  const dir = arg('dir');
  if (!Number.isInteger(id) || id <= 0) fatal('--id must be a positive integer');
  if (dir === undefined) fatal('--dir is required');
  const bootstrap = arg('bootstrap')?.split(',').map(Number);
  const tickMs = Number(arg('tick-ms') ?? 50);
  const kind = arg('state-machine') ?? 'list';
  if (kind !== 'list' && kind !== 'kv') fatal(`--state-machine is list or kv, not ${kind}`);
  const list = kind === 'list' ? new AppendList() : undefined;
  const kv = kind === 'kv' ? new KvMap() : undefined;
  const stateMachine = (list ?? kv) as ReplicatedStateMachine<number>;
  const trace = RaftTrace.fromEnv();
  const started = await RaftNode.start({
    id,
    dir,
    stateMachine,
    bootstrap,
    tickMs,
    snapshotEvery: Number(arg('snapshot-every') ?? 5000),
    trace,
  });
  if (E.isLeft(started)) fatal(started.left);
  const node = started.right;

  const server = createPlainHttpServer((req, res) => {
    const reply = (code: number, body: unknown) => res.respond(code, JSON.stringify(body));
    const kvKey = kv !== undefined && req.url.startsWith('/kv/') ? kvKeyOf(req.url.slice(4)) : undefined;
    if (kvKey instanceof Error) {
      reply(400, { error: kvKey.message });
      return;
    }
    if (req.method === 'POST' && (kvKey !== undefined || (list !== undefined && req.url === '/propose'))) {
      const arrived = trace?.now();
      // The body is a view of the bytes received: the list keeps a copy, the kv command is one.
      const command = kvKey === undefined ? Buffer.from(req.body) : KvMap.command(kvKey, req.body);
      node.submit(command, (r) => {
        const decided = trace?.now();
        if (E.isRight(r)) res.respond(200, `{"index":${r.right}}`);
        else reply(421, { error: r.left, leader: node.status().leader });
        if (arrived !== undefined && decided !== undefined) {
          trace?.since('http.respond', decided);
          trace?.since('http.total', arrived);
        }
      });
      return;
    }
    if (req.method === 'GET' && req.url === '/status') {
      reply(200, node.status());
      return;
    }
    if (req.method === 'GET' && req.url === '/values') {
      void node.readBarrier().then((r) => {
        if (E.isRight(r)) reply(200, list !== undefined ? { values: list.values } : { map: kv?.entries });
        else reply(421, { error: r.left, leader: node.status().leader });
      });
      return;
    }
    reply(404, { error: `no route ${req.method} ${req.url}` });
  });
  await new Promise<void>((resolve) => server.listen(Number(arg('http-port') ?? 0), '127.0.0.1', resolve));
  const httpPort = (server.address() as { port: number }).port;
  process.stdout.write(JSON.stringify({ id, raftPort: node.port, httpPort }) + '\n');

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let msg: { peers?: Record<string, { host: string; port: number }> };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      logger.warn('ignoring a control line that is not JSON');
      return;
    }
    for (const [peer, addr] of Object.entries(msg.peers ?? {})) {
      if (Number(peer) !== id) node.setPeer(Number(peer), addr);
    }
  });
  // The parent owns our lifetime: when it goes away, so do we.
  rl.on('close', () => {
    void node.stop().then(() => {
      const traceDir = process.env.RILL_RAFT_TRACE;
      if (trace !== undefined && traceDir !== undefined) {
        fs.writeFileSync(path.join(traceDir, `node-${id}.json`), JSON.stringify({ id, ...trace.report() }, null, 1));
      }
      process.exit(0);
    });
  });
}

void main();
