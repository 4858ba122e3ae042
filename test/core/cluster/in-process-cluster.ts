// A whole Rill cluster in the test's process: controllers and brokers with real
// sockets and disks on loopback, and a fault-injecting network
// (BrokerOptions.linkFilter): `isolate(id)` cuts broker `id` off from every
// controller, both ways, as a network partition would, while it can still
// reach (and be reached by) the other brokers; `isolate(id, 'all')` cuts it off
// from the other brokers' replication too. Between controllers the faults are
// at core/raft's transport (ControllerOptions.raftLinkFilter):
// `cutControllers(a, b)` drops the Raft messages between two controllers both
// ways, `isolateController(id)` cuts one off from every other controller (both
// still serve brokers). stop() ends all.
import { loggerTo } from '../../../core/logging';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import {
  BrokerProcess,
  ControllerProcess,
  parseControllers,
  type BrokerOptions,
  type ControllerAddress,
  type ControllerConfig,
  type InternalTlsOptions,
} from '../../../core/cluster';
import { decodeRecordBatches } from '../../../core/log';
import { apis, type ClientTlsOptions, KafkaConnection } from '../../../core/protocol';
import { freePortPair } from '../../support/ports';
import { metricsRegistry, type Registry } from '../../../core/metrics';

/** Polls `probe` until it gives a value; throws `what` at the deadline. */
export async function until<T>(deadline: number, probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} before the deadline`);
}

const linkKey = (a: number, b: number) => `${Math.min(a, b)}-${Math.max(a, b)}`;

export interface InProcessClusterOptions {
  readonly ids: readonly number[];
  readonly controllerConfig?: Partial<ControllerConfig>;
  readonly broker?: Partial<
    Pick<
      BrokerOptions,
      'heartbeatIntervalMs' | 'replicaLagTimeMaxMs' | 'retentionCheckIntervalMs' | 'kafkaBounds' | 'kafkaTls' | 'autoCreateTopics' | 'authorizer'
    >
  >;
  /** Options of single brokers, by id, over `broker` (e.g. SASL on some listeners only). */
  readonly brokerOverrides?: Readonly<Record<number, Partial<BrokerOptions>>>;
  /** broker.rack by broker id (absent: no rack). */
  readonly racks?: Readonly<Record<number, string>>;
  /** How the cluster's own Kafka requests (metadata(), allBrokersRegistered()) connect when the brokers serve SSL (broker.kafkaTls). */
  readonly clientTls?: ClientTlsOptions;
  /** Mutual TLS on every link between nodes (controller RPC, Raft, replication), as --internal-ssl-* gives it. */
  readonly internalTls?: InternalTlsOptions;
  /** Every node keeps metrics: one registry per node id, its controller's and its broker's side by side (as a combined `rill broker` node). */
  readonly metrics?: boolean;
}

export class InProcessCluster {
  readonly controllers: ControllerProcess[] = [];
  readonly brokers: BrokerProcess[] = [];
  readonly brokerPorts: number[] = [];
  /** Every broker's log lines, by broker id. */
  readonly brokerLogs = new Map<number, string[]>();
  private readonly isolated = new Map<number, 'controllers' | 'brokers' | 'all'>();
  private controllerPorts = new Set<number>();
  /** Controller pairs whose Raft link is cut, as "low-high". */
  private readonly controllerCuts = new Set<string>();
  /** The controllers' addresses, as every node is given them. */
  addresses: readonly ControllerAddress[] = [];
  private readonly brokerOptions = new Map<number, BrokerOptions>();
  /** With `metrics`: each node's registry, by node id. */
  readonly registries = new Map<number, Registry>();

  private clientTls: ClientTlsOptions | undefined;

  private constructor(readonly dir: string) {}

  static async start(options: InProcessClusterOptions): Promise<InProcessCluster> {
    const cluster = new InProcessCluster(fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cluster-inproc-')));
    try {
      await cluster.boot(options);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  private async boot({ ids, controllerConfig, broker, brokerOverrides, racks, clientTls, internalTls, metrics }: InProcessClusterOptions): Promise<void> {
    this.clientTls = clientTls;
    if (metrics) for (const id of ids) this.registries.set(id, metricsRegistry());
    const taken = new Set<number>();
    const cports: number[] = [];
    for (const _ of ids) cports.push(await freePortPair(taken));
    for (const _ of ids) this.brokerPorts.push(await freePortPair(taken));
    this.controllerPorts = new Set(cports);
    const addresses = E.getOrElseW(() => [] as ControllerAddress[])(parseControllers(cports.map((p, i) => `${ids[i]}@127.0.0.1:${p}`).join(',')));
    this.addresses = addresses;
    for (const id of ids) {
      const c = await ControllerProcess.start({
        nodeId: id,
        controllers: addresses,
        dataDir: path.join(this.dir, `c${id}`),
        tickMs: 20,
        config: controllerConfig,
        raftLinkFilter: (to) => !this.controllerCuts.has(linkKey(id, to)),
        metrics: this.registries.get(id),
        internalTls,
      });
      if (E.isLeft(c)) throw new Error(c.left);
      this.controllers.push(c.right);
    }
    for (const [i, id] of ids.entries()) {
      const lines: string[] = [];
      this.brokerLogs.set(id, lines);
      const options: BrokerOptions = {
        nodeId: id,
        controllers: addresses,
        dataDir: path.join(this.dir, `b${id}`),
        port: this.brokerPorts[i],
        rack: racks?.[id] ?? null,
        internalTls,
        ...broker,
        ...brokerOverrides?.[id],
        logger: loggerTo((l) => lines.push(`${Date.now()} ${l.msg}`)),
        linkFilter: (to) => this.delivers(id, to.port),
        metrics: this.registries.get(id),
      };
      this.brokerOptions.set(id, options);
      const b = await BrokerProcess.start(options);
      if (E.isLeft(b)) throw new Error(b.left);
      this.brokers.push(b.right);
    }
  }

  /** Stops broker `id` (as a crash would, without a controlled shutdown), runs `whileDown`, then starts it again on the same data and ports: a new incarnation. */
  async restart(id: number, whileDown: () => Promise<void> = async () => {}): Promise<BrokerProcess> {
    // A registry holds one set of metrics: a new incarnation would register its broker's again.
    if (this.registries.size > 0) throw new Error('restart() of a cluster started with metrics: its registries already hold the broker metrics');
    const i = this.brokers.findIndex((b) => b.nodeId === id);
    await this.brokers[i].stop();
    // It comes back even when `whileDown` fails, so the next test finds every broker running.
    let started: E.Either<string, BrokerProcess> | undefined;
    try {
      await whileDown();
    } finally {
      started = await BrokerProcess.start(this.brokerOptions.get(id)!);
      if (E.isRight(started)) this.brokers[i] = started.right;
    }
    if (E.isLeft(started)) throw new Error(started.left);
    return started.right;
  }

  /** Whether a message from broker `from` to `port` (a controller, or a broker's replication port) gets through. */
  private delivers(from: number, port: number): boolean {
    const cut = this.isolated.get(from);
    if (this.controllerPorts.has(port)) return cut === undefined || cut === 'brokers';
    const to = this.brokers.find((b) => b.options.port + 1 === port)?.nodeId;
    if (to === undefined) return true;
    const cutOff = (c: 'controllers' | 'brokers' | 'all' | undefined) => c === 'all' || c === 'brokers';
    return !(cutOff(cut) || cutOff(this.isolated.get(to)));
  }

  bootstrap(id: number): string {
    return `127.0.0.1:${this.brokerPorts[this.brokers.findIndex((b) => b.nodeId === id)]}`;
  }

  /** Metadata for `topics` as broker `id` answers it over the Kafka protocol. */
  async metadata(id: number, topics: readonly string[] = []): Promise<apis.MetadataResponse> {
    const c = await KafkaConnection.connect(this.bootstrap(id), { timeoutMs: 5000, tls: this.clientTls });
    try {
      return await c.request<apis.MetadataResponse>(apis.metadata, {
        topics: topics.map((name) => ({ name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    } finally {
      c.close();
    }
  }

  /** The node id of `transactionalId`'s transaction coordinator as broker `id` finds it (FindCoordinator, key type 1). */
  async transactionCoordinator(id: number, transactionalId: string): Promise<number> {
    const c = await KafkaConnection.connect(this.bootstrap(id), { timeoutMs: 5000, tls: this.clientTls });
    try {
      const r = await c.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: transactionalId, keyType: 1, coordinatorKeys: [transactionalId] });
      const found = c.versionFor(apis.findCoordinator) >= 4 ? r.coordinators[0] : r;
      if (found.errorCode !== 0) throw new Error(`FindCoordinator: error ${found.errorCode}`);
      return found.nodeId;
    } finally {
      c.close();
    }
  }

  /** The batches of `topic`-`partition` as broker `nodeId`'s replica stores them: values, or 'COMMIT'/'ABORT' for markers; none when it holds no replica. */
  storedBatches(nodeId: number, topic: string, partition: number): (string | string[])[] {
    const h = this.brokers.find((b) => b.nodeId === nodeId)?.replicas.get(`${topic}-${partition}`);
    if (h === undefined) return [];
    const decoded = decodeRecordBatches(h.log.read(0, 1 << 20));
    if (decoded._tag === 'Left') throw new Error(decoded.left.message);
    return decoded.right.map((b) => (b.isControl ? (b.records[0].key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT') : b.records.map((r) => r.value!.toString())));
  }

  /** Resolves once every broker lists every broker as registered and unfenced (bounded); the last Metadata seen. */
  async allBrokersRegistered(deadline: number): Promise<apis.MetadataResponse> {
    let last: apis.MetadataResponse | undefined;
    for (const b of this.brokers) {
      last = await until(
        deadline,
        async () => {
          const m = await this.metadata(b.nodeId).catch(() => undefined);
          return m !== undefined && m.brokers.length === this.brokers.length ? m : undefined;
        },
        `broker ${b.nodeId} did not see every broker registered`,
      );
    }
    return last!;
  }

  /**
   * Creates `topic` (CreateTopics through broker `via`) with `partitions`
   * partitions, each on every broker, and resolves once every broker sees
   * every partition's ISR complete (bounded).
   */
  async createReplicatedTopic(via: number, topic: string, partitions: number, deadline: number): Promise<void> {
    const c = await KafkaConnection.connect(this.bootstrap(via), { timeoutMs: 15_000, tls: this.clientTls });
    try {
      const created = await c.request<apis.CreateTopicsResponse>(apis.createTopics, {
        topics: [{ name: topic, numPartitions: partitions, replicationFactor: this.brokers.length, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      if (created.topics[0].errorCode !== 0) throw new Error(`cannot create ${topic}: error ${created.topics[0].errorCode}`);
    } finally {
      c.close();
    }
    const replicated = () =>
      this.brokers.every((b) => {
        const t = b.image.topicByName(topic);
        return t !== undefined && [...t.partitions.values()].every((p) => p.isr.length === this.brokers.length);
      });
    await until(deadline, () => (replicated() ? true : undefined), `${topic} is not replicated`);
  }

  broker(id: number): BrokerProcess {
    return this.brokers.find((b) => b.nodeId === id)!;
  }

  /** The active controller, if one is active now. */
  activeController(): ControllerProcess | undefined {
    return this.controllers.find((c) => c.describeQuorum().active);
  }

  /**
   * Cuts broker `id` off from every controller (its heartbeats, metadata fetches
   * and AlterPartition are lost), with 'brokers' from the other brokers only
   * (replica fetches to and from it are lost), with 'all' from both. Kafka
   * clients still reach it.
   */
  isolate(id: number, from: 'controllers' | 'brokers' | 'all' = 'controllers'): void {
    this.isolated.set(id, from);
  }

  heal(id: number): void {
    this.isolated.delete(id);
  }

  controller(id: number): ControllerProcess {
    return this.controllers.find((c) => c.describeQuorum().nodeId === id)!;
  }

  /** Drops every Raft message between controllers `a` and `b`, both ways; each still reaches the others. */
  cutControllers(a: number, b: number): void {
    this.controllerCuts.add(linkKey(a, b));
  }

  /** Cuts controller `id` off from every other controller (brokers still reach it, and it them). */
  isolateController(id: number): void {
    for (const c of this.addresses) if (c.id !== id) this.cutControllers(id, c.id);
  }

  healControllers(): void {
    this.controllerCuts.clear();
  }

  async stop(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.stop()));
    await Promise.all(this.controllers.map((c) => c.stop()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
