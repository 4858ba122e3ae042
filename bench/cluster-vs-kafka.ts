// npm run bench:cluster-vs-kafka — the replication ratio of Apache Kafka itself
// on this machine, in the same run as Rill's (issue #19: RF 3 acks=all / RF 1
// acks=1 >= 0.6; Kafka's 2014 figure, 0.51, came from three machines).
//
// Two clusters run side by side on loopback for the whole run:
//  - Rill: 3 controllers + 3 brokers, each a `rill broker` process, started as
//    bench/cluster.ts starts them (bench/cluster-nodes.ts);
//  - Apache Kafka 4.x from the jars of `npm run peers:kafka`: 3 dedicated KRaft
//    controllers + 3 brokers, each its own JVM with a 1 GB G1 heap
//    (test/peers/kafka/kafka-cluster.ts).
// Both get the same load: the pipelined Kafka-protocol producer of
// bench/cluster.ts (bench/pipelined-producer.ts: pre-encoded RecordBatch v2,
// one connection per partition leader, 5 requests in flight on each), on a
// 6-partition topic at RF 1 acks=1 and one at RF 3 acks=all with
// min.insync.replicas=2, 100 B and 1 KB records. Rounds alternate the four
// configs (Rill RF1, Rill RF3, Kafka RF1, Kafka RF3), the order rotated by one
// each round, after unmeasured warm-up runs of each config at each record size
// (V8's and the JVM's compilers; a Kafka config is warmed again while its JIT
// compiler threads still take a tenth of its brokers' CPU, which one run did
// not settle at load 20). Each broker of both systems runs in a memory cgroup of the
// same size when the machine allows it (bench/memory-cgroup.ts; controllers are
// not confined, as in bench:cluster).
//
// Recorded: records/s and MB/s per run; each system's RF3/RF1 ratio per round
// and the median; the brokers' CPU-ms per MB produced (user and system, from
// /proc, the JVMs' every thread included), split by thread name (which shows
// a JVM's compiler, GC, network and replica fetcher threads apart) and their
// context switches per MB; the load average before and after;
// the copy floor of bench/replication-floor.ts and the ceiling it leaves each
// system. Results: bench/results/cluster-vs-kafka.json (BENCH_OUT overrides).
//
// Environment: BENCH_QUICK=1 (short smoke run), BENCH_SECONDS (measured
// seconds per run, default 8), BENCH_ROUNDS (rounds per record size, default
// 3), BENCH_BROKER_MEMORY_MB (as in bench:cluster; default 1024 where allowed,
// 0 = off), BENCH_TIMEOUT_MS (the whole run's bound, default 30 min).
// Every node of both clusters is killed on the way out, whatever the way.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { apis, KafkaConnection } from '../core/protocol';
import { startKafkaCluster, type KafkaCluster } from '../test/peers/kafka/kafka-cluster';
import { ClusterNodes, killAllNow, pause, type PartitionView } from './cluster-nodes';
import { loadAverage, median } from './ab-rounds';
import { boundRun } from './bounded-run';
import { machineInfo } from './machine';
import { brokerMemoryLimit, MemoryCgroup } from './memory-cgroup';
import { IN_FLIGHT_PER_CONNECTION, BATCH_TARGET_BYTES, leadersOf, producePipelined, ProduceWindow } from './pipelined-producer';
import { contextSwitches, cpuTimesMs, rssMb, threadCpuMs } from './proc-stats';
import { measureCopyFloor, ratioCeiling, type CopyFloor } from './replication-floor';

const QUICK = process.env.BENCH_QUICK === '1';
const env = (name: string, dflt: number) => (process.env[name] !== undefined && process.env[name] !== '' ? Number(process.env[name]) : dflt);
const MEASURE_MS = env('BENCH_SECONDS', QUICK ? 2 : 8) * 1000;
const WARMUP_MS = QUICK ? 500 : 1500;
const ROUNDS = env('BENCH_ROUNDS', QUICK ? 1 : 3);
const TIMEOUT_MS = env('BENCH_TIMEOUT_MS', 30 * 60_000);
const OUT = process.env.BENCH_OUT ?? 'cluster-vs-kafka.json';
const PARTITIONS = 6;
const VALUE_SIZES = [100, 1024];
const IDS = [1, 2, 3];
const MB = 1024 * 1024;
const DEFAULT_BROKER_MEMORY_MB = 1024;
const TOPICS = { 1: 'bench-rf1', 3: 'bench-rf3' } as const;
const KAFKA_2014 = { ratio: 0.51, setup: 'Jay Kreps, 2014: one producer thread, 100 B records, 6 partitions, 3 brokers on separate machines' };

