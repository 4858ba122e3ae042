// Controllers and brokers of a Rill cluster as child processes on loopback
// (`rill broker --controller ...` / `rill broker ...`), for tests that kill -9.
// Every wait is bounded; killAll() ends every child it started.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { isLeft } from 'fp-ts/Either';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { describeQuorum, type ControllerAddress, type DescribeQuorumAnswer } from '../../../../core/cluster';
import { decodeRecordBatches } from '../../../../core/log';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { freePortPair, killAndWait, terminateAndWait } from '../../../support/ports';
import { fetchRequestBody } from '../../protocol/harness';

export { freePortPair };

const ROOT = path.resolve(__dirname, '../../../..');
/** How long a node may take to start (on a loaded 2-core machine, with several clusters starting at once). */
export const READY_TIMEOUT_MS = 60_000;
/** What a test adds to its own deadline for starting its nodes (controllers, then brokers: two rounds). */
export const STARTUP_BUDGET_MS = 2 * READY_TIMEOUT_MS;
/** `node` arguments that run the CLI from its TypeScript sources. */
const TS_NODE_ARGS = ['-r', './test/support/register-ts.js', 'cli/main.ts'];

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class PortInUse extends Error {}

let warming: Promise<void> | undefined;

/**
 * Loads the CLI once (`rill help`), so its modules are in register-ts's
 * cache before several nodes start at once and would each transpile the same
 * changed files. Best effort: a failure here shows up when the node starts.
 */
