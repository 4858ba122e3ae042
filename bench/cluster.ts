// npm run bench:cluster — a real Rill cluster on loopback (3 controllers + 3
// brokers, each its own `rill broker` process), measured in one run:
//
//  1. Produce throughput to a replication-factor-3 topic with acks=all against a
//     replication-factor-1 topic with acks=1, same run, same client, alternating
//     rounds. Two clients: a pipelined Kafka-protocol producer over
//     core/protocol's KafkaConnection (pre-encoded RecordBatch v2, several
//     requests in flight per partition leader: it measures the brokers, not the
//     client) and kafkajs (what a Node application sees). The peer figure is
//     Kafka's own 2014 benchmark: 3x synchronous replication (acks=all) at 0.51 x
//     the throughput of no replication (421,823 vs 821,557 records/s of 100 bytes).
//  2. Failover: the partition leader of an RF-3, min.insync.replicas=2 topic is
//     SIGKILLed while both clients produce with acks=all, one request at a time;
//     the time from the kill to the first successful produce (of a request sent
//     after the kill) and to the new leader in Metadata; the victim is restarted
//     and back in the ISR before the next round.
//  3. Task move time of a worker: not measured while `rill worker` does not exist.
//
// Results: bench/results/cluster.json (bench/results/cluster-profile.json with
// BENCH_CPU_PROF=1, whose figures are distorted by the profiler).
//
// Environment: BENCH_QUICK=1 (short smoke run), BENCH_SECONDS (measured seconds
// per throughput run, default 8), BENCH_ROUNDS (alternating rounds, default 2),
// BENCH_FAILOVER_ROUNDS (default 5: as many SIGKILL as SIGTERM rounds), BENCH_PARTITIONS (default 6),
// BENCH_SESSION_TIMEOUT_MS (controller --broker-session-timeout-ms; default: the
// controller's own, 9000), BENCH_PHASES (comma list of throughput,kafkajs,failover),
// BENCH_CPU_PROF=1 (brokers run with --cpu-prof; the top functions are summarised),
// BENCH_STANDBY_REPLICAS=N (task-move workers keep N warm standbys; results to cluster-standby.json),
// BENCH_TIMEOUT_MS (the whole run's bound, default 20 min), BENCH_OUT (the results
// file under bench/results/, e.g. cluster-throughput.json for a throughput-only run,
// so it does not replace the full run's cluster.json).
// BENCH_JIT_WARMUP=0 skips the unmeasured warm-up run of each throughput config
// (on by default: in a fresh broker V8's optimising compiler took 10-25% of the
// brokers' CPU in the first measured windows, so whichever config ran first paid for it).
// BENCH_PIN_BROKERS=1 pins all three brokers to the machine's last core and the
// bench client and controllers to the others (taskset), so RF 1 and RF 3 get
// the same broker CPU and the throughput ratio is their CPU-per-MB ratio.
// Before the cluster starts, bench/replication-floor.ts measures what a follower
// copy must cost here (socket send + receive, CRC-32C, file write: CPU-ms per MB);
// each ratio is reported with the ceiling that leaves (see ratioCeiling).
// BENCH_BROKER_MEMORY_MB (default 1024 when the machine allows it, 0 = off): each
// broker runs in a memory cgroup of that size, page cache included, so its page
// cache recycles its own pages as on a broker that has run for a while, instead of
// growing into free memory, which on a VM that hands free memory back to its host
// costs ~2 CPU-ms per MB on first touch (bench/memory-cgroup.ts, bench/cold-memory.ts).
// RILL_BROKER_HEAP_GROWING_PERCENT reaches the brokers (cli/broker-heap.ts; 0 runs them
// with V8's own heap growing factor, as before it was set).
// Brokers are preloaded with bench/gc-meter.cjs: each throughput run reports
// the brokers' bytes allocated and GC time per MB produced, which move less
// with the machine's load than CPU time does.
//
// Every node is killed on the way out, whatever the way (see bench/cluster-nodes.ts).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Producer as KafkaJsProducer } from 'kafkajs';
import { encodeRecordBatch } from '../core/log';
import { apis, KafkaConnection } from '../core/protocol';
import { BATCH_TARGET_BYTES, IN_FLIGHT_PER_CONNECTION, leadersOf, producePipelined, ProduceWindow } from './pipelined-producer';
import { boundRun } from './bounded-run';
import { ClusterNodes, killAllNow, pause, type NodeKey } from './cluster-nodes';
import { measureCopyFloor, ratioCeiling, type CopyFloor } from './replication-floor';
import { taskMove, type TaskMoveResult } from './cluster-taskmove';
import { summariseProfiles, type ProfileSummary } from './cpuprofile-summary';
import { benchProgress } from './progress';
import { machineInfo } from './machine';
import { brokerMemoryLimit } from './memory-cgroup';
import { DEFAULT_HEAP_GROWING_PERCENT, HEAP_GROWING_PERCENT_ENV } from '../cli/broker-heap';

const QUICK = process.env.BENCH_QUICK === '1';
const env = (name: string, dflt: number) => (process.env[name] !== undefined && process.env[name] !== '' ? Number(process.env[name]) : dflt);
const MEASURE_MS = env('BENCH_SECONDS', QUICK ? 3 : 8) * 1000;
const WARMUP_MS = QUICK ? 500 : 1500;
const ROUNDS = env('BENCH_ROUNDS', QUICK ? 1 : 2);
const FAILOVER_ROUNDS = env('BENCH_FAILOVER_ROUNDS', QUICK ? 2 : 5);
const PARTITIONS = env('BENCH_PARTITIONS', 6);
const SESSION_TIMEOUT_MS = process.env.BENCH_SESSION_TIMEOUT_MS ? Number(process.env.BENCH_SESSION_TIMEOUT_MS) : undefined;
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
/** num.standby.replicas of the task-move workers (BENCH_STANDBY_REPLICAS; results then go to cluster-standby.json). */
const STANDBY_REPLICAS = Number(process.env.BENCH_STANDBY_REPLICAS ?? '0');
const PHASES = new Set((process.env.BENCH_PHASES ?? 'throughput,kafkajs,failover,taskmove').split(',').map((s) => s.trim()));
const TIMEOUT_MS = env('BENCH_TIMEOUT_MS', 40 * 60_000);
const OUT = process.env.BENCH_OUT;
const JIT_WARMUP = process.env.BENCH_JIT_WARMUP !== '0';
const PIN_BROKERS = process.env.BENCH_PIN_BROKERS === '1';
const DEFAULT_BROKER_MEMORY_MB = 1024;