type SystemName = 'rill' | 'kafka';
type Rf = 1 | 3;

/** What the bench needs of a running cluster, whichever system it is. */
interface System {
  name: SystemName;
  /** Every broker's host:port. */
  bootstrap: string[];
  address(brokerId: number): string;
  brokerPids(): Map<string, number>;
  controllerPids(): Map<string, number>;
  cgroups(): Map<string, MemoryCgroup>;
  partitions(topic: string): Promise<PartitionView[] | undefined>;
}

// ---------------------------------------------------------------- bounded lifetime

let kafkaCluster: KafkaCluster | undefined;
const bounded = boundRun('bench:cluster-vs-kafka', TIMEOUT_MS, () => {
  killAllNow();
  kafkaCluster?.killNow();
});

const round = (x: number, digits = 1) => +x.toFixed(digits);

/** Sum of user and system CPU-ms of some processes (those that cannot be read, gone, count 0). */
function cpuOf(pids: Iterable<number>): { user: number; system: number } {
  const sum = { user: 0, system: 0 };
  for (const pid of pids) {
    try {
      const t = cpuTimesMs(pid);
      sum.user += t.user;
      sum.system += t.system;
    } catch {
      // the process is gone
    }
  }
  return sum;
}

/** Context switches of some processes' threads so far (gone processes count 0). */
function switchesOf(pids: Iterable<number>): number {
  let n = 0;
  for (const pid of pids) {
    try {
      n += contextSwitches(pid);
    } catch {
      // the process is gone
    }
  }
  return n;
}

/** CPU-ms of the brokers' threads so far, by thread name (see threadCpuMs), summed over the brokers. */
function brokerThreads(pids: Iterable<number>): Map<string, number> {
  const sum = new Map<string, number>();
  for (const pid of pids) {
    try {
      for (const [name, ms] of threadCpuMs(pid)) sum.set(name, (sum.get(name) ?? 0) + ms);
    } catch {
      // the process is gone
    }
  }
  return sum;
}

/** A config is warm once its JIT compiler threads take at most this share of the brokers' CPU (see main). */
const JIT_SETTLED = 0.1;
const MAX_WARMUPS = QUICK ? 1 : 4;

/** CPU-ms of the JVM's compiler threads per MB in a run (0 for node, whose threads are not named). */
function jitCpuMsPerMB(r: Run): number {
  return Object.entries(r.cpu.brokerThreadsCpuMsPerMB)
    .filter(([name]) => name.includes('CompilerThre'))
    .reduce((n, [, ms]) => n + ms, 0);
}

/** A run's broker CPU-ms per MB less its JIT compilers'. */
const cpuWithoutJit = (r: Run) => r.cpu.brokerCpuMsPerMB - jitCpuMsPerMB(r);

/** The share of the brokers' CPU that the JVM's compiler threads ("C2 CompilerThread0", "C1 ...") took; undefined where no thread has that name (node). */
function jitShare(r: Run): number | undefined {
  if (!Object.keys(r.cpu.brokerThreadsCpuMsPerMB).some((name) => name.includes('CompilerThre'))) return undefined;
  return jitCpuMsPerMB(r) / Math.max(1e-9, r.cpu.brokerCpuMsPerMB);
}

/** How many thread groups a run reports: the rest is summed as "other". */
const TOP_THREADS = 10;

/** The CPU of a system's brokers and controllers and of this process over a measured window. */
class SystemWindow extends ProduceWindow {
  private threads0 = new Map<string, number>();
  private brokers0 = { user: 0, system: 0 };
  private switches0 = 0;
  private controllers0 = { user: 0, system: 0 };
  private self0 = process.cpuUsage();
  private t0 = performance.now();

  constructor(private readonly system: System) {
    super(WARMUP_MS, MEASURE_MS);
  }

