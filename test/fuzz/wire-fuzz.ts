// A structure-aware wire fuzzer for the embedded broker (issue 21).
//
// Frames are made with core/protocol's own codec: for every served API and
// version a request is generated from the API's schema (field names steer the
// values: topic names, partition counts, offsets, byte limits), then most are
// mutated — a field, an array count, a size, a truncation, flipped bits, a
// different version or key. Produce requests carry valid batches and hostile
// ones whose CRC is recomputed after their records were damaged.
//
// After each phase (connections that send their frames and close) it checks
// the invariants: the known data set reads back intact, RSS and open file
// descriptors (/proc/self/fd) stay within the configured bounds, no topic
// passes the partition limits, the memory pool is empty again, and the broker
// still answers a fresh client.
//
//   npm run fuzz:wire -- --frames 1000000 [--seed 1] [--connections 8]
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker } from '../../core/broker';
import { SeededRandom } from '../../core/raft';
import { crc32c, decodeRecordBatches, encodeRecordBatch } from '../../core/log';
import {
  APIS,
  ApiDefinition,
  Field,
  FieldType,
  KafkaConnection,
  KafkaServer,
  Writer,
  apis,
  encodeMessage,
  inRange,
  writeRequestHeader,
} from '../../core/protocol';

export interface FuzzOptions {
  frames: number;
  seed?: number;
  /** Connections sending at once. Default 8. */
  connections?: number;
  /** Most schema-valid frames a connection sends before its one mutated frame (a bad frame ends a connection). Default 8. */
  framesPerConnection?: number;
  /** Connections per phase (an invariant check after each). Default 32. */
  connectionsPerPhase?: number;
  log?: (message: string) => void;
}

export interface FuzzResult {
  frames: number;
  /** Frames that were mutated after encoding (the rest are schema-valid, with hostile values). */
  mutated: number;
  /** Responses the broker sent back. */
  responses: number;
  phases: number;
  connections: number;
  /** Connections the fuzzer had to cut after waiting (e.g. a frame whose size asks for more bytes than were sent). */
  cut: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  fdsStart: number;
  fdsMax: number;
  topics: number;
  partitions: number;
  violations: string[];
}

/** The bounds the fuzzed broker runs with; the invariants are checked against them. */
export const FUZZ_BOUNDS = {
  maxConnections: 32,
  maxConnectionsPerIp: 32,
  queuedMaxRequestBytes: 16 * 1024 * 1024,
  maxFrameBytes: 4 * 1024 * 1024,
  fetchMaxBytes: 1024 * 1024,
  maxBrokerPartitions: 400,
  maxPartitionsPerRequest: 100,
  maxOpenFiles: 64,
};
/** RSS may grow by this much over the start (heap, page cache of tmpfs files is not RSS). */
const RSS_HEADROOM_MB = 300;
const KNOWN_TOPIC = 'known-data-set';
const KNOWN_PARTITIONS = 3;
const KNOWN_RECORDS = 40;
/** APIs that change a topic (delete it, its records, its config, its partition count): they never name the known topic. */
const DESTRUCTIVE = new Set([20, 21, 32, 33, 37, 44]);

// ---------------------------------------------------------------- randomness

/** Seeded, so a run replays exactly (core/raft's mulberry32). */
type Rng = SeededRandom;

const INT32_EDGES = [0, 1, -1, 2, 3, 7, 100, 1026, 10_001, 0x7fff, 0x8000, 0x7fffffff, -0x80000000, 0x40000000];

// ---------------------------------------------------------------- generation

function topicName(rng: Rng, destructive: boolean): string {
  if (!destructive && rng.chance(0.3)) return KNOWN_TOPIC;
  return rng.pick(['fuzz-a', 'fuzz-b', 'fuzz-c', `fuzz-${rng.nextInt(50)}`, '', '.', '..', 'bad name!', 'x'.repeat(250), '__consumer_offsets', 'fuzz_a']);
}