/** Extra node flags for the brokers (BENCH_BROKER_NODE_FLAGS, space-separated), e.g. --perf-basic-prof for `perf record`. */
const BROKER_NODE_FLAGS = (process.env.BENCH_BROKER_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
/** Where the brokers' bench/gc-meter.cjs writes its totals (set in main). */
let GC_DIR = '';
const TASK_KEYS = env('BENCH_TASK_KEYS', QUICK ? 20_000 : 1_000_000);
const TASK_PARTITIONS = 6;
const WORKER_AVAILABLE = fs.existsSync(path.join(__dirname, '..', 'cli', 'worker-command.ts'));
const VALUE_SIZES = [100, 1024];
const DIAGNOSTIC_CONNECTIONS_PER_LEADER = 8;
const KAFKAJS_MESSAGES_PER_SEND = 1000;
const KAFKAJS_CONCURRENT_SENDS = 4;
const FAILOVER_BATCH_RECORDS = 10;
const IDS = [1, 2, 3];
const RF1 = 'bench-rf1';
const RF3 = 'bench-rf3';
const FAILOVER = 'bench-failover';
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
/** Measured windows (monotonic microseconds) of each throughput run, to cut the CPU profiles to them. */
const profileWindows: { client: string; rf: number; valueBytes: number; window: [number, number] }[] = [];

const PEER = {
  source: 'Jay Kreps, "Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap Machines)", 2014',
  setup: 'one producer thread, 100-byte records, 6 partitions, 3 brokers on separate machines',
  noReplicationRecordsPerSec: 821557,
  threeReplicasSyncRecordsPerSec: 421823,
  ratio: 0.51,
};

// ---------------------------------------------------------------- bounded lifetime

const bounded = boundRun('bench:cluster', TIMEOUT_MS, killAllNow);

// ---------------------------------------------------------------- small helpers

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x: number, digits = 1) => +x.toFixed(digits);
const MB = 1024 * 1024;