function warmTranspileCache(): Promise<void> {
  warming ??= new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, 'help'], { cwd: ROOT, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('error', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return warming;
}

export type NodeKey = `c${number}` | `b${number}` | `n${number}`;

export class ProcessCluster {
  readonly procs = new Map<NodeKey, ChildProcess>();
  readonly output = new Map<NodeKey, string[]>();
  readonly controllerPorts = new Map<number, number>();
  readonly brokerPorts = new Map<number, number>();

  constructor(
    private readonly dir: string,
    private readonly controllerIds: readonly number[],
    private readonly brokerIds: readonly number[],
    private readonly extraControllerArgs: readonly string[] = [],
    private readonly extraBrokerArgs: readonly string[] = [],
  ) {}

  async allocatePorts(): Promise<void> {
    const taken = new Set<number>();
    for (const id of this.controllerIds) this.controllerPorts.set(id, await freePortPair(taken));
    for (const id of this.brokerIds) this.brokerPorts.set(id, await freePortPair(taken));
  }

  get controllersArg(): string {
    return this.controllerIds.map((id) => `${id}@127.0.0.1:${this.controllerPorts.get(id)}`).join(',');
  }

  controllerAddress(id: number): ControllerAddress {
    const port = this.controllerPorts.get(id)!;
    return { id, host: '127.0.0.1', port, raftPort: port + 1 };
  }

  /** Controller `id`'s view of the metadata quorum (undefined when it does not answer). */
  async quorum(id: number): Promise<DescribeQuorumAnswer | undefined> {
    const r = await describeQuorum(this.controllerAddress(id), 1000);
    return isLeft(r) ? undefined : r.right;
  }

  /** Polls the live controllers until one is active and `accept` holds for it (bounded). */
  async waitForActiveController(deadline: number, accept: (q: DescribeQuorumAnswer) => boolean = () => true): Promise<DescribeQuorumAnswer> {
    while (Date.now() < deadline) {
      for (const id of this.controllerIds) {
        if (!this.isUp(`c${id}`)) continue;
        const q = await this.quorum(id);
        if (q !== undefined && q.active && accept(q)) return q;
      }
      await pause(50);
    }
    throw new Error('no controller became active (in the expected way) before the deadline');
  }

  /** Polls until controller `id` has applied at least `index` of the metadata log (bounded). */
  async waitForControllerApplied(id: number, index: number, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const q = await this.quorum(id);
      if (q !== undefined && q.appliedIndex >= index) return;
      await pause(50);
    }
    throw new Error(`controller ${id} did not apply the metadata log up to ${index} before the deadline`);
  }

  bootstrap(id: number): string {
    return `127.0.0.1:${this.brokerPorts.get(id)}`;
  }

  startController(id: number): Promise<void> {
    return this.spawnNode(`c${id}`, [
      '--controller',
      '--node-id',
      String(id),
      '--controllers',
      this.controllersArg,
      '--data-dir',
      path.join(this.dir, `controller-${id}`),
      ...this.extraControllerArgs,
    ]);
  }

  /**
   * A controller joining the running quorum (`--join`), for `rill cluster
   * add-controller` to add: on a port pair of its own, with a --controllers
   * list of the founders and itself. Its address is then controllerAddress(id).
   */
  async startJoiningController(id: number): Promise<void> {
    if (!this.controllerPorts.has(id))
      this.controllerPorts.set(id, await freePortPair(new Set([...this.controllerPorts.values(), ...this.brokerPorts.values()].flatMap((p) => [p, p + 1]))));
    const list = `${this.controllersArg},${id}@127.0.0.1:${this.controllerPorts.get(id)}`;
    return this.spawnNode(`c${id}`, [
      '--controller',
      '--join',
      '--node-id',
      String(id),
      '--controllers',
      list,
      '--data-dir',
      path.join(this.dir, `controller-${id}`),
      ...this.extraControllerArgs,
    ]);
  }

  startBroker(id: number): Promise<void> {
    return this.spawnNode(`b${id}`, [
      '--node-id',
      String(id),
      '--controllers',
      this.controllersArg,
      '--port',
      String(this.brokerPorts.get(id)),
      '--data-dir',
      path.join(this.dir, `broker-${id}`),
      ...this.extraBrokerArgs,
    ]);
  }

  /** Controller and broker in one process (needs the same ids for controllers and brokers). Ready once both roles printed their line. */
  startCombined(id: number): Promise<void> {
    return this.spawnNode(
      `n${id}`,
      [
        '--controller',
        '--node-id',
        String(id),
        '--controllers',
        this.controllersArg,
        '--port',
        String(this.brokerPorts.get(id)),
        '--data-dir',
        path.join(this.dir, `node-${id}`),
        ...this.extraControllerArgs,
        ...this.extraBrokerArgs,
      ],
      2,
    );
  }

  private async spawnNode(key: NodeKey, args: string[], readyLines = 1): Promise<void> {
    await warmTranspileCache();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.spawnOnce(key, args, readyLines);
      } catch (e) {
        // A port of a restarted node can still be held for a moment (by a connection, or a test
        // elsewhere on the machine): try again a few times, then give up with the node's output.
        if (!(e instanceof PortInUse) || attempt >= 5) throw e;
        this.procs.delete(key);
        await pause(500 * attempt);
      }
    }
  }

  private async spawnOnce(key: NodeKey, args: string[], readyLines: number): Promise<void> {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, 'broker', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.set(key, child);
    const lines: string[] = this.output.get(key) ?? [];
    this.output.set(key, lines);
    const from = lines.length;
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      lines.push(l);
      if (lines.length > 500) lines.shift();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${key} not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      let ready = 0;
      readline.createInterface({ input: child.stdout! }).on('line', () => {
        if (++ready !== readyLines) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        // Decide once its stderr is read to the end (it may still be arriving at 'exit').
        const decide = () => {
          const message = `${key} exited with ${code} before it was ready:\n${lines.join('\n')}`;
          reject(lines.slice(from).some((l) => l.includes('EADDRINUSE')) ? new PortInUse(message) : new Error(message));
        };
        if (child.stderr!.readableEnded) decide();
        else child.stderr!.once('end', () => setImmediate(decide));
      });
    });
  }

  async kill(key: NodeKey): Promise<void> {
    const child = this.procs.get(key);
    if (child === undefined) return;
    this.procs.delete(key);
    await killAndWait(child);
  }

  /** SIGTERM (a broker moves its leaderships away first), SIGKILL after 20 s; resolves once it has exited. */
  async terminate(key: NodeKey): Promise<void> {
    const child = this.procs.get(key);
    if (child === undefined) return;
    this.procs.delete(key);
    await terminateAndWait(child, 20_000);
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((k) => this.kill(k)));
  }

  /** Whether that process runs; `c`/`b` keys also match a combined node `n` of the same id. */
  isUp(key: NodeKey): boolean {
    return this.procs.has(key) || (key[0] !== 'n' && this.procs.has(`n${key.slice(1)}` as NodeKey));
  }

  /** Metadata for `topic` as broker `id` sees it (undefined when it cannot be asked). */
  async metadata(id: number, topic: string): Promise<apis.MetadataResponse | undefined> {
    let c: KafkaConnection | undefined;
    try {
      c = await KafkaConnection.connect(this.bootstrap(id), { timeoutMs: 2000 });
      return await c.request<apis.MetadataResponse>(apis.metadata, {
        topics: [{ name: topic }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    } catch {
      return undefined;
    } finally {
      c?.close();
    }
  }

  /** Polls the live brokers until `accept` holds for some broker's view of partition 0 of `topic` (bounded). */
  async waitForPartition(
    topic: string,
    deadline: number,
    accept: (p: { leaderId: number; isrNodes: number[]; leaderEpoch: number }) => boolean,
  ): Promise<{ leaderId: number; isrNodes: number[]; leaderEpoch: number }> {
    while (Date.now() < deadline) {
      for (const id of this.brokerIds) {
        if (!this.isUp(`b${id}`)) continue;
        const m = await this.metadata(id, topic);
        const p = m?.topics[0]?.partitions.find((x) => x.partitionIndex === 0);
        if (p !== undefined && accept(p)) return p;
      }
      await pause(50);
    }
    throw new Error(`partition 0 of ${topic} did not reach the expected state before the deadline`);
  }

  /** Polls until broker `id` lists `count` brokers and itself among them (bounded). */
  async waitForBrokers(id: number, count: number, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const m = await this.metadata(id, '__none');
      if (m !== undefined && m.brokers.length >= count && m.brokers.some((b) => b.nodeId === id)) return;
      await pause(50);
    }
    throw new Error(`broker ${id} did not see ${count} registered brokers before the deadline`);
  }

  /** Polls the live brokers until one names a coordinator of `groupId` for which `accept` holds (bounded). */
  async waitForCoordinator(groupId: string, deadline: number, accept: (nodeId: number) => boolean = () => true): Promise<number> {
    while (Date.now() < deadline) {
      for (const id of this.brokerIds) {
        if (!this.isUp(`b${id}`)) continue;
        let c: KafkaConnection | undefined;
        try {
          c = await KafkaConnection.connect(this.bootstrap(id), { timeoutMs: 2000 });
          const r = await c.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
          const found = c.versionFor(apis.findCoordinator) >= 4 ? r.coordinators[0] : r;
          if (found.errorCode === 0 && accept(found.nodeId)) return found.nodeId;
        } catch {
          // not answering (yet): ask the next one
        } finally {
          c?.close();
        }
      }
      await pause(50);
    }
    throw new Error(`no coordinator of group ${groupId} (in the expected state) was named before the deadline`);
  }

  /** One turn of polling (for loops that wait on a condition of their own, with a deadline). */
  nextTick(): Promise<void> {
    return pause(20);
  }

  dump(): string {
    return [...this.output].map(([k, lines]) => `--- ${k}\n${lines.slice(-40).join('\n')}`).join('\n');
  }
}

/** Runs `rill ARGS` as a child process with `input` on stdin; its exit code and output (killed, and an error, after `timeoutMs`). */
export function runCli(args: readonly string[], timeoutMs: number, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rill ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Output may still be in the pipes when 'exit' fires: wait for them to close.
      let open = 2;
      const done = () => --open === 0 && resolve({ code, stdout, stderr });
      if (child.stdout!.readableEnded) done();
      else child.stdout!.once('end', done);
      if (child.stderr!.readableEnded) done();
      else child.stderr!.once('end', done);
    });
  });
}

