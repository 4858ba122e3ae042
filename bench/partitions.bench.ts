// npm run bench:partitions — 10,000 partitions in real processes: one
// `rill broker` (single node), then a 3-controller + 3-broker cluster at
// replication factor 3. For each it reports what an operator pays for that many
// partitions (issue #19, "a real-process test"):
//
//  - the time to create them (CreateTopics, 100 topics of 100 partitions) and to
//    write one record to each;
//  - each broker's RSS and open file descriptors (/proc/<pid>/fd) after the
//    writes, and again after a restart: segment and index files are opened
//    lazily and closed least-recently-used first (log.max.open.files), so the
//    descriptors stay bounded whatever the partition count;
//  - the restart's time to ready (the process printed where it listens) and to
//    serving (Metadata shows every partition with a leader), with when its
//    Metadata first listed every partition, the most it showed leaderless and
//    how long its queued log opens took (its log line);
//  - how often a controller fenced a broker whose heartbeats stopped
//    (sessionFences, from the controllers' log lines), while creating and
//    after the restart;
//  - the latency of a Metadata request for all topics (goal: < 100 ms), and
//    the broker CPU one such request costs: the broker's CPU time (/proc) over
//    the requests, less its CPU time over an equally long quiet window (the
//    background work: ticks, replica fetches), per request. Unlike the latency
//    it does not depend on what else the machine runs.
//
// Results: bench/results/partitions.json. Environment: BENCH_PARTITIONS (total,
// default 10000), BENCH_TIMEOUT_MS (the whole run's bound, default 20 min),
// BENCH_PHASES (answer,single,cluster: which to run, default all; "answer" is
// the CPU of one Metadata answer in this process, see answerCpu; each phase's
// figures carry their date and load average, and a phase not run keeps the
// figures the file has for it),
// BENCH_CPU_PROF=1 (brokers run with --cpu-prof; the result adds their
// profile inside the Metadata windows, and the files are kept).
// Every process is killed on the way out (see bench/cluster-nodes.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ClusterNodes, killAllNow, pause, type NodeKey } from './cluster-nodes';
import { summariseProfiles } from './cpuprofile-summary';
import type { BrokerView } from '../core/cluster/broker/broker-view';
import { clusterMetadataPort } from '../core/cluster/broker/cluster-ports';
import { MetadataImage, type MetadataRecord } from '../core/cluster';
import { apis, type RequestContext, encodeMessage, Writer } from '../core/protocol';

const TOTAL = Number(process.env.BENCH_PARTITIONS ?? 10_000);
const PER_TOPIC = 100;
const TOPICS = Math.ceil(TOTAL / PER_TOPIC);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);
const METADATA_GOAL_MS = 100;
const METADATA_SAMPLES = 20;
const METADATA_ROUNDS = 4;
const PHASES = new Set((process.env.BENCH_PHASES ?? 'answer,single,cluster').split(',').map((p) => p.trim()));
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const profileDir = CPU_PROF ? fs.mkdtempSync(path.join(os.tmpdir(), 'rill-partitions-profiles-')) : '';
const brokerNodeFlags = CPU_PROF ? ['--cpu-prof', '--cpu-prof-interval', '2000', '--cpu-prof-dir', profileDir] : [];
/** A profiled process writes its profile as it stops: give it time. */
const STOP_GRACE_MS = CPU_PROF ? 120_000 : 5000;
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
/** The Metadata windows (monotonic microseconds), to cut the brokers' profiles to them. */
const metadataWindows: [number, number][] = [];

const topicNames = Array.from({ length: TOPICS }, (_, i) => `p${String(i).padStart(4, '0')}`);

interface ProcessFigures {
  rssMb: number;
  openFds: number;
}