/** Machine-wide busy fraction from /proc/stat (counts the other users of the machine too). */
function procStat(): { busy: number; total: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

interface CpuWindow {
  /** CPU seconds per second of wall time, by role (1.0 = one core busy). */
  brokersCores: number;
  controllersCores: number;
  benchClientCores: number;
  /** The whole machine (includes other users), busy fraction of all cores. */
  machineBusy: number | undefined;
  /** Broker CPU milliseconds per MB produced, and the part of them spent in the kernel (system time). */
  brokerCpuMsPerMB: number;
  brokerSystemCpuMsPerMB: number;
  perBrokerCores: Record<string, number>;
  /** The brokers' heap allocation and garbage collection per MB produced (bench/gc-meter.cjs). */
  brokerGc: { allocatedMBPerMB: number; externalMBPerMB: number; gcMsPerMB: number; collectionsPerMB: number; fullCollectionsPerMB: number } | undefined;
}

interface GcTotals {
  collections: number;
  scavenges: number;
  gcMs: number;
  allocatedBytes: number;
  externalBytes: number;
}

/** The brokers' running GC totals (bench/gc-meter.cjs), by process id. */
function gcSnapshot(dir: string, nodes: ClusterNodes): Map<number, GcTotals> {
  const m = new Map<number, GcTotals>();
  for (const id of IDS) {
    const pid = nodes.pid(`b${id}`);
    if (pid === undefined) continue;
    try {
      m.set(pid, JSON.parse(fs.readFileSync(path.join(dir, `${pid}.json`), 'utf8')) as GcTotals);
    } catch {
      // not written yet
    }
  }
  return m;
}

class CpuMeter {
  private nodes0 = new Map<NodeKey, { user: number; system: number }>();
  private self0 = process.cpuUsage();
  private stat0 = procStat();
  private t0 = performance.now();
  private gc0 = new Map<number, GcTotals>();

  constructor(
    private readonly nodes: ClusterNodes,
    private readonly gcDir: string,
  ) {
    this.reset();
  }

  reset(): void {
    this.gc0 = gcSnapshot(this.gcDir, this.nodes);
    this.nodes0 = this.nodes.cpuSnapshot();
    this.self0 = process.cpuUsage();
    this.stat0 = procStat();
    this.t0 = performance.now();
  }

  read(megabytes: number): CpuWindow {
    const secs = (performance.now() - this.t0) / 1000;
    const nodes1 = this.nodes.cpuSnapshot();
    const self = process.cpuUsage(this.self0);
    const stat1 = procStat();
    const gc1 = gcSnapshot(this.gcDir, this.nodes);
    const gc = { collections: 0, scavenges: 0, gcMs: 0, allocatedBytes: 0, externalBytes: 0 };
    for (const [pid, t] of gc1) {
      const t0 = this.gc0.get(pid);
      if (t0 === undefined) continue;
      gc.collections += t.collections - t0.collections;
      gc.gcMs += t.gcMs - t0.gcMs;
      gc.allocatedBytes += t.allocatedBytes - t0.allocatedBytes;
      gc.scavenges += t.scavenges - t0.scavenges;
      gc.externalBytes += t.externalBytes - t0.externalBytes;
    }
    let brokers = 0;
    let brokersSystem = 0;
    let controllers = 0;
    const perBroker: Record<string, number> = {};
    for (const [k, v] of nodes1) {
      const v0 = this.nodes0.get(k) ?? v;
      const d = v.user + v.system - (v0.user + v0.system);
      if (k.startsWith('b')) {
        brokers += d;
        brokersSystem += v.system - v0.system;
        perBroker[k] = round(d / secs, 2);
      } else if (k.startsWith('c')) controllers += d;
    }
    return {
      brokersCores: round(brokers / secs, 2),
      controllersCores: round(controllers / secs, 2),
      benchClientCores: round((self.user + self.system) / 1e6 / secs, 2),
      machineBusy: this.stat0 && stat1 ? round((stat1.busy - this.stat0.busy) / Math.max(1, stat1.total - this.stat0.total), 2) : undefined,
      brokerCpuMsPerMB: megabytes > 0 ? round((brokers * 1000) / megabytes, 1) : NaN,
      brokerSystemCpuMsPerMB: megabytes > 0 ? round((brokersSystem * 1000) / megabytes, 1) : NaN,
      perBrokerCores: perBroker,
      brokerGc:
        gc1.size > 0 && megabytes > 0
          ? {
              allocatedMBPerMB: round(gc.allocatedBytes / MB / megabytes, 2),
              externalMBPerMB: round(gc.externalBytes / MB / megabytes, 2),
              gcMsPerMB: round(gc.gcMs / megabytes, 2),
              collectionsPerMB: round(gc.collections / megabytes, 2),
              fullCollectionsPerMB: round((gc.collections - gc.scavenges) / megabytes, 3),
            }
          : undefined,
    };
  }
}

// ---------------------------------------------------------------- the pipelined protocol producer

interface RunResult {
  client: 'protocol' | 'kafkajs';
  topic: string;
  replicationFactor: number;
  acks: number;
  valueBytes: number;
  recordsPerRequest: number;
  connectionsPerLeader: number;
  requestsPerSec: number;
  seconds: number;
  records: number;
  recordsPerSec: number;
  MBPerSec: number;
  latencyMs: { p50: number; p99: number; max: number };
  errors: number;
  cpu: CpuWindow;
}

/**
 * A throughput run's measured window (bench/pipelined-producer.ts): the nodes'
 * CPU and the profile window are taken over it.
 */
class MeasuredWindow extends ProduceWindow {
  private readonly meter: CpuMeter;
  private monoStart = 0;

  constructor(nodes: ClusterNodes) {
    super(WARMUP_MS, MEASURE_MS);
    this.meter = new CpuMeter(nodes, GC_DIR);
  }

  protected override onOpen(): void {
    this.meter.reset();
    this.monoStart = monoUs();
  }

  /** Once the senders stopped: the CPU and rates over the window, and the profile window noted for the report. */
  figures(
    client: RunResult['client'],
    rf: number,
    valueBytes: number,
    requests: number,
  ): Pick<RunResult, 'requestsPerSec' | 'seconds' | 'records' | 'recordsPerSec' | 'MBPerSec' | 'latencyMs' | 'errors' | 'cpu'> {
    const { acked } = this;
    const cpu = this.meter.read((acked * valueBytes) / MB);
    profileWindows.push({ client, rf, valueBytes, window: [this.monoStart, monoUs()] });
    const secs = MEASURE_MS / 1000;
    return {
      requestsPerSec: Math.round(requests / secs),
      seconds: secs,
      records: acked,
      recordsPerSec: Math.round(acked / secs),
      MBPerSec: round((acked * valueBytes) / MB / secs),
      latencyMs: this.latencyMs(),
      errors: this.errors,
      cpu,
    };
  }
}

/**
 * The pipelined protocol producer (bench/pipelined-producer.ts) on every
 * partition of `topic` for WARMUP_MS + MEASURE_MS, with `connectionsPerLeader`
 * connections to each partition leader (Kafka's producer: one per broker).
 */
async function protocolThroughput(
  nodes: ClusterNodes,
  topic: string,
  rf: number,
  acks: number,
  valueBytes: number,
  connectionsPerLeader = 1,
): Promise<RunResult> {
  const leaders = leadersOf(topic, (await nodes.partitions(topic)) ?? [], (id) => nodes.bootstrap(id));
  const { window: measured, recordsPerRequest } = await producePipelined({
    topic,
    acks,
    leaders,
    valueBytes,
    connectionsPerLeader,
    window: () => new MeasuredWindow(nodes),
  });
  return {
    client: 'protocol',
    topic,
    replicationFactor: rf,
    acks,
    valueBytes,
    recordsPerRequest,
    connectionsPerLeader,
    ...measured.figures('protocol', rf, valueBytes, measured.requests),
  };
}

// ---------------------------------------------------------------- kafkajs

function kafkaFor(nodes: ClusterNodes, clientId: string, retry?: { retries: number }) {
  return new Kafka({
    clientId,
    brokers: IDS.map((id) => nodes.bootstrap(id)),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    ...(retry ? { retry } : {}),
  });
}

async function kafkajsThroughput(nodes: ClusterNodes, topic: string, rf: number, acks: number, valueBytes: number): Promise<RunResult> {
  const producer = kafkaFor(nodes, 'rill-bench-kafkajs').producer({
    allowAutoTopicCreation: false,
    idempotent: false,
    maxInFlightRequests: IN_FLIGHT_PER_CONNECTION,
  });
  await producer.connect();
  const value = Buffer.alloc(valueBytes, 'x');
  const messages = Array.from({ length: KAFKAJS_MESSAGES_PER_SEND }, () => ({ value }));
  const measured = new MeasuredWindow(nodes);
  try {
    await Promise.all(
      Array.from({ length: KAFKAJS_CONCURRENT_SENDS }, async () => {
        while (performance.now() < measured.closes) {
          const sentAt = performance.now();
          try {
            await producer.send({ topic, acks, timeout: 30_000, messages });
          } catch {
            measured.errors++;
            await pause(10);
            continue;
          }
          const now = performance.now();
          if (measured.contains(now)) {
            measured.acked += messages.length;
            measured.latencies.push(now - sentAt);
          }
        }
      }),
    );
  } finally {
    await producer.disconnect().catch(() => {});
  }
  const figures = measured.figures('kafkajs', rf, valueBytes, measured.latencies.length);
  return {
    client: 'kafkajs',
    topic,
    replicationFactor: rf,
    acks,
    valueBytes,
    recordsPerRequest: KAFKAJS_MESSAGES_PER_SEND,
    connectionsPerLeader: 1,
    ...figures,
  };
}

// ---------------------------------------------------------------- failover

/** A steady acks=all producer: one request at a time; remembers when each successful request was sent and acknowledged. */
interface SteadyProducer {
  readonly name: string;
  acks: { sentAt: number; ackAt: number }[];
  failures: number;
  stop(): Promise<void>;
}

/**
 * Sends one request after another until stopped, recording when each
 * acknowledged request was sent and acknowledged. `prepare` (connect, encode)
 * runs before the send time is taken; after a failure `reset` drops what
 * `prepare` built and the loop retries 20 ms later.
 */
function steadyLoop(
  name: string,
  step: { prepare: () => Promise<void>; send: () => Promise<void>; reset: () => void; close: () => Promise<void> },
): SteadyProducer {
  const state: SteadyProducer & { stopped: boolean } = {
    name,
    acks: [],
    failures: 0,
    stopped: false,
    stop: async () => {
      state.stopped = true;
      await done;
    },
  };
  const done = (async () => {
    while (!state.stopped) {
      try {
        await step.prepare();
        const sentAt = performance.now();
        await step.send();
        state.acks.push({ sentAt, ackAt: performance.now() });
      } catch {
        state.failures++;
        step.reset();
        await pause(20);
      }
    }
    await step.close();
  })();
  return state;
}

function protocolSteady(nodes: ClusterNodes, topic: string): SteadyProducer {
  const value = Buffer.alloc(100, 'f');
  let conn: KafkaConnection | undefined;
  let batch: Buffer = Buffer.alloc(0);
  // Where the last NOT_LEADER_OR_FOLLOWER answer said the leader is now (KIP-951): tried next, without Metadata.
  let named: string | undefined;
  return steadyLoop('protocol', {
    prepare: async () => {
      if (conn === undefined) {
        let address = named;
        named = undefined;
        if (address === undefined) {
          const parts = await nodes.partitions(topic);
          const leader = parts?.[0]?.leaderId ?? -1;
          if (leader < 0 || !nodes.isUp(`b${leader}`)) throw new Error('no live leader in metadata');
          address = nodes.bootstrap(leader);
        }
        conn = await KafkaConnection.connect(address, { timeoutMs: 5000, clientId: 'rill-bench-failover' });
      }
      batch = encodeRecordBatch({ records: Array.from({ length: FAILOVER_BATCH_RECORDS }, () => ({ key: null, value })) });
    },
    send: async () => {
      const r = await conn!.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      });
      const p = r.responses[0].partitionResponses[0];
      if (p.errorCode !== 0) {
        const at = p.currentLeader === undefined ? undefined : r.nodeEndpoints?.find((e) => e.nodeId === p.currentLeader!.leaderId);
        if (at !== undefined) named = `${at.host}:${at.port}`;
        throw new Error(`error code ${p.errorCode}`);
      }
    },
    reset: () => {
      conn?.close();
      conn = undefined;
    },
    close: async () => conn?.close(),
  });
}