function intFor(name: string, rng: Rng, bits: 8 | 16 | 32): number {
  const n = name.toLowerCase();
  let v: number;
  if (rng.chance(0.15)) v = rng.pick(INT32_EDGES);
  else if (n.includes('partition') && !n.includes('maxbytes')) v = rng.nextInt(4) - (rng.chance(0.1) ? 2 : 0);
  else if (n === 'numpartitions' || n === 'count') v = rng.pick([-1, 1, 2, 3, 5, 20, 60, 120, 1026]);
  else if (n.includes('maxbytes') || n === 'minbytes') v = rng.pick([0, 1, 1024, 1 << 20, 0x7fffffff]);
  else if (n.includes('waitms') || n.includes('timeout')) v = rng.pick([0, 0, 1, 10, 50]);
  else if (n.includes('replicationfactor')) v = rng.pick([-1, 1, 1, 3]);
  else if (n === 'acks') v = rng.pick([-1, 0, 1, 2]);
  else v = rng.nextInt(8) - 1;
  if (bits === 8) return (v << 24) >> 24;
  if (bits === 16) return (v << 16) >> 16;
  return v | 0;
}

/** One RecordBatch: valid, or with damaged records or header fields and a recomputed CRC. */
function batch(rng: Rng): Buffer {
  const records = Array.from({ length: 1 + rng.nextInt(4) }, (_, i) => ({
    key: rng.chance(0.5) ? Buffer.from(`k${i}`) : null,
    value: Buffer.alloc(rng.nextInt(64), rng.nextInt(256)),
    timestamp: Date.now() + rng.pick([0, 0, -8 * 86_400_000, 8 * 86_400_000, -Date.now()]),
    headers: rng.chance(0.2) ? [{ key: 'h', value: Buffer.from('v') }] : undefined,
  }));
  const b = encodeRecordBatch({ records, compression: rng.chance(0.2) ? 'gzip' : undefined });
  if (rng.chance(0.4)) return b;
  const hostile = Buffer.from(b);
  const what = rng.nextInt(5);
  if (what === 0)
    hostile.writeInt32BE(rng.pick([0x7fffffff, -1, 1000, 0]), 23); // lastOffsetDelta
  else if (what === 1)
    hostile.writeInt32BE(rng.pick([0, -1, 0x7fffffff, 1000]), 57); // record count
  else if (what === 2 && hostile.length > 62)
    hostile[61 + rng.nextInt(hostile.length - 61)] ^= 1 << rng.nextInt(8); // a record byte
  else if (what === 3 && hostile.length > 62)
    hostile[61] = rng.pick([0x7f, 0xff, 0x01]); // first record's length varint
  else hostile.writeBigInt64BE(BigInt(rng.pick([0, -1, 0x7fffffff])), 0); // base offset (outside the CRC)
  hostile.writeUInt32BE(crc32c(hostile.subarray(21)), 17);
  return hostile;
}

function valueOf(f: Field, type: FieldType, version: number, rng: Rng, destructive: boolean, depth: number): unknown {
  if (f.nullable && inRange(f.nullable, version) && rng.chance(0.05)) return null;
  if (type.kind === 'array') {
    const n = depth > 2 ? rng.nextInt(2) : rng.pick([0, 1, 1, 1, 2, 3, rng.nextInt(20)]);
    return Array.from({ length: n }, () => valueOf(f, type.element, version, rng, destructive, depth + 1));
  }
  if (type.kind === 'struct') {
    const out: Record<string, unknown> = {};
    for (const g of type.fields) if (inRange(g.versions, version)) out[g.name] = valueOf(g, g.type, version, rng, destructive, depth + 1);
    return out;
  }
  const n = f.name.toLowerCase();
  switch (type.name) {
    case 'int8':
      return intFor(f.name, rng, 8);
    case 'int16':
      return intFor(f.name, rng, 16);
    case 'uint16':
      return rng.nextInt(0x10000);
    case 'int32':
      return intFor(f.name, rng, 32);
    case 'uint32':
      return rng.nextInt(0x100000000);
    case 'int64':
      return rng.pick([0, 1, -1, -2, 5, 1000, Date.now(), 2 ** 40]);
    case 'float64':
      return rng.next();
    case 'bool':
      return rng.chance(0.5);
    case 'uuid':
      return rng.chance(0.8) ? '00000000000000000000000000000000' : Buffer.alloc(16, rng.nextInt(256)).toString('hex');
    case 'string':
      if (n.includes('topic') || n === 'name' || n === 'resourcename') return topicName(rng, destructive);
      if (n.includes('group')) return rng.pick(['g1', 'g2', '']);
      if (n.includes('memberid')) return rng.pick(['', 'm-1']);
      if (n === 'value' && rng.chance(0.5)) return rng.pick(['1', '-1', 'compact', 'delete', '1000', 'x']);
      return rng.pick(['', 'a', 'retention.ms', 'segment.bytes', 'cleanup.policy', 'consumer', 'range', '\n\u001b[31mforged']);
    case 'bytes':
      return Buffer.alloc(rng.nextInt(32), rng.nextInt(256));
    case 'records':
      return Buffer.concat(Array.from({ length: 1 + rng.nextInt(3) }, () => batch(rng)));
  }
}