/** Retry backoff of the producing loop (not a synchronization: the loop polls its own outcome). */
const backoff = () => pause(50);

/**
 * kafkajs producing to one topic with acks=all, one record per request.
 * Plain (the default): each new value sent once (no retries), so an
 * acknowledged value can appear only once in the log, and acknowledgements come
 * in log order; on any failure it starts a fresh producer (fresh metadata: the
 * leader may have moved).
 * Idempotent: one `idempotent: true` producer (maxInFlightRequests 1, as
 * kafkajs requires) for the whole run, sending each value again after a failure
 * until it is acknowledged (its producer id and sequence number stay the same),
 * so only the brokers' deduplication keeps a value from being stored twice.
 * stop() then lets the value in flight finish: every value sent is acknowledged.
 */
export class AckedProducer {
  readonly acked: string[] = [];
  failures = 0;
  /** The last send error (for a test's failure message). */
  lastError = '';
  private stopped = false;
  private next = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly deadline: number,
    private readonly mode: 'plain' | 'idempotent' = 'plain',
  ) {}

  start(): void {
    this.running = this.loop();
  }

  private async connect(): Promise<Producer> {
    const producer =
      this.mode === 'idempotent'
        ? this.kafka.producer({
            idempotent: true,
            maxInFlightRequests: 1,
            retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
            allowAutoTopicCreation: false,
          })
        : this.kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false });
    try {
      await producer.connect();
    } catch (e) {
      await producer.disconnect().catch(() => {});
      throw e;
    }
    return producer;
  }

  private async loop(): Promise<void> {
    let producer: Producer | undefined;
    /** The value being sent; an idempotent producer keeps it until acknowledged. */
    let value: string | undefined;
    while ((!this.stopped || value !== undefined) && Date.now() < this.deadline) {
      try {
        producer ??= await this.connect();
        value ??= `v${this.next++}`;
        await producer.send({ topic: this.topic, acks: -1, timeout: 5000, messages: [{ value }] });
        this.acked.push(value);
        value = undefined;
      } catch (e) {
        this.failures++;
        this.lastError = (e as Error).message;
        if (this.mode === 'plain') {
          value = undefined;
          await producer?.disconnect().catch(() => {});
          producer = undefined;
        }
        await backoff();
      }
    }
    await producer?.disconnect().catch(() => {});
  }

  /** Resolves once `n` more records are acknowledged; throws at the deadline. */
  async waitForAcks(n: number): Promise<void> {
    const target = this.acked.length + n;
    while (this.acked.length < target) {
      if (Date.now() >= this.deadline)
        throw new Error(`only ${this.acked.length} records acknowledged before the deadline (${this.failures} failed sends, the last: ${this.lastError})`);
      await pause(20);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

/** Every record value of partition 0 of `topic`, read from broker `id` up to its high watermark (bounded). */
export async function readPartition(cluster: ProcessCluster, id: number, topic: string, deadline: number): Promise<string[]> {
  const conn = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 5000 });
  const values: string[] = [];
  try {
    let offset = 0;
    for (;;) {
      if (Date.now() >= deadline) throw new Error('reading back did not finish before the deadline');
      const r = await conn.request<apis.FetchResponse>(apis.fetch, fetchRequestBody(topic, [{ partition: 0, fetchOffset: offset }]));
      const p = r.responses[0].partitions[0];
      if (p.errorCode !== 0) throw new Error(`fetch of ${topic}-0 at ${offset} from broker ${id} failed with error ${p.errorCode}`);
      const batches = decodeRecordBatches(p.records ?? Buffer.alloc(0));
      if (isLeft(batches)) throw new Error(`bad batch at ${offset}`);
      for (const b of batches.right) for (const rec of b.records) if (rec.offset >= offset) values.push(rec.value!.toString());
      if (batches.right.length > 0) offset = batches.right[batches.right.length - 1].lastOffset + 1;
      if (offset >= p.highWatermark) break;
    }
  } finally {
    conn.close();
  }
  return values;
}