function kafkajsSteady(nodes: ClusterNodes, topic: string): SteadyProducer {
  const value = Buffer.alloc(100, 'k');
  const messages = Array.from({ length: FAILOVER_BATCH_RECORDS }, () => ({ value }));
  // kafkajs with its default retry settings, as an application would run it.
  const producer: KafkaJsProducer = kafkaFor(nodes, 'rill-bench-kafkajs-failover').producer({ allowAutoTopicCreation: false, idempotent: false });
  let connected = false;
  return steadyLoop('kafkajs', {
    prepare: async () => {
      if (!connected) {
        await producer.connect();
        connected = true;
      }
    },
    send: async () => {
      await producer.send({ topic, acks: -1, timeout: 5000, messages });
    },
    reset: () => {},
    close: () => producer.disconnect().catch(() => {}),
  });
}

interface FailoverRound {
  round: number;
  /** SIGKILL (a crash: fenced when its controller connection closes) or SIGTERM (a controlled shutdown). */
  how: 'SIGKILL' | 'SIGTERM';
  victim: number;
  newLeader: number;
  leaderEpochBefore: number;
  leaderEpochAfter: number;
  /** Signal -> a live broker's Metadata names another leader. */
  newLeaderInMetadataMs: number;
  /** Kill -> first acknowledged produce of a request sent after the kill, per client. */
  firstProduceMs: Record<string, number>;
  /** The longest gap between two acknowledgements around the kill, per client. */
  ackGapMs: Record<string, number>;
}