function request(api: ApiDefinition, version: number, rng: Rng): object {
  const destructive = DESTRUCTIVE.has(api.key);
  const out: Record<string, unknown> = {};
  for (const f of api.request.fields) if (inRange(f.versions, version)) out[f.name] = valueOf(f, f.type, version, rng, destructive, 0);
  return out;
}

function frameOf(api: ApiDefinition, version: number, correlationId: number, body: object): Buffer {
  const w = new Writer();
  w.int32(0);
  writeRequestHeader(w, { apiKey: api.key, apiVersion: version, correlationId, clientId: 'fuzz' }, inRange(api.request.flexible, version));
  encodeMessage(api.request, version, body, w);
  const b = w.toBuffer();
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

/**
 * A frame of a served API, generated from its schema (field values steered by
 * their names, so most are plausible and some are edge cases); with `mutate`,
 * damaged after encoding as well.
 */
function fuzzFrame(rng: Rng, correlationId: number, mutate: boolean): Buffer {
  const api = rng.pick(APIS);
  const version = api.versions.min + rng.nextInt(api.versions.max - api.versions.min + 1);
  let frame: Buffer;
  try {
    frame = frameOf(api, version, correlationId, request(api, version, rng));
  } catch {
    // A generated value the encoder refuses (a name beyond int16 length): send the bare header.
    frame = frameOf(apis.apiVersions, 0, correlationId, {});
  }
  if (!mutate) return frame;
  const m = Buffer.from(frame);
  const body = 8; // size prefix + api key + version
  switch (rng.nextInt(8)) {
    case 0: // flip bits in the body
      for (let i = 0, n = 1 + rng.nextInt(8); i < n && m.length > body; i++) m[body + rng.nextInt(m.length - body)] ^= 1 << rng.nextInt(8);
      return m;
    case 1: // an edge int32 (counts, sizes, lengths) somewhere in the body
      if (m.length >= body + 4) m.writeInt32BE(rng.pick(INT32_EDGES), body + rng.nextInt(m.length - body - 3));
      return m;
    case 2: // an edge int16 (string lengths, keys)
      if (m.length >= body + 2) m.writeInt16BE(rng.pick([0, -1, 0x7fff, 1, 2]), body + rng.nextInt(m.length - body - 1));
      return m;
    case 3: {
      // truncated, with a size prefix that says so
      const cut = m.subarray(0, 4 + rng.nextInt(m.length - 3));
      if (cut.length >= 4) cut.writeInt32BE(cut.length - 4, 0);
      return Buffer.from(cut);
    }
    case 4: // garbage appended inside the frame
      return withSize(Buffer.concat([m, Buffer.alloc(1 + rng.nextInt(64), rng.nextInt(256))]));
    case 5: // another version or key
      if (rng.chance(0.5)) m.writeInt16BE(rng.pick([-1, 0, 1, 3, 9, 12, 16, 100]), 6);
      else m.writeInt16BE(rng.pick([-1, 2, 7, 17, 22, 50, 1000]), 4);
      return m;
    case 6: // a size prefix that lies (too small: the next frame starts mid-body; large: more bytes are awaited)
      m.writeInt32BE(rng.pick([0, 1, 7, 8, m.length - 5, m.length + 10, FUZZ_BOUNDS.maxFrameBytes, FUZZ_BOUNDS.maxFrameBytes + 1, 0x7fffffff, -1]), 0);
      return m;
    default: // random bytes after a plausible header
      for (let i = body; i < m.length; i++) if (rng.chance(0.3)) m[i] = rng.nextInt(256);
      return m;
  }
}

function withSize(b: Buffer): Buffer {
  b.writeInt32BE(b.length - 4, 0);
  return b;
}

// ---------------------------------------------------------------- running

const rssMb = (): number => Math.round(process.memoryUsage().rss / 1024 / 1024);
const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

/** Sends `frames` on one connection, ends it, and resolves once it is closed (cut after `waitMs`), with the responses counted. */
function sendAndClose(port: number, frames: Buffer[], waitMs: number): Promise<{ cut: boolean; responses: number }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let cut = false;
    let responses = 0;
    let pending: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      cut = true;
      socket.destroy();
    }, waitMs);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        pending = pending.subarray(4 + pending.readInt32BE(0));
        responses++;
      }
    });
    socket.once('connect', () => {
      socket.write(Buffer.concat(frames));
      socket.end();
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ cut, responses });
    });
  });
}