  protected override onOpen(): void {
    this.threads0 = brokerThreads(this.system.brokerPids().values());
    this.brokers0 = cpuOf(this.system.brokerPids().values());
    this.switches0 = switchesOf(this.system.brokerPids().values());
    this.controllers0 = cpuOf(this.system.controllerPids().values());
    this.self0 = process.cpuUsage();
    this.t0 = performance.now();
  }

  cpu(megabytes: number) {
    const secs = (performance.now() - this.t0) / 1000;
    const b = cpuOf(this.system.brokerPids().values());
    const threads = [...brokerThreads(this.system.brokerPids().values())]
      .map(([name, ms]): [string, number] => [name, ms - (this.threads0.get(name) ?? 0)])
      .sort((x, y) => y[1] - x[1]);
    const top = threads.slice(0, TOP_THREADS);
    const other = threads.slice(TOP_THREADS).reduce((n, [, ms]) => n + ms, 0);
    const c = cpuOf(this.system.controllerPids().values());
    const self = process.cpuUsage(this.self0);
    const brokersMs = b.user - this.brokers0.user + (b.system - this.brokers0.system);
    return {
      brokersCores: round(brokersMs / 1000 / secs, 2),
      controllersCores: round((c.user + c.system - this.controllers0.user - this.controllers0.system) / 1000 / secs, 2),
      benchClientCores: round((self.user + self.system) / 1e6 / secs, 2),
      brokerCpuMsPerMB: round(brokersMs / megabytes, 2),
      brokerSystemCpuMsPerMB: round((b.system - this.brokers0.system) / megabytes, 2),
      /** The brokers' threads' context switches per MB: hand-offs between threads, and waits. */
      brokerContextSwitchesPerMB: Math.round((switchesOf(this.system.brokerPids().values()) - this.switches0) / megabytes),
      /** The brokers' CPU-ms per MB by thread name, the busiest first (threads started inside the window count whole). */
      brokerThreadsCpuMsPerMB: Object.fromEntries([...top, ['other', other] as [string, number]].map(([name, ms]) => [name, round(ms / megabytes, 2)])),
    };
  }
}

interface Run {
  system: SystemName;
  round: number;
  replicationFactor: Rf;
  acks: number;
  valueBytes: number;
  recordsPerSec: number;
  MBPerSec: number;
  requestsPerSec: number;
  recordsPerRequest: number;
  latencyMs: { p50: number; p99: number; max: number };
  errors: number;
  cpu: ReturnType<SystemWindow['cpu']>;
  loadAverage1m: number;
}

async function throughput(system: System, rf: Rf, valueBytes: number, roundNo: number): Promise<Run> {
  const topic = TOPICS[rf];
  const acks = rf === 3 ? -1 : 1;
  const leaders = leadersOf(topic, (await system.partitions(topic)) ?? [], (id) => system.address(id));
  const { window, recordsPerRequest } = await producePipelined({
    topic,
    acks,
    leaders,
    valueBytes,
    connectionsPerLeader: 1,
    window: () => new SystemWindow(system),
  });
  const secs = MEASURE_MS / 1000;
  const megabytes = (window.acked * valueBytes) / MB;
  return {
    system: system.name,
    round: roundNo,
    replicationFactor: rf,
    acks,
    valueBytes,
    recordsPerSec: Math.round(window.acked / secs),
    MBPerSec: round(megabytes / secs),
    requestsPerSec: Math.round(window.requests / secs),
    recordsPerRequest,
    latencyMs: window.latencyMs(),
    errors: window.errors,
    cpu: window.cpu(megabytes),
    loadAverage1m: loadAverage()[0],
  };
}

// ---------------------------------------------------------------- the two clusters

/** A topic's partitions as some broker of `bootstrap` answers Metadata (undefined when none answers). */
async function partitionsVia(bootstrap: readonly string[], topic: string): Promise<PartitionView[] | undefined> {
  for (const address of bootstrap) {
    let c: KafkaConnection | undefined;
    try {
      c = await KafkaConnection.connect(address, { timeoutMs: 5000, clientId: 'rill-bench' });
      const m = await c.request<apis.MetadataResponse>(apis.metadata, {
        topics: [{ name: topic }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      const t = m.topics.find((x) => x.name === topic);
      if (t !== undefined && t.errorCode === 0)
        return t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, isrNodes: [...p.isrNodes] }));
    } catch {
      // try the next broker
    } finally {
      c?.close();
    }
  }
  return undefined;
}