/** What is wrong with `stored` given the acknowledged values: duplicates, losses, reordering (empty: nothing). */
export function ackedProblems(acked: readonly string[], stored: readonly string[]): string[] {
  const problems: string[] = [];
  const position = new Map<string, number>();
  for (const [i, v] of stored.entries()) {
    if (position.has(v)) problems.push(`${v} is stored twice (offsets ${position.get(v)} and ${i})`);
    position.set(v, i);
  }
  const lost = acked.filter((v) => !position.has(v));
  if (lost.length > 0) problems.push(`${lost.length} acknowledged records are missing: ${lost.slice(0, 10).join(', ')}`);
  let last = -1;
  for (const v of acked) {
    const p = position.get(v);
    if (p === undefined) continue;
    if (p < last) problems.push(`${v} is stored before a record acknowledged earlier`);
    last = Math.max(last, p);
  }
  return problems;
}

/**
 * The start of a replicated-topic scenario: controllers and brokers up, every
 * broker registered, `topic` created (1 partition, replication factor 3,
 * min.insync.replicas=2) with a full ISR. The returned deadline starts once the
 * nodes are up (starting has its own bound).
 */
export async function createReplicatedTopic(
  cluster: ProcessCluster,
  ids: readonly number[],
  topic: string,
  deadlineMs: number,
  phase: (name: string) => void,
): Promise<{ kafka: Kafka; deadline: number }> {
  await cluster.allocatePorts();
  await Promise.all(ids.map((id) => cluster.startController(id)));
  await Promise.all(ids.map((id) => cluster.startBroker(id)));
  phase('processes up');
  const deadline = Date.now() + deadlineMs;
  for (const id of ids) await cluster.waitForBrokers(id, ids.length, deadline);
  phase('brokers registered');
  const kafka = new Kafka({
    clientId: `${topic}-test`,
    brokers: ids.map((id) => cluster.bootstrap(id)),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await admin.disconnect();
  await cluster.waitForPartition(topic, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
  return { kafka, deadline };
}

/** createReplicatedTopic, with an acks=all producer (AckedProducer, plain or idempotent) running. */
export async function startReplicatedTopic(
  cluster: ProcessCluster,
  ids: readonly number[],
  topic: string,
  deadlineMs: number,
  phase: (name: string) => void,
  mode: 'plain' | 'idempotent' = 'plain',
): Promise<{ kafka: Kafka; producer: AckedProducer; deadline: number }> {
  const { kafka, deadline } = await createReplicatedTopic(cluster, ids, topic, deadlineMs, phase);
  const producer = new AckedProducer(kafka, topic, deadline, mode);
  producer.start();
  return { kafka, producer, deadline };
}

/** A scenario's timeline: phase(name) notes the time since it began; `phases` goes into a failure message. */
export function timeline(): { phase: (name: string) => void; phases: string[] } {
  const started = Date.now();
  const phases: string[] = [];
  return { phase: (name) => phases.push(`${name} @${Date.now() - started}ms`), phases };
}

/**
 * The ProcessCluster of one describe block: made in a fresh temporary directory
 * before its tests; after them every process is killed and the directory removed.
 * Call inside `describe`; the returned function gives the cluster.
 */
export function useProcessCluster(
  prefix: string,
  ...args: ConstructorParameters<typeof ProcessCluster> extends [string, ...infer Rest] ? Rest : never
): () => ProcessCluster {
  let dir: string;
  let cluster: ProcessCluster;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    cluster = new ProcessCluster(dir, ...args);
  });
  afterAll(async () => {
    await cluster.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => cluster;
}

export interface ScenarioContext {
  readonly cluster: ProcessCluster;
  readonly producer: AckedProducer;
  readonly deadline: number;
  /** Notes a step with its time since the start; the steps are printed when the scenario fails (or with RILL_CLUSTER_TEST_VERBOSE). */
  readonly phase: (name: string) => void;
}

/**
 * A replicated-topic scenario from start to check: the nodes and the topic up
 * with an acks=all producer running (startReplicatedTopic, plain or
 * idempotent), then `rounds` of `faults`, each once `acksPerRound` more records
 * are acknowledged, then `acksPerRound` more and `afterFaults`; the producer
 * stopped, and the partition read back from its leader: every acknowledged
 * record exactly once and in order. A failure carries the steps and the nodes'
 * last output. Returns what was acknowledged and what is stored.
 */
export async function runReplicatedScenario(
  cluster: ProcessCluster,
  ids: readonly number[],
  topic: string,
  opts: { deadlineMs: number; rounds: number; acksPerRound: number; producer?: 'plain' | 'idempotent' },
  faults: (round: number, ctx: ScenarioContext) => Promise<void>,
  afterFaults: (ctx: ScenarioContext) => Promise<void> = async () => {},
): Promise<{ acked: readonly string[]; stored: readonly string[] }> {
  const { phase, phases } = timeline();
  try {
    const { producer, deadline } = await startReplicatedTopic(cluster, ids, topic, opts.deadlineMs, phase, opts.producer);
    const ctx: ScenarioContext = { cluster, producer, deadline, phase };
    try {
      for (let round = 0; round < opts.rounds; round++) {
        await producer.waitForAcks(opts.acksPerRound);
        await faults(round, ctx);
      }
      await producer.waitForAcks(opts.acksPerRound);
      await afterFaults(ctx);
    } finally {
      await producer.stop();
    }
    const { leaderId } = await cluster.waitForPartition(topic, deadline, (p) => p.leaderId > 0);
    const stored = await readPartition(cluster, leaderId, topic, deadline);
    phase(`acked ${producer.acked.length}, failed sends ${producer.failures}, stored ${stored.length}`);
    if (process.env.RILL_CLUSTER_TEST_VERBOSE) console.log(phases.join('\n'));
    expect(ackedProblems(producer.acked, stored)).toEqual([]);
    expect(producer.acked.length).toBeGreaterThanOrEqual((opts.rounds + 1) * opts.acksPerRound);
    return { acked: producer.acked, stored };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${cluster.dump()}`);
  }
}

/**
 * A fault round: the leader of partition 0 of `topic` (once the ISR is full) is
 * stopped — with SIGKILL, or in odd rounds with SIGTERM when `alsoTerminate`
 * (a controlled shutdown) — a new one elected, the old one restarted.
 */
export function killLeader(
  topic: string,
  alsoTerminate = false,
): (round: number, ctx: Pick<ScenarioContext, 'cluster' | 'deadline' | 'phase'>) => Promise<void> {
  return async (round, { cluster, deadline, phase }) => {
    const { leaderId: victim } = await cluster.waitForPartition(topic, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
    const terminate = alsoTerminate && round % 2 === 1;
    phase(`round ${round}: ${terminate ? 'terminate' : 'kill'} leader ${victim}`);
    await (terminate ? cluster.terminate(`b${victim}`) : cluster.kill(`b${victim}`));
    await cluster.waitForPartition(topic, deadline, (p) => p.leaderId > 0 && p.leaderId !== victim);
    phase(`round ${round}: new leader`);
    await cluster.startBroker(victim);
    phase(`round ${round}: ${victim} restarted`);
  };
}