async function failover(
  nodes: ClusterNodes,
  deadline: number,
): Promise<{
  rounds: FailoverRound[];
  failures: Record<string, number>;
  acked: Record<string, number>;
  latencyMs: Record<string, { p50: number; p99: number }>;
}> {
  const producers = [protocolSteady(nodes, FAILOVER), kafkajsSteady(nodes, FAILOVER)];
  const rounds: FailoverRound[] = [];
  const waitUntil = async (what: string, cond: () => boolean, bound: number) => {
    const until = Math.min(deadline, Date.now() + bound);
    while (!cond()) {
      if (Date.now() > until) throw new Error(`failover: ${what} did not happen within ${bound} ms`);
      await pause(5);
    }
  };
  try {
    // Rounds alternate a crash and a controlled shutdown of the leader.
    for (let r = 0; r < 2 * FAILOVER_ROUNDS; r++) {
      const how = r % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
      const [before] = await nodes.waitForPartitions(FAILOVER, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
      // Steady state: both clients have been producing for a while.
      const counts = producers.map((p) => p.acks.length);
      await pause(1000);
      await waitUntil('steady produce', () => producers.every((p, i) => p.acks.length >= counts[i] + 5), 30_000);
      const again = await nodes.partitions(FAILOVER);
      const victim = again?.[0]?.leaderId ?? before.leaderId;
      const tKill = performance.now();
      const stopping = how === 'SIGKILL' ? nodes.kill(`b${victim}`) : nodes.stop(`b${victim}`);
      const leaderWatch = (async () => {
        for (;;) {
          const ps = await nodes.partitions(FAILOVER);
          const p = ps?.[0];
          if (p !== undefined && p.leaderId > 0 && p.leaderId !== victim) return { at: performance.now(), leader: p.leaderId, epoch: p.leaderEpoch };
          if (Date.now() > deadline) throw new Error('failover: no new leader before the deadline');
          await pause(5);
        }
      })();
      const firstAfter = (p: SteadyProducer) => p.acks.find((a) => a.sentAt > tKill);
      await waitUntil('the first produce after the kill', () => producers.every((p) => firstAfter(p) !== undefined), 90_000);
      const elected = await leaderWatch;
      await stopping;
      const firstProduceMs: Record<string, number> = {};
      const ackGapMs: Record<string, number> = {};
      for (const p of producers) {
        firstProduceMs[p.name] = Math.round(firstAfter(p)!.ackAt - tKill);
        const lastBefore = [...p.acks].reverse().find((a) => a.ackAt <= tKill);
        ackGapMs[p.name] = Math.round(firstAfter(p)!.ackAt - (lastBefore?.ackAt ?? tKill));
      }
      rounds.push({
        round: r + 1,
        how,
        victim,
        newLeader: elected.leader,
        leaderEpochBefore: before.leaderEpoch,
        leaderEpochAfter: elected.epoch,
        newLeaderInMetadataMs: Math.round(elected.at - tKill),
        firstProduceMs,
        ackGapMs,
      });
      console.log(
        `  failover round ${r + 1}: ${how} to leader ${victim}; new leader ${elected.leader} in metadata after ${Math.round(elected.at - tKill)} ms; first produce after ${Object.entries(
          firstProduceMs,
        )
          .map(([k, v]) => `${v} ms (${k})`)
          .join(', ')}`,
      );
      await nodes.startBroker(victim);
    }
    await nodes.waitForPartitions(FAILOVER, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
  } finally {
    await Promise.all(producers.map((p) => p.stop()));
  }
  return {
    rounds,
    failures: Object.fromEntries(producers.map((p) => [p.name, p.failures])),
    acked: Object.fromEntries(producers.map((p) => [p.name, p.acks.length])),
    // One small acks=all request at a time: the replication round trip itself (the requests that spanned a kill left out).
    latencyMs: Object.fromEntries(
      producers.map((p) => {
        const l = p.acks.map((a) => a.ackAt - a.sentAt).filter((x) => x < 1000);
        return [p.name, { p50: round(quantile(l, 0.5)), p99: round(quantile(l, 0.99)) }];
      }),
    ),
  };
}

// ---------------------------------------------------------------- the run

async function createTopics(nodes: ClusterNodes, deadline: number): Promise<void> {
  const admin = kafkaFor(nodes, 'rill-bench-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        { topic: RF1, numPartitions: PARTITIONS, replicationFactor: 1 },
        { topic: RF3, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
        { topic: FAILOVER, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  await nodes.waitForPartitions(RF1, deadline, (p) => p.leaderId > 0);
  await nodes.waitForPartitions(RF3, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
  await nodes.waitForPartitions(FAILOVER, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
}

/**
 * What the brokers' CPU allows: their RF 1 / RF 3 CPU-per-MB ratio (the
 * throughput ratio when the brokers are CPU-bound on shared cores), what one
 * follower copy cost on top of the RF 1 leader's work, and the ceiling if
 * each copy cost no more than the machine's floor.
 */
function cpuBound(rf1CpuMsPerMB: number, rf3CpuMsPerMB: number, floor: CopyFloor | undefined) {
  return {
    brokerCpuRatio: round(rf1CpuMsPerMB / rf3CpuMsPerMB, 2),
    cpuMsPerMBPerFollowerCopy: round((rf3CpuMsPerMB - rf1CpuMsPerMB) / 2),
    ...(floor ? { ceilingAtCopyFloor: ratioCeiling(rf1CpuMsPerMB, floor) } : {}),
  };
}

/** Median broker CPU, allocation and GC per MB produced over some runs. */
function brokerCost(runs: RunResult[]) {
  const gc = runs.map((r) => r.cpu.brokerGc).filter((g) => g !== undefined);
  return {
    brokerCpuMsPerMB: round(median(runs.map((r) => r.cpu.brokerCpuMsPerMB))),
    brokerSystemCpuMsPerMB: round(median(runs.map((r) => r.cpu.brokerSystemCpuMsPerMB))),
    ...(gc.length > 0
      ? {
          brokerAllocatedMBPerMB: round(median(gc.map((g) => g.allocatedMBPerMB)), 2),
          brokerExternalMBPerMB: round(median(gc.map((g) => g.externalMBPerMB)), 2),
          brokerGcMsPerMB: round(median(gc.map((g) => g.gcMsPerMB)), 2),
        }
      : {}),
  };
}

function ratioOf(runs: RunResult[], client: string, valueBytes: number, connectionsPerLeader = 1, floor?: CopyFloor) {
  const pick = (rf: number) =>
    runs.filter((r) => r.client === client && r.valueBytes === valueBytes && r.replicationFactor === rf && r.connectionsPerLeader === connectionsPerLeader);
  const rf1 = pick(1);
  const rf3 = pick(3);
  if (rf1.length === 0 || rf3.length === 0) return undefined;
  const m1 = median(rf1.map((r) => r.recordsPerSec));
  const m3 = median(rf3.map((r) => r.recordsPerSec));
  return {
    client,
    valueBytes,
    connectionsPerLeader,
    rf1Acks1: { recordsPerSec: Math.round(m1), MBPerSec: round((m1 * valueBytes) / MB), ...brokerCost(rf1) },
    rf3AcksAll: { recordsPerSec: Math.round(m3), MBPerSec: round((m3 * valueBytes) / MB), ...brokerCost(rf3) },
    ratio: round(m3 / m1, 2),
    peerRatio: PEER.ratio,
    ...cpuBound(brokerCost(rf1).brokerCpuMsPerMB, brokerCost(rf3).brokerCpuMsPerMB, floor),
    ...(client === 'kafkajs'
      ? {
          note: 'kafkajs encodes every message in JS on the one bench process: at RF1 the client, not the brokers, is the limit, so this ratio compares a client limit with a replication limit',
        }
      : {}),
  };
}

/**
 * BENCH_PIN_BROKERS: every thread of the three brokers on the last core, this
 * process and the controllers on the rest, so both configs get the same broker CPU.
 */
function pinBrokers(nodes: ClusterNodes): void {
  const last = os.cpus().length - 1;
  const others = last === 0 ? '0' : `0-${last - 1}`;
  const pin = (cpus: string, pid: number | undefined) => pid !== undefined && execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
  for (const id of IDS) {
    pin(String(last), nodes.pid(`b${id}`));
    pin(others, nodes.pid(`c${id}`));
  }
  pin(others, process.pid);
}

async function main(): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS - 30_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cluster-bench-'));
  const profileDir = CPU_PROF ? fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cluster-bench-profiles-')) : '';
  GC_DIR = path.join(dir, 'gc');
  fs.mkdirSync(GC_DIR);
  const controllerArgs = SESSION_TIMEOUT_MS !== undefined ? ['--broker-session-timeout-ms', String(SESSION_TIMEOUT_MS)] : [];
  const brokerMemory = brokerMemoryLimit(DEFAULT_BROKER_MEMORY_MB);
  console.log(
    `bench:cluster: broker memory cgroups: ${brokerMemory.limitMB === undefined ? brokerMemory.why : `${brokerMemory.limitMB} MB each (${brokerMemory.why})`}`,
  );
  const nodes = new ClusterNodes({
    dir,
    controllerIds: IDS,
    brokerIds: IDS,
    controllerArgs,
    brokerNodeFlags: ['-r', './bench/gc-meter.cjs', ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...BROKER_NODE_FLAGS],
    brokerEnv: { RILL_BENCH_GC_DIR: GC_DIR },
    maxLifetimeMs: TIMEOUT_MS + 60_000,
    brokerMemoryLimitMB: brokerMemory.limitMB,
  });
  const copyFloor = PHASES.has('throughput') ? await measureCopyFloor() : undefined;
  if (copyFloor) console.log(`bench:cluster: one follower copy costs at least ${copyFloor.followerCopyMsPerMB} CPU-ms/MB here (${JSON.stringify(copyFloor)})`);
  const started = new Date();
  const loadAtStart = os.loadavg().map((x) => round(x, 2));
  console.log(`bench:cluster: 3 controllers + 3 brokers on loopback (${os.cpus().length} cpus, load ${loadAtStart.join(' ')}), data in ${dir}`);
  const runs: RunResult[] = [];
  let failoverResult: Awaited<ReturnType<typeof failover>> | undefined;
  let taskMoveResult: TaskMoveResult | string = WORKER_AVAILABLE
    ? 'not run (BENCH_PHASES)'
    : 'not measured: workers not available (no `rill worker` command when this ran)';
  let profiles: Record<string, ProfileSummary | string> | undefined;
  try {
    await nodes.allocatePorts();
    await Promise.all(IDS.map((id) => nodes.startController(id)));
    await Promise.all(IDS.map((id) => nodes.startBroker(id)));
    for (const id of IDS) await nodes.waitForBrokers(id, IDS.length, deadline);
    if (PIN_BROKERS) pinBrokers(nodes);
    await createTopics(nodes, deadline);
    console.log(`  cluster up and topics created after ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s`);

    const configs = [
      { topic: RF1, rf: 1, acks: 1 },
      { topic: RF3, rf: 3, acks: -1 },
    ];
    const progress = benchProgress(
      'bench:cluster',
      (PHASES.has('throughput') ? (VALUE_SIZES.length * ROUNDS + 1) * configs.length : 0) + (PHASES.has('kafkajs') ? ROUNDS * configs.length : 0),
    );
    const say = (r: RunResult) => {
      progress.tick(`${r.client} ${r.valueBytes} B RF${r.replicationFactor}`);
      console.log(
        `  ${r.client.padEnd(8)} ${String(r.valueBytes).padStart(4)} B  RF${r.replicationFactor} acks=${r.acks === -1 ? 'all' : r.acks}${r.connectionsPerLeader > 1 ? ` (${r.connectionsPerLeader} conns/leader)` : ''}: ${r.recordsPerSec.toLocaleString('en-US')} records/s, ${r.MBPerSec} MB/s, ${r.requestsPerSec} req/s, p50 ${r.latencyMs.p50} ms, brokers ${r.cpu.brokersCores} cores, ${r.cpu.brokerCpuMsPerMB} CPU-ms/MB (${r.cpu.brokerSystemCpuMsPerMB} system)${r.cpu.brokerGc ? `, ${r.cpu.brokerGc.allocatedMBPerMB} MB heap + ${r.cpu.brokerGc.externalMBPerMB} MB buffers allocated/MB, GC ${r.cpu.brokerGc.gcMsPerMB} ms/MB` : ''}, machine ${r.cpu.machineBusy}${r.errors ? `, ${r.errors} errors` : ''}`,
      );
    };
    if (PHASES.has('throughput') && JIT_WARMUP) {
      for (const c of configs) {
        const r = await protocolThroughput(nodes, c.topic, c.rf, c.acks, VALUE_SIZES[0]);
        profileWindows.pop();
        console.log(`  (JIT warm-up, not counted: ${r.client} ${r.valueBytes} B RF${r.replicationFactor}: ${r.cpu.brokerCpuMsPerMB} CPU-ms/MB)`);
      }
    }
    if (PHASES.has('throughput')) {
      for (const valueBytes of VALUE_SIZES) {
        for (let i = 0; i < ROUNDS; i++) {
          // Alternate which goes first, so drift on a shared machine hits both alike.
          for (const c of i % 2 === 0 ? configs : [...configs].reverse()) {
            const r = await protocolThroughput(nodes, c.topic, c.rf, c.acks, valueBytes);
            runs.push(r);
            say(r);
          }
        }
      }
    }
    if (PHASES.has('throughput')) {
      // Diagnostic: more connections per leader (requests of one connection are served one at a time).
      for (const c of configs) {
        const r = await protocolThroughput(nodes, c.topic, c.rf, c.acks, 100, DIAGNOSTIC_CONNECTIONS_PER_LEADER);
        runs.push(r);
        say(r);
      }
    }
    if (PHASES.has('kafkajs')) {
      for (let i = 0; i < ROUNDS; i++) {
        for (const c of i % 2 === 0 ? configs : [...configs].reverse()) {
          const r = await kafkajsThroughput(nodes, c.topic, c.rf, c.acks, 100);
          runs.push(r);
          say(r);
        }
      }
    }
    if (PHASES.has('failover')) failoverResult = await failover(nodes, deadline);
    if (PHASES.has('taskmove') && WORKER_AVAILABLE) {
      const createTopic = async (name: string, partitions: number) => {
        const admin = kafkaFor(nodes, 'rill-bench-admin').admin();
        await admin.connect();
        try {
          await admin.createTopics({ waitForLeaders: false, topics: [{ topic: name, numPartitions: partitions, replicationFactor: 3 }] });
        } finally {
          await admin.disconnect();
        }
      };
      try {
        taskMoveResult = await taskMove(nodes, deadline, {
          keys: TASK_KEYS,
          partitions: TASK_PARTITIONS,
          standbyReplicas: STANDBY_REPLICAS,
          createTopic,
          log: (m) => console.log(m),
        });
      } catch (e) {
        // The workers are another engineer's work in progress: report, keep the other figures.
        taskMoveResult = `not measured: the task move phase failed: ${(e as Error).message}`;
        console.log(
          `  ${taskMoveResult}\n${nodes
            .dump(15)
            .split('\n')
            .filter((l) => l.startsWith('---') || /worker|error/i.test(l))
            .slice(-40)
            .join('\n')}`,
        );
      }
    }
    if (CPU_PROF) {
      await nodes.stopAll();
      const windowsOf = (client: string, rf: number) => profileWindows.filter((w) => w.client === client && w.rf === rf).map((w) => w.window);
      profiles = {
        note: `brokers' CPU profiles (node --cpu-prof), self time inside the measured windows only; files kept in ${profileDir}`,
        protocolRf3AcksAll: summariseProfiles(profileDir, 40, windowsOf('protocol', 3)),
        protocolRf1Acks1: summariseProfiles(profileDir, 40, windowsOf('protocol', 1)),
        wholeRun: summariseProfiles(profileDir, 40),
      };
    }
  } catch (e) {
    process.stderr.write(`bench:cluster failed: ${(e as Error).stack}\n--- node output (last lines)\n${nodes.dump()}\n`);
    throw e;
  } finally {
    await nodes.killAll();
    nodes.removeCgroups();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const ratios = [...VALUE_SIZES.map((s) => ratioOf(runs, 'protocol', s, 1, copyFloor)), ratioOf(runs, 'kafkajs', 100)].filter((x) => x !== undefined);
  const diagnostic = ratioOf(runs, 'protocol', 100, DIAGNOSTIC_CONNECTIONS_PER_LEADER, copyFloor);
  const fr = failoverResult?.rounds ?? [];
  const killed = fr.filter((r) => r.how === 'SIGKILL');
  const terminated = fr.filter((r) => r.how === 'SIGTERM');
  const stats = (xs: number[]) => ({ medianMs: Math.round(median(xs)), maxMs: Math.max(...xs), minMs: Math.min(...xs) });
  const failoverSummary = failoverResult
    ? {
        rounds: fr.length,
        brokerSessionTimeoutMs: SESSION_TIMEOUT_MS ?? 'controller default (9000)',
        firstProduceAfterKill: Object.fromEntries(['protocol', 'kafkajs'].map((c) => [c, stats(killed.map((r) => r.firstProduceMs[c]))])),
        firstProduceAfterTerm: Object.fromEntries(['protocol', 'kafkajs'].map((c) => [c, stats(terminated.map((r) => r.firstProduceMs[c]))])),
        newLeaderInMetadataAfterKill: stats(killed.map((r) => r.newLeaderInMetadataMs)),
        newLeaderInMetadataAfterTerm: stats(terminated.map((r) => r.newLeaderInMetadataMs)),
        steadyAcksAllRequestLatencyMs: failoverResult.latencyMs,
        failedRequests: failoverResult.failures,
        acknowledgedRequests: failoverResult.acked,
        perRound: fr,
      }
    : 'not run';
  const result = {
    machine: {
      ...machineInfo(),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    },
    date: started.toISOString(),
    cluster: {
      controllers: IDS.length,
      brokers: IDS.length,
      layout: 'separate processes on 127.0.0.1, one per node, data on local disk',
      controllerArgs,
      profiled: CPU_PROF,
      brokersPinned: PIN_BROKERS ? `all three brokers on cpu ${os.cpus().length - 1}, the bench client and controllers on the others` : false,
      jitWarmUp: JIT_WARMUP,
      brokerMemoryCgroupMB: brokerMemory.limitMB ?? brokerMemory.why,
      // What `rill broker` set V8's heap growing factor to (cli/broker-heap.ts): the env override, or its default.
      brokerHeapGrowingPercent: process.env[HEAP_GROWING_PERCENT_ENV] || `${DEFAULT_HEAP_GROWING_PERCENT} (default)`,
    },
    copyFloor: copyFloor ?? 'not measured (no throughput phase)',
    parameters: {
      measuredSecondsPerRun: MEASURE_MS / 1000,
      warmupSecondsPerRun: WARMUP_MS / 1000,
      alternatingRounds: ROUNDS,
      partitions: PARTITIONS,
      valueBytes: VALUE_SIZES,
      protocolClient: `core/protocol KafkaConnection, one connection per partition leader, each request one pre-encoded RecordBatch v2 of ~${BATCH_TARGET_BYTES / 1024} KiB for every partition of that leader, ${IN_FLIGHT_PER_CONNECTION} requests in flight per connection (the broker serves a connection's requests one at a time, as Kafka does), no compression`,
      kafkajsClient: `kafkajs ${require('kafkajs/package.json').version}, ${KAFKAJS_MESSAGES_PER_SEND} messages of 100 B per send(), ${KAFKAJS_CONCURRENT_SENDS} sends in flight, no compression`,
      rf3Topic: 'replication factor 3, min.insync.replicas=2, acks=all',
      rf1Topic: 'replication factor 1, acks=1',
      failover: `1 partition, RF 3, min.insync.replicas=2; each client sends ${FAILOVER_BATCH_RECORDS} x 100 B per request, acks=all, one request at a time; rounds alternate SIGKILL and SIGTERM of the partition leader; the victim restarted and back in the ISR before the next round`,
    },
    headline: {
      rf3AcksAllOverRf1Acks1: Object.fromEntries(ratios.map((r) => [`${r.client} ${r.valueBytes} B`, r.ratio])),
      peerRatioKafka2014: PEER.ratio,
      failoverFirstProduceMedianMs:
        typeof failoverSummary === 'string' ? null : Object.fromEntries(Object.entries(failoverSummary.firstProduceAfterKill).map(([c, v]) => [c, v.medianMs])),
      failoverFirstProduceAfterTermMedianMs:
        typeof failoverSummary === 'string' ? null : Object.fromEntries(Object.entries(failoverSummary.firstProduceAfterTerm).map(([c, v]) => [c, v.medianMs])),
      goals: 'first produce after a SIGKILL: median <= 2000 ms (protocol), <= 3000 ms (kafkajs); after a SIGTERM: <= 500 ms',
      failoverFirstProduceMaxMs:
        typeof failoverSummary === 'string' ? null : Object.fromEntries(Object.entries(failoverSummary.firstProduceAfterKill).map(([c, v]) => [c, v.maxMs])),
      taskMove:
        typeof taskMoveResult === 'string'
          ? taskMoveResult
          : Object.fromEntries(taskMoveResult.rounds.map((r) => [r.how, { reassignedMs: r.reassignedMs, firstOutputMs: r.firstOutputMs }])),
    },
    peer: PEER,
    throughput: {
      ratios,
      diagnosticMoreConnections: diagnostic
        ? {
            note: `the same protocol client with ${DIAGNOSTIC_CONNECTIONS_PER_LEADER} connections per leader instead of 1 (not how Kafka's producer sends; shows how far acks=all is bound by request latency rather than by CPU)`,
            ...diagnostic,
          }
        : 'not run',
      runs,
    },
    failover: failoverSummary,
    taskMove:
      typeof taskMoveResult === 'string'
        ? taskMoveResult
        : {
            ...taskMoveResult,
            setup: `3 \`rill worker\` processes run bench/cluster-pipeline.ts (count per key) over ${TASK_PARTITIONS} input partitions holding ${taskMoveResult.keys} distinct keys; per round one worker is stopped and a probe record (a key counted once) written to one of its tasks at once; reassignedMs = stop -> another worker reports the task added, firstOutputMs = stop -> the probe's new count in the output topic (state restored from the changelog, record processed)`,
            withStandbys:
              STANDBY_REPLICAS > 0
                ? `this run: ${STANDBY_REPLICAS} standby replica(s) per task, kept warm by the workers`
                : 'this run: none; BENCH_STANDBY_REPLICAS=1 BENCH_PHASES=taskmove measures with standbys (bench/results/cluster-standby.json)',
          },
    ...(profiles ? { profile: profiles } : {}),
  };
  const out = path.resolve(__dirname, 'results', OUT ?? (CPU_PROF ? 'cluster-profile.json' : STANDBY_REPLICAS > 0 ? 'cluster-standby.json' : 'cluster.json'));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');

  console.log('\nbench:cluster summary');
  for (const r of ratios)
    console.log(
      `  ${r.client} ${r.valueBytes} B${'ceilingAtCopyFloor' in r ? ` (broker CPU ratio ${r.brokerCpuRatio}, ceiling at the copy floor ${r.ceilingAtCopyFloor})` : ''}: RF1 acks=1 ${r.rf1Acks1.recordsPerSec.toLocaleString('en-US')} rec/s (${r.rf1Acks1.MBPerSec} MB/s), RF3 acks=all ${r.rf3AcksAll.recordsPerSec.toLocaleString('en-US')} rec/s (${r.rf3AcksAll.MBPerSec} MB/s): ratio ${r.ratio} (Kafka 2014: ${PEER.ratio}); brokers per MB: RF1 ${r.rf1Acks1.brokerCpuMsPerMB} CPU-ms ${r.rf1Acks1.brokerAllocatedMBPerMB ?? '?'}+${r.rf1Acks1.brokerExternalMBPerMB ?? '?'} MB allocated (heap+buffers), RF3 ${r.rf3AcksAll.brokerCpuMsPerMB} CPU-ms ${r.rf3AcksAll.brokerAllocatedMBPerMB ?? '?'}+${r.rf3AcksAll.brokerExternalMBPerMB ?? '?'} MB allocated`,
    );
  if (diagnostic)
    console.log(
      `  (diagnostic, ${DIAGNOSTIC_CONNECTIONS_PER_LEADER} connections per leader, 100 B: RF1 ${diagnostic.rf1Acks1.recordsPerSec.toLocaleString('en-US')} rec/s, RF3 acks=all ${diagnostic.rf3AcksAll.recordsPerSec.toLocaleString('en-US')} rec/s: ratio ${diagnostic.ratio})`,
    );
  if (typeof failoverSummary !== 'string') {
    for (const [how, first, leader] of [
      ['kill', failoverSummary.firstProduceAfterKill, failoverSummary.newLeaderInMetadataAfterKill],
      ['term', failoverSummary.firstProduceAfterTerm, failoverSummary.newLeaderInMetadataAfterTerm],
    ] as const) {
      for (const [c, s] of Object.entries(first)) console.log(`  failover, ${how} -> first produce (${c}): median ${s.medianMs} ms, max ${s.maxMs} ms`);
      console.log(`  failover, ${how} -> new leader in metadata: median ${leader.medianMs} ms, max ${leader.maxMs} ms`);
    }
  }
  if (typeof taskMoveResult === 'string') console.log(`  task move: ${taskMoveResult}`);
  else
    for (const r of taskMoveResult.rounds)
      console.log(
        `  task move (${taskMoveResult.keys.toLocaleString('en-US')} keys, ${r.how}): reassigned after ${r.reassignedMs} ms, probe processed on the new owner after ${r.firstOutputMs} ms`,
      );
  const rf3Profile = profiles?.protocolRf3AcksAll;
  if (rf3Profile !== undefined && typeof rf3Profile !== 'string') {
    console.log(`  brokers' profile, RF3 acks=all windows (busy ${rf3Profile.busyPercent}% of sampled time):`);
    for (const line of rf3Profile.top.slice(0, 15)) console.log(`    ${line.selfPercent}% ${line.fn} ${line.where}`);
  }
  console.log(`  -> ${path.relative(process.cwd(), out)}`);
}

main().then(
  () => {
    bounded.done();
    process.exit(0);
  },
  () => {
    killAllNow();
    process.exit(1);
  },
);