async function knownDataIntact(broker: Broker, bootstrap: string): Promise<string | undefined> {
  for (let p = 0; p < KNOWN_PARTITIONS; p++) {
    const part = broker.topics.partition(KNOWN_TOPIC, p);
    if (part._tag === 'Left') return `${KNOWN_TOPIC}-${p} is gone: ${part.left.message}`;
    // Record by record: what the fuzzer appended after them (hostile batches among it) is not the known set.
    for (let i = 0; i < KNOWN_RECORDS; i++) {
      const decoded = decodeRecordBatches(part.right.read(i, 1));
      if (decoded._tag === 'Left') return `${KNOWN_TOPIC}-${p} offset ${i} does not decode: ${decoded.left.message}`;
      const value = decoded.right[0]?.records.find((r) => r.offset === i)?.value?.toString();
      if (value !== `known-${p}-${i}`) return `${KNOWN_TOPIC}-${p} offset ${i} is ${value}`;
    }
  }
  // Over the wire too: a fresh client is answered.
  const client = await KafkaConnection.connect(bootstrap);
  try {
    const md: any = await client.request(apis.metadata, {
      topics: [{ name: KNOWN_TOPIC }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    const t = md.topics.find((x: any) => x.name === KNOWN_TOPIC);
    if (!t || t.errorCode !== 0 || t.partitions.length !== KNOWN_PARTITIONS)
      return `Metadata of ${KNOWN_TOPIC} over the wire: ${JSON.stringify(t)?.slice(0, 200)}`;
  } finally {
    client.close();
  }
  return undefined;
}

export async function runWireFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? (() => {});
  const rng = new SeededRandom(options.seed ?? 1);
  const parallel = options.connections ?? 8;
  const perConnection = options.framesPerConnection ?? 8;
  const perPhase = options.connectionsPerPhase ?? 32;
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'rill-fuzz-'));
  const { maxConnections, maxConnectionsPerIp, queuedMaxRequestBytes, maxFrameBytes, ...limits } = FUZZ_BOUNDS;
  const broker = Broker.open({ dir, limits, onWarning: () => undefined });
  let server: KafkaServer | undefined;
  const violations: string[] = [];
  const result: FuzzResult = {
    frames: 0,
    mutated: 0,
    responses: 0,
    phases: 0,
    connections: 0,
    cut: 0,
    rssStartMb: 0,
    rssEndMb: 0,
    rssMaxMb: 0,
    fdsStart: 0,
    fdsMax: 0,
    topics: 0,
    partitions: 0,
    violations,
  };
  try {
    server = await KafkaServer.start({
      broker,
      port: 0,
      host: '127.0.0.1',
      maxConnections,
      maxConnectionsPerIp,
      queuedMaxRequestBytes,
      maxFrameBytes,
      idleTimeoutMs: 5000,
    });
    const bootstrap = `127.0.0.1:${server.port}`;
    broker.createTopic({ name: KNOWN_TOPIC, partitions: KNOWN_PARTITIONS });
    for (let p = 0; p < KNOWN_PARTITIONS; p++) {
      for (let i = 0; i < KNOWN_RECORDS; i++)
        broker.produce(KNOWN_TOPIC, p, encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`known-${p}-${i}`) }] }));
    }
    result.rssStartMb = result.rssMaxMb = rssMb();
    result.fdsStart = result.fdsMax = openFds();
    const fdBound = result.fdsStart + limits.maxOpenFiles + maxConnections + parallel + 16;
    let correlation = 0;
    while (result.frames < options.frames && violations.length === 0) {
      // One phase: perPhase connections, `parallel` at a time.
      let started = 0;
      const worker = async (): Promise<void> => {
        while (started < perPhase && result.frames < options.frames) {
          started++;
          // Valid frames first, then (usually) one mutated frame: what follows a bad frame is never read.
          const n = Math.min(1 + rng.nextInt(perConnection), options.frames - result.frames);
          const mutated = rng.chance(0.75) ? 1 : 0;
          const frames = Array.from({ length: n }, (_, i) => fuzzFrame(rng, correlation++ & 0x7fffffff, mutated === 1 && i === n - 1));
          result.frames += n;
          result.mutated += mutated;
          result.connections++;
          const outcome = await sendAndClose(server!.port, frames, 3000);
          result.responses += outcome.responses;
          if (outcome.cut) result.cut++;
          result.fdsMax = Math.max(result.fdsMax, openFds());
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
      result.phases++;
      // Invariants.
      const bad = await knownDataIntact(broker, bootstrap);
      if (bad) violations.push(`phase ${result.phases}: ${bad}`);
      const rss = rssMb();
      result.rssMaxMb = Math.max(result.rssMaxMb, rss);
      if (rss > result.rssStartMb + RSS_HEADROOM_MB)
        violations.push(`phase ${result.phases}: RSS ${rss} MB, above ${result.rssStartMb} + ${RSS_HEADROOM_MB} MB`);
      const fds = openFds();
      result.fdsMax = Math.max(result.fdsMax, fds);
      if (result.fdsMax > fdBound) violations.push(`phase ${result.phases}: ${result.fdsMax} open descriptors, above ${fdBound}`);
      if (broker.fileHandles.openCount > limits.maxOpenFiles) violations.push(`phase ${result.phases}: ${broker.fileHandles.openCount} open segment files`);
      if (broker.topics.totalPartitions > limits.maxBrokerPartitions)
        violations.push(`phase ${result.phases}: ${broker.topics.totalPartitions} partitions, above max.broker.partitions`);
      if (server.pool.highWater > queuedMaxRequestBytes) violations.push(`phase ${result.phases}: the memory pool reached ${server.pool.highWater} bytes`);
      const drained = await settle(() => server!.connectionCount === 0 && server!.pool.usedBytes === 0, 5000);
      if (!drained)
        violations.push(
          `phase ${result.phases}: ${server.connectionCount} connection(s) and ${server.pool.usedBytes} pool bytes left after every client closed`,
        );
      if (result.phases % 20 === 0) {
        log(
          `${result.frames} frames, ${result.phases} phases, RSS ${rss} MB (start ${result.rssStartMb}), fds ${fds} (max ${result.fdsMax}), ${broker.topics.totalPartitions} partitions, ${result.cut} cut`,
        );
        // Room for more topics to be created: drop the fuzz topics (the known one stays).
        for (const name of broker.listTopics()) if (name !== KNOWN_TOPIC) broker.deleteTopic(name);
      }
    }
    result.topics = broker.listTopics().length;
    result.partitions = broker.topics.totalPartitions;
    result.rssEndMb = rssMb();
    return result;
  } finally {
    await server?.close(1000);
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function settle(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

if (require.main === module) {
  const arg = (name: string, dflt: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const started = Date.now();
  runWireFuzz({ frames: arg('frames', 100_000), seed: arg('seed', 1), connections: arg('connections', 8), log: (m) => console.log(m) }).then(
    (r) => {
      console.log(JSON.stringify({ ...r, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
      process.exit(r.violations.length === 0 ? 0 : 1);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