/**
 * The bench writes tens of GB over a run (a run at RF 1 and 1 KB alone writes
 * about 2 GB): the topics keep their last 128 MB per partition, in 32 MB
 * segments, so the disk never fills (one run filled a shared disk before). Both
 * systems check retention every 30 s (Rill's default; Kafka's is set to it).
 */
const BOUNDED_LOG = [
  { name: 'retention.bytes', value: String(128 * MB) },
  { name: 'segment.bytes', value: String(32 * MB) },
];
const KAFKA_RETENTION_CHECK = { 'log.retention.check.interval.ms': '30000' };

/** Creates the RF 1 and RF 3 topics and waits until every partition has a leader (and, at RF 3, a full ISR). */
async function createTopics(system: System, deadline: number): Promise<void> {
  const admin = new Kafka({ clientId: 'rill-bench-admin', brokers: system.bootstrap, logLevel: logLevel.NOTHING, requestTimeout: 30_000 }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        { topic: TOPICS[1], numPartitions: PARTITIONS, replicationFactor: 1, configEntries: BOUNDED_LOG },
        { topic: TOPICS[3], numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [...BOUNDED_LOG, { name: 'min.insync.replicas', value: '2' }] },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  for (const [topic, isr] of [
    [TOPICS[1], 1],
    [TOPICS[3], 3],
  ] as const) {
    for (;;) {
      const ps = await system.partitions(topic);
      if (ps !== undefined && ps.length === PARTITIONS && ps.every((p) => p.leaderId >= 0 && p.isrNodes.length === isr)) break;
      if (Date.now() > deadline) throw new Error(`${system.name}: the partitions of ${topic} got no leaders or full ISR before the deadline`);
      await pause(100);
    }
  }
}

function rillSystem(nodes: ClusterNodes): System {
  const pidsOf = (prefix: 'b' | 'c') =>
    new Map(IDS.map((id) => [`${prefix}${id}`, nodes.pid(`${prefix}${id}`)]).filter((e): e is [string, number] => e[1] !== undefined));
  return {
    name: 'rill',
    bootstrap: IDS.map((id) => nodes.bootstrap(id)),
    address: (id) => nodes.bootstrap(id),
    brokerPids: () => pidsOf('b'),
    controllerPids: () => pidsOf('c'),
    cgroups: () => new Map(nodes.cgroups),
    partitions: (topic) => nodes.partitions(topic),
  };
}

function kafkaSystem(cluster: KafkaCluster, cgroups: Map<string, MemoryCgroup>): System {
  const bootstrap = cluster.brokers.map((b) => b.address!);
  return {
    name: 'kafka',
    bootstrap,
    address: (id) => cluster.address(id),
    brokerPids: () => new Map(cluster.brokers.map((b) => [b.key, b.pid])),
    controllerPids: () => new Map(cluster.controllers.map((c) => [c.key, c.pid])),
    cgroups: () => cgroups,
    partitions: (topic) => partitionsVia(bootstrap, topic),
  };
}

/** Each broker's resident memory and its cgroup's page cache and peak use, MB. */
function memoryOf(system: System) {
  const out: Record<string, { rssMB?: number; pageCacheMB?: number; cgroupPeakMB?: number }> = {};
  const groups = system.cgroups();
  for (const [key, pid] of system.brokerPids()) {
    const group = groups.get(key);
    let peak: number | undefined;
    try {
      if (group) peak = Math.round(Number(fs.readFileSync(path.join(group.dir, 'memory.max_usage_in_bytes'), 'utf8')) / MB);
    } catch {
      peak = undefined; // cgroup v2 has no peak file before 5.19
    }
    let rss: number | undefined;
    try {
      rss = rssMb(pid);
    } catch {
      rss = undefined;
    }
    out[key] = { rssMB: rss, pageCacheMB: group?.pageCacheMB(), cgroupPeakMB: peak };
  }
  return out;
}

// ---------------------------------------------------------------- summary

/** Per thread group, the median over the runs of its CPU-ms per MB (0 in a run that did not list it), the busiest first. */
function medianByThread(rs: Run[]): Record<string, number> {
  const names = new Set(rs.flatMap((r) => Object.keys(r.cpu.brokerThreadsCpuMsPerMB)));
  const medians = [...names].map((name): [string, number] => [name, round(median(rs.map((r) => r.cpu.brokerThreadsCpuMsPerMB[name] ?? 0)), 2)]);
  return Object.fromEntries(medians.sort((a, b) => b[1] - a[1]));
}

function summarise(runs: Run[], system: SystemName, valueBytes: number, floor: CopyFloor) {
  const of = (rf: Rf) => runs.filter((r) => r.system === system && r.valueBytes === valueBytes && r.replicationFactor === rf);
  const rf1 = of(1);
  const rf3 = of(3);
  const perRound = rf1
    .map((a) => {
      const b = rf3.find((r) => r.round === a.round);
      return b === undefined ? undefined : round(b.recordsPerSec / a.recordsPerSec, 2);
    })
    .filter((x): x is number => x !== undefined);
  const side = (rs: Run[]) => ({
    recordsPerSec: Math.round(median(rs.map((r) => r.recordsPerSec))),
    MBPerSec: round(median(rs.map((r) => r.MBPerSec))),
    brokerCpuMsPerMB: round(median(rs.map((r) => r.cpu.brokerCpuMsPerMB)), 2),
    brokerSystemCpuMsPerMB: round(median(rs.map((r) => r.cpu.brokerSystemCpuMsPerMB)), 2),
    brokerCpuMsPerMBWithoutJit: round(median(rs.map(cpuWithoutJit)), 2),
    brokersCores: round(median(rs.map((r) => r.cpu.brokersCores)), 2),
    latencyP50Ms: round(median(rs.map((r) => r.latencyMs.p50))),
    brokerContextSwitchesPerMB: Math.round(median(rs.map((r) => r.cpu.brokerContextSwitchesPerMB))),
    brokerThreadsCpuMsPerMB: medianByThread(rs),
  });
  const a = side(rf1);
  const b = side(rf3);
  return {
    system,
    valueBytes,
    rf1Acks1: a,
    rf3AcksAll: b,
    ratioPerRound: perRound,
    medianRatio: round(median(perRound), 2),
    ratioOfMedians: round(b.recordsPerSec / a.recordsPerSec, 2),
    brokerCpuRatio: round(a.brokerCpuMsPerMB / b.brokerCpuMsPerMB, 2),
    cpuMsPerMBPerFollowerCopy: round((b.brokerCpuMsPerMB - a.brokerCpuMsPerMB) / 2, 2),
    ceilingAtCopyFloor: ratioCeiling(a.brokerCpuMsPerMB, floor),
    // The same without the JVM's compiler threads: a broker that has run for a while compiled its hot code long ago.
    withoutJit: {
      brokerCpuRatio: round(a.brokerCpuMsPerMBWithoutJit / b.brokerCpuMsPerMBWithoutJit, 2),
      cpuMsPerMBPerFollowerCopy: round((b.brokerCpuMsPerMBWithoutJit - a.brokerCpuMsPerMBWithoutJit) / 2, 2),
      ceilingAtCopyFloor: ratioCeiling(a.brokerCpuMsPerMBWithoutJit, floor),
    },
  };
}

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS - 30_000;
  const loadBefore = loadAverage();
  const memory = brokerMemoryLimit(DEFAULT_BROKER_MEMORY_MB);
  console.log(
    `bench:cluster-vs-kafka: ${os.cpus().length} cpus, load ${loadBefore.join(' ')}; broker memory cgroups: ${memory.limitMB === undefined ? memory.why : `${memory.limitMB} MB each (${memory.why})`}`,
  );
  const copyFloor = await measureCopyFloor();
  console.log(`  one follower copy costs at least ${copyFloor.followerCopyMsPerMB} CPU-ms/MB here (${JSON.stringify(copyFloor)})`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-vs-kafka-bench-'));
  const nodes = new ClusterNodes({ dir, controllerIds: IDS, brokerIds: IDS, maxLifetimeMs: TIMEOUT_MS + 60_000, brokerMemoryLimitMB: memory.limitMB });
  const kafkaCgroups = new Map<string, MemoryCgroup>();
  const runs: Run[] = [];
  const warmUps: Run[] = [];
  let memoryAtEnd: Record<string, ReturnType<typeof memoryOf>> = {};
  const startSeconds: Record<SystemName, number> = { rill: NaN, kafka: NaN };
  try {
    if (memory.limitMB !== undefined)
      for (const id of IDS) kafkaCgroups.set(`b${id}`, MemoryCgroup.create(`rill-bench-${process.pid}-kafka-b${id}`, memory.limitMB));
    // One cluster after the other: six JVMs and six nodes starting at once on two cores only take longer.
    let t0 = performance.now();
    await nodes.allocatePorts();
    await Promise.all(IDS.map((id) => nodes.startController(id)));
    await Promise.all(IDS.map((id) => nodes.startBroker(id)));
    for (const id of IDS) await nodes.waitForBrokers(id, IDS.length, deadline);
    const rill = rillSystem(nodes);
    await createTopics(rill, deadline);
    startSeconds.rill = round((performance.now() - t0) / 1000);
    console.log(`  Rill: 3 controllers + 3 brokers up, topics created after ${startSeconds.rill} s`);
    t0 = performance.now();
    kafkaCluster = await startKafkaCluster({
      brokers: IDS.length,
      controllers: IDS.length,
      lifetimeMs: TIMEOUT_MS + 60_000,
      config: KAFKA_RETENTION_CHECK,
      cgroupProcs: (key) => {
        const group = kafkaCgroups.get(key);
        return group === undefined ? undefined : path.join(group.dir, 'cgroup.procs');
      },
    });
    const kafka = kafkaSystem(kafkaCluster, kafkaCgroups);
    await createTopics(kafka, deadline);
    startSeconds.kafka = round((performance.now() - t0) / 1000);
    console.log(`  Apache Kafka: 3 controllers + 3 brokers up, topics created after ${startSeconds.kafka} s`);

    const configs: { system: System; rf: Rf }[] = [
      { system: rill, rf: 1 },
      { system: rill, rf: 3 },
      { system: kafka, rf: 1 },
      { system: kafka, rf: 3 },
    ];
    const label = (r: Run) =>
      `${r.system.padEnd(5)} ${String(r.valueBytes).padStart(4)} B RF${r.replicationFactor}: ${r.recordsPerSec.toLocaleString('en-US')} records/s, ${r.MBPerSec} MB/s, p50 ${r.latencyMs.p50} ms, brokers ${r.cpu.brokersCores} cores, ${r.cpu.brokerCpuMsPerMB} CPU-ms/MB (${r.cpu.brokerSystemCpuMsPerMB} system), load ${r.loadAverage1m}${r.errors ? `, ${r.errors} errors` : ''}`;
    // Warm-up: each config at each record size once; a JVM's compiler threads then may still take a good
    // part of its CPU on this loaded machine (C2 compiled for a whole measured run after one warm-up), so
    // a config is warmed again while its JIT compiler threads take more than JIT_SETTLED of the brokers' CPU.
    for (const valueBytes of VALUE_SIZES) {
      for (const c of configs) {
        for (let attempt = 1; ; attempt++) {
          const r = await throughput(c.system, c.rf, valueBytes, 0);
          warmUps.push(r);
          const jit = jitShare(r);
          console.log(`  (warm-up, not counted${jit === undefined ? '' : `; JIT compiler threads ${Math.round(jit * 100)}% of the brokers' CPU`}) ${label(r)}`);
          if (jit === undefined || jit <= JIT_SETTLED || attempt === MAX_WARMUPS) break;
        }
      }
    }
    let roundNo = 0;
    for (const valueBytes of VALUE_SIZES) {
      for (let i = 0; i < ROUNDS; i++) {
        roundNo++;
        // Rotate the order by one each round, so drift on a shared machine hits every config alike.
        const order = configs.map((_, k) => configs[(k + roundNo - 1) % configs.length]);
        for (const c of order) {
          const r = await throughput(c.system, c.rf, valueBytes, roundNo);
          runs.push(r);
          console.log(`  round ${roundNo}: ${label(r)}`);
        }
      }
    }
    memoryAtEnd = { rill: memoryOf(rill), kafka: memoryOf(kafka) };
  } catch (e) {
    process.stderr.write(`bench:cluster-vs-kafka failed: ${(e as Error).stack}\n--- Rill node output (last lines)\n${nodes.dump()}\n`);
    throw e;
  } finally {
    await nodes.killAll();
    await kafkaCluster?.stop();
    nodes.removeCgroups();
    for (const group of kafkaCgroups.values()) group.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const summary = VALUE_SIZES.flatMap((v) => (['rill', 'kafka'] as const).map((s) => summarise(runs, s, v, copyFloor)));
  const result = {
    machine: {
      ...machineInfo(),
      java: javaVersion(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAverage(),
    },
    date: new Date().toISOString(),
    setup: {
      rill: '3 controllers + 3 brokers, each a `rill broker` process (bench/cluster-nodes.ts)',
      kafka: `Apache Kafka ${kafkaVersion()} KRaft: 3 dedicated controllers + 3 brokers, each a JVM (-Xms256m -Xmx1g, G1), default broker settings (test/peers/kafka/kafka-cluster.ts)`,
      brokerMemoryCgroupMB: memory.limitMB ?? memory.why,
      client: `bench/pipelined-producer.ts: core/protocol KafkaConnection, one connection per partition leader, each request one pre-encoded RecordBatch v2 of ~${BATCH_TARGET_BYTES / 1024} KiB per partition of that leader, ${IN_FLIGHT_PER_CONNECTION} requests in flight per connection, no compression`,
      topics: `${PARTITIONS} partitions; RF 1 acks=1, and RF 3 acks=all with min.insync.replicas=2; retention.bytes ${128} MB, segment.bytes 32 MB, retention checked every 30 s in both`,
      measuredSecondsPerRun: MEASURE_MS / 1000,
      warmupSecondsPerRun: WARMUP_MS / 1000,
      roundsPerRecordSize: ROUNDS,
      order: `Rill RF1, Rill RF3, Kafka RF1, Kafka RF3, rotated by one each round, after unmeasured warm-up runs of each config at each record size (a Kafka config again while its JIT compiler threads took more than ${JIT_SETTLED * 100}% of its brokers' CPU, at most ${MAX_WARMUPS} runs)`,
      cpu: "brokers' user + system CPU from /proc/<pid>/stat over each measured window (JVM: every thread), per MB of record values acknowledged",
      startSeconds,
    },
    copyFloor,
    peer: KAFKA_2014,
    headline: Object.fromEntries(
      summary.map((s) => [`${s.system} ${s.valueBytes} B`, { medianRatio: s.medianRatio, ceilingAtCopyFloor: s.ceilingAtCopyFloor }]),
    ),
    summary,
    memoryAtEnd,
    warmUps,
    runs,
  };
  const out = path.resolve(__dirname, 'results', OUT);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');

  console.log(`\nbench:cluster-vs-kafka summary (load ${loadBefore.join(' ')} -> ${result.machine.loadAverageAfter.join(' ')})`);
  for (const s of summary)
    console.log(
      `  ${s.system.padEnd(5)} ${String(s.valueBytes).padStart(4)} B: RF1 ${s.rf1Acks1.recordsPerSec.toLocaleString('en-US')} rec/s (${s.rf1Acks1.MBPerSec} MB/s, ${s.rf1Acks1.brokerCpuMsPerMB} CPU-ms/MB), RF3 ${s.rf3AcksAll.recordsPerSec.toLocaleString('en-US')} rec/s (${s.rf3AcksAll.MBPerSec} MB/s, ${s.rf3AcksAll.brokerCpuMsPerMB} CPU-ms/MB): ratio per round ${s.ratioPerRound.join(', ')}, median ${s.medianRatio} (ceiling at the copy floor ${s.ceilingAtCopyFloor})`,
    );
  console.log(`  -> ${path.relative(process.cwd(), out)}`);
}

function kafkaVersion(): string {
  try {
    const lib = path.join(__dirname, '..', 'test', 'peers', 'kafka', 'target', 'lib');
    const jar = fs.readdirSync(lib).find((f) => /^kafka-clients-.*\.jar$/.test(f));
    return jar?.replace(/^kafka-clients-(.*)\.jar$/, '$1') ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The first line of `java -version` (which prints to stderr). */
function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return r.stderr?.split('\n')[0]?.trim() || 'unknown';
}

main().then(
  () => {
    bounded.done();
    process.exit(0);
  },
  () => process.exit(1), // process 'exit' kills both clusters
);