function processFigures(pid: number | undefined): ProcessFigures | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return { rssMb: Math.round(rssKb / 102.4) / 10, openFds: fs.readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Metadata for all topics, timed; also says whether every partition has a leader. */
async function timedMetadata(nodes: ClusterNodes, brokerId: number): Promise<{ ms: number; partitions: number; leaderless: number } | undefined> {
  const t0 = performance.now();
  const m = await nodes.metadata(brokerId, null);
  const ms = performance.now() - t0;
  if (m === undefined) return undefined;
  let partitions = 0;
  let leaderless = 0;
  for (const t of m.topics) {
    if (!t.name?.startsWith('p')) continue;
    for (const p of t.partitions) {
      partitions++;
      if (p.leaderId < 0) leaderless++;
    }
  }
  return { ms, partitions, leaderless };
}

const cpuMs = (nodes: ClusterNodes, key: NodeKey): number => {
  const s = nodes.cpuSeconds(key);
  return s === undefined ? NaN : (s.user + s.system) * 1000;
};

/**
 * METADATA_SAMPLES requests for all topics, one after another: their latency,
 * and the broker's CPU per request. That is its CPU over the requests less its
 * CPU over equally long quiet windows (its background work: ticks, replica
 * fetches, checkpoints), in METADATA_ROUNDS alternations so a burst of
 * background work does not land on one side only; /proc counts in 10 ms steps.
 */
async function metadataLatency(nodes: ClusterNodes, brokerId: number): Promise<{ medianMs: number; maxMs: number; brokerCpuMsPerRequest: number }> {
  const key = `b${brokerId}` as NodeKey;
  const samples: number[] = [];
  let busyCpu = 0;
  let quietCpu = 0;
  for (let round = 0; round < METADATA_ROUNDS; round++) {
    const cpu0 = cpuMs(nodes, key);
    const t0 = performance.now();
    const w0 = monoUs();
    for (let i = 0; i < METADATA_SAMPLES / METADATA_ROUNDS; i++) {
      const r = await timedMetadata(nodes, brokerId);
      if (r !== undefined) samples.push(r.ms);
    }
    metadataWindows.push([w0, monoUs()]);
    const cpu1 = cpuMs(nodes, key);
    await pause(performance.now() - t0);
    busyCpu += cpu1 - cpu0;
    quietCpu += cpuMs(nodes, key) - cpu1;
  }
  return {
    medianMs: round1(median(samples)),
    maxMs: round1(Math.max(...samples)),
    brokerCpuMsPerRequest: round1((busyCpu - quietCpu) / METADATA_SAMPLES),
  };
}

/** How many of the bench's partitions broker `via`'s Metadata shows with exactly this ISR. */
async function partitionsWithIsr(nodes: ClusterNodes, via: number, isr: readonly number[]): Promise<number | null> {
  const m = await nodes.metadata(via, null);
  if (m === undefined) return null;
  const wanted = [...isr].sort().join();
  let n = 0;
  for (const t of m.topics) if (t.name?.startsWith('p')) for (const p of t.partitions) if ([...p.isrNodes].sort().join() === wanted) n++;
  return n;
}

/** One sample of the ISR timeline: how many of the bench's partitions had an ISR of each size, by seconds since the cluster started. */
interface IsrSample {
  atSeconds: number;
  phase: string;
  bySize: Record<number, number>;
}

/**
 * Samples every ISR_SAMPLE_MS, through broker `via`'s Metadata, how many
 * partitions have an ISR of 1, 2 or 3 brokers, so a run shows when followers
 * leave the ISR (while logs open, while records are written) and whether they
 * come back. `phase` names what the bench is doing at each sample.
 */
function isrTimeline(nodes: ClusterNodes, via: () => number): { samples: IsrSample[]; phase: { name: string }; stop: () => Promise<void> } {
  const samples: IsrSample[] = [];
  const phase = { name: 'create' };
  const t0 = performance.now();
  let running = true;
  const loop = (async () => {
    while (running) {
      const m = await nodes.metadata(via(), null);
      if (m !== undefined) {
        const bySize: Record<number, number> = {};
        for (const t of m.topics) if (t.name?.startsWith('p')) for (const p of t.partitions) bySize[p.isrNodes.length] = (bySize[p.isrNodes.length] ?? 0) + 1;
        const sample = { atSeconds: round1((performance.now() - t0) / 1000), phase: phase.name, bySize };
        samples.push(sample);
        console.log('isr:', JSON.stringify(sample));
      }
      await pause(ISR_SAMPLE_MS);
    }
  })();
  return {
    samples,
    phase,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const ISR_SAMPLE_MS = 2000;

/** What a broker's Metadata showed while waitServing polled it: when it first listed every partition, and the most it showed leaderless. */
interface ServingProgress {
  allListedMs: number | null;
  mostLeaderless: number;
}

/** Polls until a broker's Metadata shows all TOTAL partitions with a leader (bounded). */
async function waitServing(nodes: ClusterNodes, brokerId: number, deadline: number): Promise<ServingProgress> {
  const t0 = performance.now();
  const progress: ServingProgress = { allListedMs: null, mostLeaderless: 0 };
  for (;;) {
    const r = await timedMetadata(nodes, brokerId);
    if (r !== undefined && r.partitions >= TOTAL) {
      progress.allListedMs ??= Math.round(performance.now() - t0);
      progress.mostLeaderless = Math.max(progress.mostLeaderless, r.leaderless);
      if (r.leaderless === 0) return progress;
    }
    if (Date.now() > deadline) throw new Error(`broker ${brokerId}: not every partition has a leader (${JSON.stringify(r)})`);
    await pause(100);
  }
}

/**
 * From the nodes' log lines (the last few hundred each): how often a controller
 * fenced a broker whose heartbeats stopped (distinct broker and epoch), and how
 * long `broker`'s latest run of queued log opens took (log-open-queue.ts).
 */
function fromLogs(nodes: ClusterNodes, broker: NodeKey): { sessionFences: Set<string>; lastLogOpenRun: { logs: number; ms: number } | null } {
  const fences = new Set<string>();
  for (const [key, lines] of nodes.output)
    if (key.startsWith('c'))
      for (const l of lines) for (const m of l.matchAll(/fenced broker (\d+) \(epoch (\d+)\): its session ended/g)) fences.add(`${m[1]}:${m[2]}`);
  let lastLogOpenRun: { logs: number; ms: number } | null = null;
  for (const l of nodes.output.get(broker) ?? []) {
    const m = /opened (\d+) replica logs in (\d+) ms/.exec(l);
    if (m) lastLogOpenRun = { logs: Number(m[1]), ms: Number(m[2]) };
  }
  return { sessionFences: fences, lastLogOpenRun };
}

/** Polls until every broker's Metadata lists all the brokers (they registered with the controller). */
async function waitRegistered(nodes: ClusterNodes, brokers: readonly number[], deadline: number): Promise<void> {
  for (const id of brokers)
    for (;;) {
      const m = await nodes.metadata(id, []);
      if (m !== undefined && m.brokers.length === brokers.length) break;
      if (Date.now() > deadline) throw new Error(`broker ${id} does not see all ${brokers.length} brokers`);
      await pause(100);
    }
}

/**
 * The topics of a failed CreateTopics to ask for again: all of them after a
 * timeout, or those refused because a broker was fenced meanwhile (fewer live
 * brokers than the replication factor). Undefined: a real failure.
 */
function toRetry(e: unknown, topics: string[]): string[] | undefined {
  if ((e as { retriable?: boolean }).retriable === true) return topics;
  const errors = (e as { errors?: { type?: string; topic?: string; retriable?: boolean }[] }).errors;
  if (!Array.isArray(errors)) return undefined;
  const again: string[] = [];
  for (const x of errors) {
    if (x.type === 'TOPIC_ALREADY_EXISTS') continue;
    if (x.retriable !== true && x.type !== 'INVALID_REPLICATION_FACTOR') return undefined;
    again.push(x.topic ?? '');
  }
  return again;
}

async function createAndFill(
  bootstrap: string[],
  replicationFactor: number,
  deadline: number,
  onPhase: (name: string) => void = () => {},
): Promise<{ createSeconds: number; produceSeconds: number; createRetries: number }> {
  // Patient: on a loaded machine brokers are fenced and leaders move while 10,000 partitions are created.
  const kafka = new Kafka({
    clientId: 'bench-partitions',
    brokers: bootstrap,
    logLevel: logLevel.NOTHING,
    requestTimeout: 120_000,
    retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5000 },
  });
  const admin = kafka.admin();
  await admin.connect();
  const t0 = performance.now();
  // On a loaded machine a CreateTopics may time out, or a broker may be fenced meanwhile (its
  // heartbeats late), leaving too few live brokers for RF 3: those topics are asked for again
  // (one already created answers TOPIC_ALREADY_EXISTS), and the retries are reported.
  let createRetries = 0;
  try {
    // Ten topics per request: each request stays far below max.partitions.per.request.
    for (let i = 0; i < topicNames.length; i += 10) {
      let topics = topicNames.slice(i, i + 10);
      while (topics.length > 0) {
        try {
          await admin.createTopics({
            topics: topics.map((topic) => ({ topic, numPartitions: PER_TOPIC, replicationFactor })),
            waitForLeaders: true,
            timeout: 60_000,
          });
          topics = [];
        } catch (e) {
          const again = toRetry(e, topics);
          if (again === undefined || Date.now() > deadline) throw e;
          createRetries++;
          topics = again;
          await pause(1000);
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  const createSeconds = (performance.now() - t0) / 1000;
  if (QUICK) return { createSeconds: round1(createSeconds), produceSeconds: NaN, createRetries };
  onPhase('produce');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const t1 = performance.now();
  try {
    for (let i = 0; i < topicNames.length; i += 10) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: topicNames.slice(i, i + 10).map((topic) => ({
          topic,
          messages: Array.from({ length: PER_TOPIC }, (_, partition) => ({ partition, key: null, value: `record of ${topic}/${partition}` })),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  return { createSeconds: round1(createSeconds), produceSeconds: round1((performance.now() - t1) / 1000), createRetries };
}

function figuresOf(nodes: ClusterNodes, keys: NodeKey[]): Record<string, ProcessFigures | undefined> {
  return Object.fromEntries(keys.map((k) => [k, processFigures(nodes.pid(k))]));
}

async function singleNode(dir: string, deadline: number) {
  const nodes = new ClusterNodes({ dir, controllerIds: [], brokerIds: [1], maxLifetimeMs: TIMEOUT_MS, brokerNodeFlags });
  try {
    await nodes.allocatePorts();
    await nodes.startStandaloneBroker(1);
    const fill = await createAndFill([nodes.bootstrap(1)], 1, deadline);
    await waitServing(nodes, 1, deadline);
    const afterWrites = figuresOf(nodes, ['b1']);
    const metadata = await metadataLatency(nodes, 1);
    await nodes.stop('b1');
    const t0 = performance.now();
    await nodes.startStandaloneBroker(1);
    const readyMs = performance.now() - t0;
    await waitServing(nodes, 1, deadline);
    const servingMs = performance.now() - t0;
    return {
      ...fill,
      afterWrites,
      metadataAllTopics: metadata,
      restart: {
        readyMs: Math.round(readyMs),
        servingMs: Math.round(servingMs),
        figures: figuresOf(nodes, ['b1']),
        metadataAllTopics: await metadataLatency(nodes, 1),
      },
    };
  } finally {
    await nodes.stopAll(STOP_GRACE_MS);
  }
}

async function cluster(dir: string, deadline: number) {
  const brokers = [1, 2, 3];
  const nodes = new ClusterNodes({ dir, controllerIds: [101, 102, 103], brokerIds: brokers, maxLifetimeMs: TIMEOUT_MS, brokerNodeFlags });
  const brokerKeys = brokers.map((b) => `b${b}` as NodeKey);
  let timeline: ReturnType<typeof isrTimeline> | undefined;
  try {
    await nodes.allocatePorts();
    await Promise.all([101, 102, 103].map((c) => nodes.startController(c)));
    await Promise.all(brokers.map((b) => nodes.startBroker(b)));
    await waitRegistered(nodes, brokers, deadline);
    timeline = isrTimeline(nodes, () => 1);
    const phase = timeline.phase;
    const fill = await createAndFill(
      brokers.map((b) => nodes.bootstrap(b)),
      3,
      deadline,
      (name) => {
        phase.name = name;
      },
    );
    phase.name = 'after writes';
    await waitServing(nodes, 1, deadline);
    const afterWrites = figuresOf(nodes, [...brokerKeys, 'c101', 'c102', 'c103']);
    const created = fromLogs(nodes, 'b1');
    const metadata = await metadataLatency(nodes, 1);
    if (QUICK)
      return { quick: true, ...fill, sessionFences: created.sessionFences.size, afterWrites, metadataAllTopics: metadata, isrTimeline: timeline.samples };
    // Partitions whose ISR is broker 3 alone (followers that fell behind under load) have no leader
    // from its controlled shutdown until it is unfenced again: how many, before it stops.
    const isrOnlyBroker3 = await partitionsWithIsr(nodes, 1, [3]);
    // A rolling restart of broker 3: its replicas are recovered from disk and caught up.
    phase.name = 'restart of broker 3';
    await nodes.stop('b3');
    const t0 = performance.now();
    await nodes.startBroker(3);
    const readyMs = performance.now() - t0;
    const progress = await waitServing(nodes, 3, deadline);
    const servingMs = performance.now() - t0;
    const figures = figuresOf(nodes, ['b3']);
    const restartMetadata = await metadataLatency(nodes, 3);
    // After the Metadata windows: its logs may still be opening when it serves (null: they still were).
    const restarted = fromLogs(nodes, 'b3');
    return {
      ...fill,
      sessionFences: created.sessionFences.size,
      afterWrites,
      metadataAllTopics: metadata,
      restartOfBroker3: {
        readyMs: Math.round(readyMs),
        servingMs: Math.round(servingMs),
        isrOnlyBroker3,
        // From ready: when its Metadata first listed every partition, the most it showed leaderless, how long opening its logs took.
        ...progress,
        logOpenRun: restarted.lastLogOpenRun,
        sessionFences: [...restarted.sessionFences].filter((f) => !created.sessionFences.has(f)).length,
        figures,
        metadataAllTopics: restartMetadata,
      },
      isrTimeline: timeline.samples,
    };
  } finally {
    await timeline?.stop();
    await nodes.stopAll(STOP_GRACE_MS);
  }
}

/**
 * BENCH_QUICK=1: the cluster's partitions are created but not written, and no
 * broker is restarted (on a loaded machine the writes alone took over 20 min).
 * The figures say so (quick: true) and go to partitions-quick.json.
 */
const QUICK = process.env.BENCH_QUICK === '1';
const ANSWER_ROUNDS = 6;
const ANSWERS_PER_ROUND = 20;

/**
 * The CPU of one Metadata answer for all TOTAL partitions on a cluster broker,
 * in this process (load-independent, unlike the latency): the handler over
 * the cluster's metadata port and the encoding, from an image of 3 brokers and
 * TOTAL RF 3 partitions. "warm": nothing changed since the last answer (the
 * layouts are reused); "afterChange": a metadata record is applied before each
 * answer, so every layout is built again (what every answer cost before they
 * were kept). Alternating rounds; medians.
 */
async function answerCpu() {
  const records: MetadataRecord[] = [];
  for (const b of [1, 2, 3])
    records.push(
      { type: 'RegisterBroker', brokerId: b, brokerEpoch: b, rack: null, host: '127.0.0.1', port: 9090 + b },
      { type: 'UnfenceBroker', brokerId: b, brokerEpoch: b },
    );
  for (const [t, name] of topicNames.entries()) {
    records.push({ type: 'Topic', name, topicId: t + 1, config: {} });
    for (let p = 0; p < PER_TOPIC; p++)
      records.push({
        type: 'Partition',
        topicId: t + 1,
        partition: p,
        replicas: [1, 2, 3],
        isr: [1, 2, 3],
        leader: 1 + ((t + p) % 3),
        leaderEpoch: 0,
        partitionEpoch: 0,
      });
  }
  const image = MetadataImage.fromRecords(records);
  // Only what the metadata port reads of a broker: its image and who it is.
  const broker = { nodeId: 1, image, activeControllerId: 101 } as unknown as BrokerView;
  const context = {
    metadata: clusterMetadataPort(broker),
    apiVersion: 9,
    principal: 'User:ANONYMOUS',
    clientHost: '127.0.0.1',
    advertised: { host: '127.0.0.1', port: 9091 },
    autoCreateTopics: false,
  } as unknown as RequestContext;
  const request = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
  let bytes = 0;
  const answer = async () => {
    const response = await apis.metadata.handle(request, context);
    bytes = encodeMessage(apis.metadata.response, 9, response as object, new Writer()).length;
  };
  const cpuMsPerAnswer = async (change: boolean) => {
    let us = 0;
    for (let i = 0; i < ANSWERS_PER_ROUND; i++) {
      if (change) image.apply({ type: 'EpochCounters', lastBrokerEpoch: 3, lastTopicId: TOPICS, lastWorkerEpoch: 0 });
      const c0 = process.cpuUsage();
      await answer();
      const c = process.cpuUsage(c0);
      us += c.user + c.system;
    }
    return us / 1000 / ANSWERS_PER_ROUND;
  };
  for (let i = 0; i < 5; i++) await answer();
  const warm: number[] = [];
  const afterChange: number[] = [];
  for (let r = 0; r < ANSWER_ROUNDS; r++) {
    afterChange.push(await cpuMsPerAnswer(true));
    warm.push(await cpuMsPerAnswer(false));
  }
  return { responseBytes: bytes, warmCpuMs: round1(median(warm)), afterChangeCpuMs: round1(median(afterChange)) };
}

/** The figures a results file holds from an earlier run of the same size (a phase not run now keeps them). */
function earlier(file: string): { metadataAnswerCpu?: unknown; singleNode?: unknown; clusterRf3?: unknown; [other: string]: unknown } | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    return r.partitions === TOTAL ? r : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  const bound = setTimeout(() => {
    console.error(`bench:partitions: still running after ${TIMEOUT_MS} ms; stopping`);
    killAllNow();
    process.exit(2);
  }, TIMEOUT_MS);
  bound.unref();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-partitions-'));
  try {
    console.log(`bench:partitions: ${TOTAL} partitions (${TOPICS} topics of ${PER_TOPIC}); load average ${os.loadavg()[0].toFixed(1)}`);
    // Each phase carries its own date and load: a run of one phase keeps the other's figures.
    const phase = async <T>(run: () => Promise<T>) => {
      const loadAverageAtStart = round1(os.loadavg()[0]);
      const figures = await run();
      return { date: new Date().toISOString(), loadAverageAtStart, loadAverageAtEnd: round1(os.loadavg()[0]), ...figures };
    };
    const answer = PHASES.has('answer') ? await phase(answerCpu) : undefined;
    if (answer) console.log('metadata answer CPU:', JSON.stringify(answer));
    const single = PHASES.has('single') ? await phase(() => singleNode(path.join(dir, 'single'), deadline)) : undefined;
    if (single) console.log('single node:', JSON.stringify(single));
    const rf3 = PHASES.has('cluster') ? await phase(() => cluster(path.join(dir, 'cluster'), deadline)) : undefined;
    if (rf3) console.log('cluster:', JSON.stringify(rf3));
    const profile = CPU_PROF
      ? { note: `brokers' CPU profiles inside the Metadata windows; files kept in ${profileDir}`, ...summariseProfiles(profileDir, 30, metadataWindows) }
      : undefined;
    if (profile) console.log('profile:', JSON.stringify(profile, null, 2));
    // Profiled figures are distorted by the profiler: they go to a file of their own.
    const file = path.join(__dirname, 'results', CPU_PROF ? 'partitions-profile.json' : QUICK ? 'partitions-quick.json' : 'partitions.json');
    const kept = earlier(file);
    // Keys written by hand beside the bench's (earlier runs kept for comparison) stay.
    const result = {
      ...kept,
      bench: 'partitions',
      machine: { cpus: os.cpus().length },
      partitions: TOTAL,
      goals: { metadataAllTopicsMs: METADATA_GOAL_MS },
      metadataAnswerCpu: answer ?? kept?.metadataAnswerCpu,
      singleNode: single ?? kept?.singleNode,
      clusterRf3: rf3 ?? kept?.clusterRf3,
      profile,
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written to ${path.relative(process.cwd(), file)}`);
  } finally {
    killAllNow();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    killAllNow();
    process.exit(1);
  },
);
