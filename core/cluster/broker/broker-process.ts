// A cluster broker: registers with the controller quorum and heartbeats, follows
// the committed metadata log as an observer (entries, or a snapshot when it is
// behind), and acts only once its own registration is in its image (KIP-631).
// Then it runs a PartitionReplica over a replicated PartitionLog for every
// partition assigned to it, hands each its partition state, carries follower
// fetches and OffsetForLeaderEpoch to leaders over core/cluster's RPC (one
// batch per leader broker: replica-fetcher.ts, replica-fetch-leader.ts), and
// sends leaders' ISR changes to the controller as AlterPartition. Kafka clients
// are served by core/protocol's KafkaServer over this broker's ports
// (cluster-ports.ts: this image and these replicas; consumer groups by
// ClusterGroupCoordinator over the replicated __consumer_offsets).
import { lineLog, silentLogger, type Logger } from '../../logging';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { DEFAULT_BROKER_LIMITS, LogScheduler } from '../../broker';
import { closeLogsAsync, DEFAULT_LOG_CONFIG, DirLock, LOG_CONFIG_KEYS, LogDirCheckpoints, type LogWarning, PartitionLog, systemClock } from '../../log';
import { lockDataDir } from '../data-dir-lock';
import { type auth, KafkaServer, type ListenerSasl, type ListenerTlsOptions, type ServerBounds } from '../../protocol';
import { minInsyncReplicas, uncleanElectionEnabled } from '../controller/partition-change';
import type { BrokerHeartbeatResponse } from '../controller/broker-lifecycle';
import type { CreateTopicRequest } from '../controller/topic-admin';
import { ErrorCode, refusal, type Refusal } from '../errors';
import { decodeMetadataBatch } from '../metadata/codec';
import { MetadataImage, type PartitionRegistration, type TopicImage } from '../metadata/image';
import { PartitionReplica, type ReplicaConfig } from '../replication/partition-replica';
import type { ControllerAddress } from '../net/addresses';
import { ControllerClient } from '../controller/controller-client';
import { ControllerMethod, decodeFeed, type ControllerAnswer } from '../controller/controller-protocol';
import { replicaName, type BrokerView, type HostedReplica } from './broker-view';
import { clusterPorts } from './cluster-ports';
import { clusterSecurityPort } from './cluster-security';
import { ClusterGroupCoordinator } from './group-coordinator';
import { ReplicaChanges } from './replica-changes';
import { DueQueue } from './due-queue';
import { LogOpenQueue, opensFirst, type QueuedLog } from './log-open-queue';
import { ReplicaFetchLeader } from './replica-fetch-leader';
import { decodeFetchBatch, encodeFetchAnswer, REPLICA_FETCH_METHOD } from './replica-fetch-wire';
import { ReplicaFetchers } from './replica-fetcher';
import { ClusterTransactions, type ClusterTransactionSettings } from './transaction-coordinator';
import { decodeTxnMarkerRequest, txnMarkerAnswer, WRITE_TXN_MARKER_METHOD } from './txn-marker-rpc';
import { ProducerIdAllocator } from './producer-ids';
import { RpcClient, RpcServer, type LinkFilter, type LinkSockets, type RpcMessage, type RpcPeer, type RpcResult } from '../net/rpc';
import { InternalTls, type InternalTlsOptions } from '../net/internal-tls';
import type { Registry } from '../../metrics';
import { ClusterBrokerMetrics } from './cluster-broker-metrics';

export interface BrokerOptions {
  readonly nodeId: number;
  readonly controllers: readonly ControllerAddress[];
  readonly dataDir: string;
  /** Kafka port; replication between brokers uses port + 1. */
  readonly port: number;
  readonly host?: string;
  readonly advertisedHost?: string;
  /** Bounds of the Kafka listener (max.connections, max.connections.per.ip, queued.max.request.bytes, socket.request.max.bytes, requests in flight per connection, connections.max.idle.ms). */
  readonly kafkaBounds?: ServerBounds;
  /** TLS on the Kafka listener (SSL); absent: PLAINTEXT. */
  readonly kafkaTls?: ListenerTlsOptions;
  /** Mutual TLS on the links to controllers and other brokers (replication); absent: plain TCP. */
  readonly internalTls?: InternalTlsOptions;
  /** The authorizer (super users, allow.everyone.if.no.acl.found) enforcing the metadata log's ACLs; absent: none. */
  readonly authorizer?: auth.AuthorizerConfig;
  /**
   * SASL on the Kafka listener (SASL_PLAINTEXT, or SASL_SSL with kafkaTls):
   * its mechanisms and bounds; credentials are the metadata log's. Absent: no
   * SASL (AlterUserScramCredentials still manages the cluster's users).
   */
  readonly kafkaSasl?: Omit<ListenerSasl, 'security'>;
  /**
   * The first listener's name (Kafka's listeners NAME). With it, or with
   * `extraListeners`, the broker registers its listeners by name, and a client
   * is told every broker's address on the listener it came in on.
   */
  readonly listenerName?: string;
  /** More Kafka listeners beside the first (an INTERNAL PLAINTEXT one beside an EXTERNAL SASL_SSL one), each with its own security. */
  readonly extraListeners?: readonly KafkaListenerOptions[];
  /** auto.create.topics.enable: a client's Metadata request creates the unknown topics it names (1 partition, the cluster's default replication). Default true, as on `rill broker` and Kafka. */
  readonly autoCreateTopics?: boolean;
  /** fetch.max.bytes: record bytes of one Fetch response, whatever the client asks (at least one batch). Default 55 MiB. */
  readonly fetchMaxBytes?: number;
  /** broker.rack: replicas of a partition are spread across racks (null or absent: no rack). */
  readonly rack?: string | null;
  readonly heartbeatIntervalMs?: number;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs?: number;
  /** The transaction coordinator's transaction.max.timeout.ms, transactional.id.expiration.ms and abort-check interval; absent: Kafka's defaults. */
  readonly transactions?: ClusterTransactionSettings;
  /**
   * How often every hosted replica's log gets retention (retention.ms /
   * retention.bytes) and, for compacted topics, compaction: Kafka's
   * log.retention.check.interval.ms (default here 30 000 ms). Only what lies
   * below the high watermark is deleted or compacted.
   */
  readonly retentionCheckIntervalMs?: number;
  /** Where this broker's metrics go (the Kafka front end's, its partition logs', its ISR's). Absent: nothing is counted. */
  readonly metrics?: Registry;
  /** Where its lines go (bindings: component broker, nodeId). Default: none. */
  readonly logger?: Logger;
  /** Test hook: the broker opens no replica log until `logOpens.resume()` (so a replica's queued state can be looked at). */
  readonly holdLogOpens?: boolean;
  /** Test hook: which of this broker's outgoing RPC links (to controllers and to other brokers) deliver. */
  readonly linkFilter?: LinkFilter;
}

/** One more Kafka listener of a broker. */
export interface KafkaListenerOptions {
  readonly name: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default the broker's host. */
  readonly host?: string;
  /** What clients are told (advertised.listeners); default the host and the bound port. */
  readonly advertisedHost?: string;
  readonly advertisedPort?: number;
  readonly tls?: ListenerTlsOptions;
  /** SASL on it (its mechanisms and bounds; the credentials are the metadata log's); absent: none. */
  readonly sasl?: Omit<ListenerSasl, 'security'>;
}

const TICK_MS = 20;
/**
 * How long one chunk of replica log opens may hold the event loop before
 * timers and I/O (heartbeats among them) get a turn: see log-open-queue.ts.
 */
const LOG_OPEN_BUDGET_MS = 5;
/** How long stopping waits for in-flight Kafka requests (acks=all produces, commits) before closing their connections. */
const KAFKA_CLOSE_GRACE_MS = 1000;
const METADATA_POLL_MS = 50;
const RPC_TIMEOUT_MS = 2000;
/** How long a stopping broker waits for its leaderships to move before it closes anyway (Kafka's controlled.shutdown.* bound it too). */
const CONTROLLED_SHUTDOWN_MS = 5000;
/** A controller that has not accepted a heartbeat for this long is taken to be unreachable (the heartbeat interval is 250 ms). */
const CONTROLLER_SILENT_MS = 1500;
/** replica.fetch.wait.max.ms: how long a caught-up follower's fetch waits at the leader for new data. */
const REPLICA_FETCH_WAIT_MS = 500;
/** The most a follower fetches of one partition at once (replica.fetch.max.bytes). */
const REPLICA_FETCH_MAX_BYTES = 1024 * 1024;
/** The record bytes of one answer to a follower's batch, every partition together (replica.fetch.response.max.bytes). */
const REPLICA_FETCH_RESPONSE_MAX_BYTES = 10 * 1024 * 1024;
/**
 * replica.fetch.backoff.ms: how long a partition whose fetch failed (not leader,
 * fenced epoch) waits before it is asked again; short, since what fixes it is
 * the next metadata (polled every METADATA_POLL_MS).
 */
const REPLICA_FETCH_ERROR_BACKOFF_MS = 50;
/** Per partition, the appends above the high watermark a leader keeps in memory for its followers' fetches. */
const RECENT_APPEND_BYTES = 4 * REPLICA_FETCH_MAX_BYTES;
/** On the replication port: this broker's replicas and their offsets (for `rill cluster status`). */
export const DESCRIBE_REPLICAS_METHOD = 'describeReplicas';

/** One hosted replica as its broker sees it now. */
export interface ReplicaDescription {
  readonly topic: string;
  readonly partition: number;
  readonly role: string;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** The first offset of the oldest open transaction, at most the high watermark. */
  readonly lastStableOffset: number;
}

/** The topic's log settings, for its replicas' logs. */
function logSettings(config: Readonly<Record<string, string>>): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const key of LOG_CONFIG_KEYS) if (config[key] !== undefined) settings[key] = config[key];
  return settings;
}

/** The topic's replication settings, for its replicas (the controller reads the same ones for elections). */
function replicationSettings(topic: TopicImage): Pick<ReplicaConfig, 'minInsyncReplicas' | 'uncleanLeaderElection'> {
  return { minInsyncReplicas: minInsyncReplicas(topic), uncleanLeaderElection: uncleanElectionEnabled(topic) };
}

/** In each replica's directory: the id of the topic its data belongs to (names are reused, ids never). */
const TOPIC_ID_FILE = 'topic-id';

/**
 * A directory left by an earlier topic of the same name (deleted while this
 * broker was down, then created again) is removed, so the new topic starts
 * empty. A directory without the file (written before it existed) is kept.
 */
function discardOtherIncarnation(dir: string, recorded: number | undefined, topicId: number, log: (m: string) => void): void {
  if (recorded === undefined || recorded === topicId) return;
  log(`removing ${dir}: it holds topic id ${recorded}, a deleted topic of the same name (now id ${topicId})`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The topic id a replica directory records, if it records one. */
function recordedTopicId(dir: string): number | undefined {
  try {
    const id = Number(fs.readFileSync(path.join(dir, TOPIC_ID_FILE), 'utf8').trim());
    return Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Closes a log whose replica failed to open; the open's error is the one reported, not a second one from closing. */
function closeAfterFailure(log: PartitionLog): void {
  try {
    log.close();
  } catch {
    // Nothing more to release.
  }
}

export class BrokerProcess implements BrokerView {
  brokerEpoch = 0;
  private registeredAt = 0;
  /** When this broker began trying to register (0: registered), and when it last said it could not. */
  private unregisteredSince = Date.now();
  private lastUnregisteredWarning = 0;
  image = new MetadataImage();
  private metadataIndex = 0;
  readonly replicas = new Map<string, HostedReplica>();
  /** Assigned replicas whose logs are not open yet (opened a few ms' worth at a time); not hosted until then. */
  readonly logOpens: LogOpenQueue;
  /**
   * Replica logs that failed to open (a damaged directory, a disk error), by
   * name, with the topic id they belong to: offline until the broker restarts
   * (as Kafka marks a failed log directory offline), not queued again by each
   * metadata change that names the partition. A topic created again under the
   * name (another id) is tried afresh.
   */
  private readonly failedOpens = new Map<string, number>();
  /** When the queue of log opens last went from empty to busy, and how many it has opened since (for the log line when it empties). */
  private openRun = { since: 0, count: 0 };
  /** acks=all produce requests waiting for their append to complete, by `${replica name}:${last offset}`. */
  private readonly waiting = new Map<string, Set<(errorCode: number) => void>>();
  private readonly peers = new Map<number, RpcClient>();
  private readonly changeListeners = new Set<() => void>();
  /** This broker's fetchers, one per leader it follows partitions of. */
  private readonly fetchers: ReplicaFetchers;
  /** Answers followers' batched fetches of the partitions this broker leads. */
  private readonly fetchLeader: ReplicaFetchLeader;
  private readonly controllerClient: ControllerClient;
  private readonly timer: NodeJS.Timeout;
  /** The hosted replicas the tick has something to do for, by when (ISR changes to send, lag checks): see due-queue.ts. */
  private readonly due = new DueQueue<HostedReplica>(TICK_MS, Date.now());
  /** The last tick's wall clock: a later tick before it means the clock stepped back (see PartitionReplica.clockSteppedBack). */
  private lastTickAt = 0;
  private metadataInflight = false;
  private strayRemoved = false;
  private lastMetadataFetch = 0;
  private heartbeatInflight = false;
  private lastHeartbeat = 0;
  /** When the active controller last accepted a heartbeat: whether a controlled shutdown can be asked for at all. */
  private lastHeartbeatAccepted = 0;
  private stopped = false;
  /** Controlled shutdown in progress: no more heartbeats that would unfence it. */
  private shuttingDown = false;
  /** The broker epoch whose registration has had a full reconcile (later ones look only at what changed). */
  private reconciledEpoch = 0;
  private stopping: Promise<void> | undefined;
  private replicationServer: RpcServer | undefined;
  private kafka: KafkaServer | undefined;
  private readonly extraKafka: KafkaServer[] = [];
  /** Its listeners as registered (empty: the one unnamed address). */
  private registeredListeners: { name: string; host: string; port: number }[] = [];
  /** Every listener is bound: only then does it register (with their addresses). */
  private listening = false;
  private groups: ClusterGroupCoordinator | undefined;
  private transactions: ClusterTransactions | undefined;
  private lock: DirLock | undefined;
  private readonly producerIds = new ProducerIdAllocator();
  /** Retention and compaction of the hosted replicas' logs (core/broker's scheduler, as the embedded broker runs it). */
  private readonly upkeep: LogScheduler;
  /** Every replica's recovery point and high watermark, in two files of the data directory, written by the tick. */
  private readonly checkpoints: LogDirCheckpoints;
  private readonly metrics: ClusterBrokerMetrics | undefined;

  readonly logger: Logger;
  /** How this broker's links to controllers and brokers are made (internal TLS, or plain TCP). */
  private readonly sockets: LinkSockets | undefined;

  private constructor(
    readonly options: BrokerOptions,
    internalTls: InternalTls | undefined,
  ) {
    const broker = this;
    this.metrics = options.metrics ? new ClusterBrokerMetrics(options.metrics, this) : undefined;
    this.logger = (options.logger ?? silentLogger).child({ component: 'broker', nodeId: options.nodeId });
    this.sockets = internalTls?.sockets(lineLog(this.logger, 'warn'));
    this.controllerClient = new ControllerClient(options.controllers, options.nodeId, options.linkFilter, this.sockets);
    this.checkpoints = new LogDirCheckpoints(options.dataDir, { onWarning: (_file, message) => this.logger.warn(`broker ${options.nodeId}: ${message}`) });
    this.fetchers = new ReplicaFetchers(
      {
        nodeId: options.nodeId,
        get brokerEpoch() {
          return broker.brokerEpoch;
        },
        get stopped() {
          return broker.stopped;
        },
        hosted: (name) => this.replicas.get(name),
        send: (leaderId, batch) => this.peer(leaderId)?.call(REPLICA_FETCH_METHOD, batch, RPC_TIMEOUT_MS),
        recycle: (leaderId, blob) => this.peers.get(leaderId)?.recycle(blob),
        answered: (h) => this.followerAnswered(h),
        warn: (m) => this.logger.warn(m),
        error: (m) => this.logger.error(m),
      },
      { maxWaitMs: REPLICA_FETCH_WAIT_MS, errorBackoffMs: REPLICA_FETCH_ERROR_BACKOFF_MS, now: Date.now },
    );
    this.fetchLeader = new ReplicaFetchLeader(
      {
        hosted: (name) => this.replicas.get(name),
        fetched: (h) => {
          this.flushCompletions(h);
          // A fetch may have proposed an ISR expansion, or be a follower's new incarnation (its lag counts again).
          this.recheck(h);
        },
        isLive: (id) => this.image.isUnfenced(id),
        answered: () => this.changed(),
        get stopped() {
          return broker.stopped;
        },
      },
      { maxWaitMs: REPLICA_FETCH_WAIT_MS, responseMaxBytes: REPLICA_FETCH_RESPONSE_MAX_BYTES },
    );
    this.logOpens = new LogOpenQueue({
      open: (name, queued) => this.openQueued(name, queued),
      opened: (count) => this.openedQueued(count),
      budgetMs: LOG_OPEN_BUDGET_MS,
      now: () => performance.now(),
      schedule: (next) => setImmediate(next),
    });
    if (options.holdLogOpens) this.logOpens.pause();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.upkeep = new LogScheduler(() => [...this.replicas.values()].map((h) => h.log), {
      clock: systemClock,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 30_000,
      onError: (e, log) => this.logger.warn(`broker ${options.nodeId}: retention or compaction of ${log.dir} failed: ${(e as Error).message}`),
    });
    this.upkeep.start();
  }

  static async start(options: BrokerOptions): Promise<E.Either<string, BrokerProcess>> {
    let internalTls: InternalTls | undefined;
    try {
      internalTls = options.internalTls && InternalTls.load(options.internalTls);
    } catch (e) {
      return E.left((e as Error).message);
    }
    const lock = lockDataDir(options.dataDir);
    if (E.isLeft(lock)) return lock;
    const broker = new BrokerProcess(options, internalTls);
    broker.lock = lock.right;
    const host = options.host ?? '127.0.0.1';
    try {
      broker.groups = new ClusterGroupCoordinator(broker, options.dataDir);
      const transactions = new ClusterTransactions(broker, broker.groups, options.transactions);
      broker.transactions = transactions;
      broker.groups.findTransactionCoordinator = (id) => transactions.findCoordinator(id);
      broker.replicationServer = await RpcServer.listen(
        options.port + 1,
        host,
        (m, b, _blob, peer) => broker.handleReplicaRpc(m, b, peer),
        lineLog(broker.logger, 'warn'),
        undefined,
        broker.sockets,
      );
      const mechanisms = [...new Set([options.kafkaSasl, ...(options.extraListeners ?? []).map((l) => l.sasl)].flatMap((s) => s?.mechanisms ?? []))];
      const security = clusterSecurityPort(broker, mechanisms.length > 0 ? mechanisms : ['SCRAM-SHA-256', 'SCRAM-SHA-512']);
      const ports = { ...clusterPorts(broker, broker.groups, transactions, options.authorizer), security };
      const named = options.listenerName !== undefined || (options.extraListeners?.length ?? 0) > 0;
      const first: KafkaListenerOptions = {
        name: options.listenerName ?? (options.kafkaSasl ? (options.kafkaTls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : options.kafkaTls ? 'SSL' : 'PLAINTEXT'),
        port: options.port,
        advertisedHost: options.advertisedHost,
        tls: options.kafkaTls,
        sasl: options.kafkaSasl,
      };
      const serve = (l: KafkaListenerOptions, metrics: Registry | undefined) =>
        KafkaServer.start({
          ports,
          sasl: l.sasl && { ...l.sasl, security },
          port: l.port,
          host: l.host ?? host,
          advertisedHost: l.advertisedHost,
          advertisedPort: l.advertisedPort,
          listenerName: named ? l.name : undefined,
          ...options.kafkaBounds,
          tls: l.tls,
          autoCreateTopics: options.autoCreateTopics ?? true,
          logger: broker.logger,
          metrics,
        });
      broker.kafka = await serve(first, options.metrics);
      const servers = [broker.kafka];
      // One metrics registry: the first listener's server counts for the broker.
      for (const l of options.extraListeners ?? []) {
        const server = await serve(l, undefined);
        broker.extraKafka.push(server); // closed by stop() even if a later one fails to start
        servers.push(server);
      }
      if (named)
        broker.registeredListeners = [first, ...(options.extraListeners ?? [])].map((l, i) => ({
          name: l.name,
          host: l.advertisedHost ?? l.host ?? host,
          port: l.advertisedPort ?? servers[i].port,
        }));
      broker.listening = true;
    } catch (e) {
      await broker.stop();
      return E.left(`cannot listen on ${host}:${options.port} (Kafka) and ${options.port + 1} (replication): ${(e as Error).message}`);
    }
    return E.right(broker);
  }

  get fetchMaxBytes(): number {
    return this.options.fetchMaxBytes ?? DEFAULT_BROKER_LIMITS.fetchMaxBytes;
  }

  get nodeId(): number {
    return this.options.nodeId;
  }

  /** The active controller as this broker last reached it. */
  get activeControllerId(): number {
    return this.controllerClient.believedActive;
  }

  /** Its named listeners as registered (advertised addresses; empty: one unnamed listener). */
  get namedListeners(): readonly { name: string; host: string; port: number }[] {
    return this.registeredListeners;
  }

  /** The Kafka listener (its connections and bounds), once started. */
  get kafkaServer(): KafkaServer | undefined {
    return this.kafka;
  }

  /** Its own registration (this incarnation's epoch) is in the image: it may act on partition state. */
  get registered(): boolean {
    return this.brokerEpoch > 0 && this.image.brokers.get(this.nodeId)?.brokerEpoch === this.brokerEpoch;
  }

  log(m: string): void {
    this.logger.info(m);
  }

  /** Resolves at the next change of the image or of any high watermark, or after `ms`. */
  nextChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changeListeners.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.changeListeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private changed(): void {
    for (const l of [...this.changeListeners]) l();
  }

  /** InitProducerId: a producer id of this registration's block, epoch 0 (no controller call; see producer-ids.ts). */
  initProducerId(): E.Either<Refusal, { producerId: number; producerEpoch: number }> {
    // Only a committed registration's epoch is this broker's alone.
    return E.map((producerId: number) => ({ producerId, producerEpoch: 0 }))(this.producerIds.allocate(this.registered ? this.brokerEpoch : 0));
  }

  // ---------------------------------------------------------------- the controller

  createTopic(req: CreateTopicRequest, timeoutMs: number): Promise<ControllerAnswer<{ topicId: number }>> {
    return this.controllerClient.call(ControllerMethod.createTopic, req, timeoutMs);
  }

  /**
   * An admin request (a ControllerMethod) decided by the active controller. It
   * may be moving: NOT_CONTROLLER is retried until `deadline`; the answer is
   * the controller's, or that NOT_CONTROLLER at the deadline.
   */
  async askController<R>(method: string, body: unknown, deadline: number): Promise<ControllerAnswer<R>> {
    for (;;) {
      const a = await this.controllerClient.call<R>(method, body, Math.max(1, Math.min(RPC_TIMEOUT_MS, deadline - Date.now())));
      if (a.errorCode !== ErrorCode.NOT_CONTROLLER || Date.now() >= deadline || this.stopped) return a;
      await this.nextChange(50);
    }
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.metadataInflight && now - this.lastMetadataFetch >= METADATA_POLL_MS) void this.fetchMetadata();
    if (this.listening && !this.heartbeatInflight && !this.shuttingDown && now - this.lastHeartbeat >= (this.options.heartbeatIntervalMs ?? 250))
      void this.heartbeat();
    if (now < this.lastTickAt) for (const h of this.replicas.values()) h.replica.clockSteppedBack(now);
    this.lastTickAt = now;
    for (const h of this.due.takeDue(now)) if (this.replicas.get(h.name) === h) this.driveReplica(h, now);
    this.checkpoints.maybeWrite(now);
    this.fetchers.poll(now);
    this.groups?.onReplicasChanged();
    this.transactions?.onReplicasChanged();
    this.changed();
  }

  private async heartbeat(): Promise<void> {
    this.heartbeatInflight = true;
    this.lastHeartbeat = Date.now();
    try {
      if (this.brokerEpoch === 0) {
        const host = this.options.advertisedHost ?? this.options.host ?? '127.0.0.1';
        const a = await this.controllerClient.call<{ brokerEpoch: number }>(
          ControllerMethod.registerBroker,
          {
            brokerId: this.nodeId,
            rack: this.options.rack ?? null,
            host,
            port: this.options.port,
            ...(this.registeredListeners.length > 0 ? { listeners: this.registeredListeners } : {}),
          },
          RPC_TIMEOUT_MS,
        );
        if (a.errorCode !== 0) this.warnUnregistered(a.message ?? `error ${a.errorCode}`);
        if (a.errorCode === 0 && a.response !== undefined && this.brokerEpoch === 0) {
          this.brokerEpoch = a.response.brokerEpoch;
          this.registeredAt = Date.now();
          this.unregisteredSince = 0;
          this.log(`broker ${this.nodeId}: registered with broker epoch ${this.brokerEpoch}`);
          this.reconcile();
        }
        return;
      }
      const epoch = this.brokerEpoch;
      const a = await this.controllerClient.call<BrokerHeartbeatResponse>(
        ControllerMethod.brokerHeartbeat,
        { brokerId: this.nodeId, brokerEpoch: epoch, caughtUp: this.registered },
        RPC_TIMEOUT_MS,
      );
      if (a.errorCode === 0) this.lastHeartbeatAccepted = Date.now();
      if (
        (a.errorCode === ErrorCode.STALE_BROKER_EPOCH || a.errorCode === ErrorCode.BROKER_NOT_AVAILABLE) &&
        epoch === this.brokerEpoch &&
        Date.now() - this.registeredAt > 2000
      ) {
        // This incarnation's registration was replaced or never committed: register again.
        this.logger.warn(`broker ${this.nodeId}: ${a.message}; registering again`);
        this.brokerEpoch = 0;
      }
    } finally {
      this.heartbeatInflight = false;
    }
  }

  /** Says, every 10 s, that this broker still cannot register, and with what answer. */
  private warnUnregistered(why: string): void {
    const now = Date.now();
    if (this.unregisteredSince === 0) this.unregisteredSince = now;
    if (now - this.unregisteredSince < 5000 || now - this.lastUnregisteredWarning < 10_000) return;
    this.lastUnregisteredWarning = now;
    const list = this.options.controllers.map((c) => `${c.id}@${c.host}:${c.port}`).join(',');
    this.log(
      `broker ${this.nodeId}: not registered after ${Math.round((now - this.unregisteredSince) / 1000)} s (last answer: ${why}); is a majority of the controllers ${list} up? Still trying.`,
    );
  }

  private async fetchMetadata(): Promise<void> {
    this.metadataInflight = true;
    this.lastMetadataFetch = Date.now();
    try {
      const from = this.metadataIndex;
      const r = await this.controllerClient.fetch(ControllerMethod.fetchMetadata, { fromIndex: from }, RPC_TIMEOUT_MS);
      if (!r.ok || this.stopped || from !== this.metadataIndex) return;
      const feed = decodeFeed(r.body, r.blob);
      if (typeof feed === 'string') return this.logger.warn(`broker ${this.nodeId}: bad metadata feed: ${feed}`);
      // A snapshot replaces the image: every replica is looked at again. Entries are deltas: only what they name is.
      let changed: ReplicaChanges | undefined = new ReplicaChanges();
      if (feed.snapshot !== undefined && feed.snapshot.index > this.metadataIndex) {
        const image = MetadataImage.decode(feed.snapshot.data);
        if (E.isLeft(image)) return this.logger.warn(`broker ${this.nodeId}: bad metadata snapshot: ${image.left}`);
        this.image = image.right;
        this.metadataIndex = feed.snapshot.index;
        changed = undefined;
      }
      for (const e of feed.entries) {
        if (e.index <= this.metadataIndex) continue;
        const records = decodeMetadataBatch(e.data);
        // Every controller skipped an undecodable entry alike (MetadataStateMachine): so does the broker.
        if (E.isRight(records)) {
          this.image.applyAll(records.right);
          changed?.note(records.right);
        }
        this.metadataIndex = e.index;
      }
      if (feed.entries.length > 0 || feed.snapshot !== undefined) {
        this.controllerClient.learn(this.image.controllers.values());
        this.lastMetadataFetch = 0; // more may be waiting: ask again at the next tick
        this.reconcile(changed);
      }
    } finally {
      this.metadataInflight = false;
    }
  }

  // ---------------------------------------------------------------- replicas

  /**
   * Acts on the image: a replica for each assigned partition, handed the
   * partition's state. With `changed`, only the topics and partitions the
   * latest metadata entries named (a cluster of 100,000 partitions must not
   * walk them all for each ISR change); without, every one (a snapshot, or
   * this incarnation's registration).
   */
  private reconcile(changed?: ReplicaChanges): void {
    if (!this.registered || this.stopped) return;
    // The first reconcile of a registration looks at everything: the entries that made it registered named no partition.
    if (this.reconciledEpoch !== this.brokerEpoch) {
      this.reconciledEpoch = this.brokerEpoch;
      changed = undefined;
    }
    const now = Date.now();
    const act = (topic: TopicImage, p: PartitionRegistration): void => {
      const name = replicaName(topic.name, p.partition);
      const h = this.replicas.get(name);
      if (!p.replicas.includes(this.nodeId)) {
        // Not this broker's partition (any more, or a topic of this name created again elsewhere):
        // a replica hosted or still queued here goes with its data, as Kafka's StopReplica with delete.
        if (h !== undefined) return this.closeReplica(h, 'delete data');
        const queued = this.logOpens.remove(name);
        if (queued !== undefined) this.removeUnopenedData(name, queued.topicId);
        return;
      }
      if (h === undefined || h.topicId !== topic.topicId) {
        // A topic of this name with another id: the old one was deleted, its data goes with it.
        if (h !== undefined) this.closeReplica(h, 'delete data');
        if (this.failedOpens.get(name) === topic.topicId) return;
        // Opened soon, in a chunk of its own (openQueued), with the partition's state then.
        if (this.logOpens.size === 0) this.openRun = { since: performance.now(), count: 0 };
        // In the metadata's order, so a partition's followers open about when its leader does (log-open-queue.ts).
        return this.logOpens.add(name, { topicId: topic.topicId, partition: p.partition }, opensFirst(p, this.nodeId));
      }
      if (h.topicConfig !== topic.config) this.reconfigureReplica(h, topic);
      h.replica.onPartitionState(p, now);
      this.fetchers.track(h);
      this.flushCompletions(h);
      this.recheck(h);
    };
    for (const topic of changed === undefined ? this.image.topics.values() : changed.topicsIn(this.image)) {
      const named = changed?.partitionsOf(topic.topicId);
      if (named === undefined) for (const p of topic.partitions.values()) act(topic, p);
      else
        for (const n of named) {
          const p = topic.partitions.get(n);
          if (p !== undefined) act(topic, p);
        }
    }
    // Partitions leave the image only with their topic (DeleteTopics): so does their data.
    for (const h of [...this.replicas.values()])
      if ((changed === undefined || changed.touchesTopic(h.topicId)) && this.image.topics.get(h.topicId)?.name !== h.topic) this.closeReplica(h, 'delete data');
    if (!this.strayRemoved) this.removeStrayReplicas();
    this.groups?.onReplicasChanged();
    this.transactions?.onReplicasChanged();
    this.changed();
  }

  /**
   * Once per incarnation, at its first reconcile: replica directories of topics
   * deleted while this broker was down are removed (as KRaft brokers remove
   * stray logs). Their topic id is in no topic of the image, which, once this
   * incarnation's registration is in it, holds every decision made before.
   */
  private removeStrayReplicas(): void {
    this.strayRemoved = true;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.options.dataDir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || this.replicas.has(e.name)) continue;
      const dir = path.join(this.options.dataDir, e.name);
      const topicId = recordedTopicId(dir);
      if (topicId === undefined || this.image.topics.has(topicId)) continue;
      this.log(`broker ${this.nodeId}: removing ${dir}: its topic (id ${topicId}) was deleted while this broker was down`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * A queued log's turn: opened and handed the partition's state as the image
   * has it now, unless the partition left this broker or its topic was deleted
   * meanwhile (then the directory, if it holds that topic's data, goes).
   */
  private openQueued(name: string, { topicId, partition }: QueuedLog): void {
    if (this.stopped || this.replicas.has(name)) return;
    const topic = this.image.topics.get(topicId);
    const p = topic?.partitions.get(partition);
    if (topic === undefined || (p !== undefined && !p.replicas.includes(this.nodeId))) return this.removeUnopenedData(name, topicId);
    if (p === undefined) return;
    let h: HostedReplica | undefined;
    try {
      h = this.openReplica(topic, p);
      h.replica.onPartitionState(p, Date.now());
      this.fetchers.track(h);
      this.recheck(h);
    } catch (e) {
      if (h !== undefined) {
        // Opened, then failed taking its state (its leader epoch file, say): closed again, not hosted.
        this.replicas.delete(name);
        this.fetchers.untrack(h);
        closeAfterFailure(h.log);
      }
      // Not hosted, so never led or fetched by this broker: a Kafka client meets NOT_LEADER_OR_FOLLOWER, the controller shrinks the ISR.
      this.failedOpens.set(name, topicId);
      this.logger.error(`broker ${this.nodeId}: cannot open ${name}: ${(e as Error).message}; this replica stays offline until the broker restarts`);
      return;
    }
    this.openRun.count++;
  }

  /** A chunk of queued logs was opened: whoever waits on replicas looks again. */
  private openedQueued(count: number): void {
    if (this.logOpens.size === 0 && this.openRun.count > 1)
      this.log(`broker ${this.nodeId}: opened ${this.openRun.count} replica logs in ${Math.round(performance.now() - this.openRun.since)} ms`);
    if (count > 0) {
      this.groups?.onReplicasChanged();
      this.transactions?.onReplicasChanged();
      this.changed();
    }
  }

  /**
   * The data of a partition whose log was never opened here (it was still
   * queued) and that is not this broker's any more: its topic was deleted, or
   * the partition is placed on other brokers. Only a directory holding that
   * topic's data goes (one of another incarnation is the next open's to discard).
   */
  private removeUnopenedData(name: string, topicId: number): void {
    const dir = path.join(this.options.dataDir, name);
    if (recordedTopicId(dir) !== topicId) return;
    fs.rmSync(dir, { recursive: true, force: true });
    this.checkpoints.forget(name);
    this.log(`broker ${this.nodeId}: deleted ${name} (topic id ${topicId}; its log was not open yet)`);
  }

  private openReplica(topic: TopicImage, p: PartitionRegistration): HostedReplica {
    const { topicId, config } = topic;
    const name = replicaName(topic.name, p.partition);
    const dir = path.join(this.options.dataDir, name);
    const recorded = recordedTopicId(dir);
    discardOtherIncarnation(dir, recorded, topicId, (m) => this.log(`broker ${this.nodeId}: ${m}`));
    // Followers fetch what was just appended: from memory (the appended buffers are never changed after).
    const options = {
      replicated: true,
      recentAppendBytes: RECENT_APPEND_BYTES,
      dirCheckpoints: this.checkpoints,
      onWarning: (w: LogWarning) => this.logger.warn(`broker ${this.nodeId}: ${name}: ${w.message}`),
    };
    let log = PartitionLog.open(dir, logSettings(config), options);
    try {
      if (log.failure !== undefined && p.isr.some((id) => id !== this.nodeId)) {
        // Damage found on open (a gap between segments, a segment that fails its checks), and another
        // in-sync replica holds these records: the damaged bytes (or the segment after a gap) and every
        // later segment are moved aside into .corrupt files (nothing is destroyed), and this replica
        // fetches them again from the leader.
        // The only in-sync replica stays failed (KAFKA_STORAGE_ERROR) for the operator to repair.
        this.log(`broker ${this.nodeId}: ${name} is damaged on disk; repairing it from the other replicas`);
        log.close();
        log = PartitionLog.open(dir, logSettings(config), { ...options, recoverCorruption: 'refetch' });
      }
      // Written once: a restart reopening 10,000 logs does not rewrite 10,000 unchanged files.
      if (recorded !== topicId) fs.writeFileSync(path.join(dir, TOPIC_ID_FILE), `${topicId}\n`);
      const replica = new PartitionReplica(name, log, {
        brokerId: this.nodeId,
        replicaLagTimeMaxMs: this.options.replicaLagTimeMaxMs ?? 10_000,
        ...replicationSettings(topic),
        requestTimeoutMs: RPC_TIMEOUT_MS,
        alterPartitionRetryMs: 500,
        maxFetchBytes: REPLICA_FETCH_MAX_BYTES,
        durableAppends: false,
        isEligible: (id) => this.image.isUnfenced(id),
      });
      const h: HostedReplica = { name, topic: topic.name, topicId, partition: p.partition, replica, log, topicConfig: config };
      this.replicas.set(name, h);
      this.log(`broker ${this.nodeId}: hosting ${name} (log end offset ${log.logEndOffset}, high watermark ${log.highWatermark})`);
      return h;
    } catch (e) {
      // Its files are not left open (close is a no-op on a log already closed).
      closeAfterFailure(log);
      throw e;
    }
  }

  /** AlterConfigs reached this broker: the replica and its log take the topic's new settings (removed keys back to their defaults). */
  private reconfigureReplica(h: HostedReplica, topic: TopicImage): void {
    h.topicConfig = topic.config;
    h.replica.reconfigure(replicationSettings(topic));
    h.log.updateConfig({ ...DEFAULT_LOG_CONFIG, ...logSettings(topic.config) });
  }

  private closeReplica(h: HostedReplica, data: 'keep data' | 'delete data' = 'keep data'): void {
    // The partition is gone, or led elsewhere (placed on other brokers).
    this.unhost(h, data === 'delete data' && !this.image.topics.has(h.topicId) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (data === 'keep data') return h.log.close();
    h.log.delete();
    this.log(`broker ${this.nodeId}: deleted ${h.name} (topic id ${h.topicId})`);
  }

  /** Stops hosting `h` (its log is the caller's to close or delete); acks=all writes still waiting on it are answered `errorCode`. */
  private unhost(h: HostedReplica, errorCode: number): void {
    this.replicas.delete(h.name);
    this.due.cancel(h);
    // Held follower fetches are answered now (from the replica's last state) rather than at their timeout.
    this.fetchLeader.forget(h);
    this.fetchers.untrack(h);
    for (const [key, waiters] of [...this.waiting]) if (key.startsWith(`${h.name}:`)) for (const w of [...waiters]) w(errorCode);
  }

  /**
   * The clean close of every hosted log. Closing one fsyncs its data, indexes
   * and checkpoint files before its clean-shutdown mark: on the event loop,
   * one log after another, 10,000 logs took minutes. Now each log's fsyncs
   * run on libuv's threads, 64 logs at a time (core/log's closeLogsAsync),
   * and every log still writes its mark only once its own files are durable (a log that
   * fails to close has none, and recovers at the next start). The data
   * directory's checkpoints are written after all of them (close()).
   */
  private async closeReplicaLogs(): Promise<void> {
    const hosted = [...this.replicas.values()];
    for (const h of hosted) this.unhost(h, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const started = performance.now();
    const failures = await closeLogsAsync(hosted.map((h) => h.log));
    for (const { index, error } of failures)
      this.logger.error(`broker ${this.nodeId}: closing ${hosted[index].name} failed: ${error.message}; its log is recovered at the next start`);
    if (hosted.length > 1) this.log(`broker ${this.nodeId}: closed ${hosted.length} replica logs in ${Math.round(performance.now() - started)} ms`);
  }

  /** Its turn in the tick (something was due): lag check, ISR change to send, completed acks=all writes; then filed for its next due time. */
  private driveReplica(h: HostedReplica, now: number): void {
    const { replica } = h;
    const wasLeader = replica.role === 'leader';
    replica.maybeShrinkIsr(now);
    const proposal = replica.pollIsrChange(now);
    if (proposal !== undefined) {
      const req = { brokerId: this.nodeId, brokerEpoch: this.brokerEpoch, topicId: h.topicId, partition: h.partition, ...proposal };
      this.log(`broker ${this.nodeId}: ${h.name} proposes ISR [${proposal.newIsr}]`);
      const isrBefore = replica.isr.length;
      void this.controllerClient.call(ControllerMethod.alterPartition, req, RPC_TIMEOUT_MS).then((a) => {
        if (a.errorCode === 0) this.metrics?.isrChanged(isrBefore, proposal.newIsr.length);
        // Success shows up in the metadata log; only a refusal needs telling.
        if (a.errorCode !== 0 && this.replicas.get(h.name) === h) {
          replica.onIsrChangeRefused(proposal, a.errorCode);
          this.recheck(h);
        }
      });
    }
    if (wasLeader) this.flushCompletions(h);
    this.due.schedule(h, replica.nextDueAt());
  }

  /** An input may have brought the replica's due time forward: filed earlier if so (a later one waits for its visit). */
  private recheck(h: HostedReplica): void {
    if (this.replicas.get(h.name) === h) this.due.advance(h, h.replica.nextDueAt());
  }

  private peer(brokerId: number): RpcClient | undefined {
    const b = this.image.brokers.get(brokerId);
    if (b === undefined) return undefined;
    let c = this.peers.get(brokerId);
    if (c === undefined || c.host !== b.host || c.port !== b.port + 1) {
      c?.close();
      c = new RpcClient(b.host, b.port + 1, undefined, this.options.linkFilter, this.sockets);
      this.peers.set(brokerId, c);
    }
    return c;
  }

  callBroker(brokerId: number, method: string, body: unknown, timeoutMs: number): Promise<RpcResult> {
    const c = this.peer(brokerId);
    return c === undefined ? Promise.resolve({ ok: false, error: `broker ${brokerId} is not registered` }) : c.call(method, body, timeoutMs);
  }

  /** A follower's replica took the leader's answer. */
  private followerAnswered(h: HostedReplica): void {
    for (const t of h.replica.takeTruncations())
      this.log(`broker ${this.nodeId}: ${h.name} truncated ${t.from} -> ${t.to} (high watermark ${t.highWatermark})`);
    this.changed();
  }

  /** Every replica this broker hosts, with its role and offsets. */
  describeReplicas(): ReplicaDescription[] {
    return [...this.replicas.values()].map((h) => ({
      topic: h.topic,
      partition: h.partition,
      role: h.replica.role,
      leader: h.replica.leader,
      leaderEpoch: h.replica.leaderEpoch,
      logEndOffset: h.replica.logEndOffset,
      highWatermark: h.replica.highWatermark,
      lastStableOffset: h.log.lastStableOffset,
    }));
  }

  private async handleReplicaRpc(method: string, body: unknown, peer: RpcPeer): Promise<RpcMessage> {
    if (method === DESCRIBE_REPLICAS_METHOD) return { body: { brokerId: this.nodeId, brokerEpoch: this.brokerEpoch, replicas: this.describeReplicas() } };
    if (method === WRITE_TXN_MARKER_METHOD) {
      const request = decodeTxnMarkerRequest(body);
      if (typeof request === 'string') throw new Error(request);
      if (this.transactions === undefined)
        return { body: txnMarkerAnswer(E.left(refusal(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${this.nodeId} is starting`))) };
      const { topic, partition, ...marker } = request;
      return { body: txnMarkerAnswer(await this.transactions.writeLocalMarker(topic, partition, marker)) };
    }
    if (method !== REPLICA_FETCH_METHOD) throw new Error(`unknown replication method "${method}"`);
    const batch = decodeFetchBatch(body);
    if (typeof batch === 'string') throw new Error(batch);
    return encodeFetchAnswer(await this.fetchLeader.answer(batch, Date.now, peer));
  }

  /** The leader appended to `h`: follower batches held on it are answered now. */
  appended(h: HostedReplica): void {
    this.fetchLeader.appended(h);
    // (Its completed acks=all writes are taken by awaitAppend, which the producer's waiter calls right after.)
    // A follower at the old log end lags from now on if it does not fetch.
    this.recheck(h);
  }

  // ---------------------------------------------------------------- produce (acks=all waits here)

  /**
   * Resolves with the error code of the acks=all append ending at `lastOffset`, or
   * REQUEST_TIMED_OUT. A retried idempotent batch waits on its original's append,
   * so one append may have several waiters.
   */
  awaitAppend(h: HostedReplica, lastOffset: number, timeoutMs: number): Promise<number> {
    const key = `${h.name}:${lastOffset}`;
    const p = new Promise<number>((resolve) => {
      let waiters = this.waiting.get(key);
      if (waiters === undefined) this.waiting.set(key, (waiters = new Set()));
      const set = waiters;
      const done = (code: number) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
        resolve(code);
      };
      const timer = setTimeout(() => done(ErrorCode.REQUEST_TIMED_OUT), timeoutMs);
      set.add(done);
    });
    this.flushCompletions(h);
    return p;
  }

  private flushCompletions(h: HostedReplica): void {
    for (const c of h.replica.takeCompletedAppends()) {
      const waiters = this.waiting.get(`${h.name}:${c.lastOffset}`);
      for (const w of [...(waiters ?? [])]) w(c.errorCode);
    }
  }

  /** Moves this broker's leaderships away first (controlled shutdown), then closes everything. */
  stop(): Promise<void> {
    this.stopping ??= this.controlledShutdown().then(() => this.close());
    return this.stopping;
  }

  /**
   * Kafka's controlled shutdown: the broker asks to be fenced, so the
   * controller elects other leaders for its partitions now, and waits (bounded)
   * until its metadata shows it leads nothing before its listener closes.
   * Producers then meet NOT_LEADER_OR_FOLLOWER from a live broker and move on
   * at once, instead of waiting out the controller's disconnect grace.
   */
  private async controlledShutdown(): Promise<void> {
    // With no controller answering lately there is no one to move the leaderships: just stop.
    if (
      this.stopped ||
      !this.registered ||
      Date.now() - this.lastHeartbeatAccepted > Math.max(CONTROLLER_SILENT_MS, 4 * (this.options.heartbeatIntervalMs ?? 250))
    )
      return;
    this.shuttingDown = true;
    this.log(`broker ${this.nodeId}: controlled shutdown: moving its leaderships away`);
    const deadline = Date.now() + CONTROLLED_SHUTDOWN_MS;
    // A heartbeat in flight is answered first, so the request to be fenced is the last one sent.
    while (this.heartbeatInflight && Date.now() < deadline) await this.nextChange(20);
    const a = await this.askController<BrokerHeartbeatResponse>(
      ControllerMethod.brokerHeartbeat,
      { brokerId: this.nodeId, brokerEpoch: this.brokerEpoch, caughtUp: true, wantFence: true },
      Math.min(deadline, Date.now() + RPC_TIMEOUT_MS),
    );
    if (a.errorCode !== 0) {
      this.log(`broker ${this.nodeId}: controlled shutdown refused (${a.message ?? `error ${a.errorCode}`}); stopping anyway`);
      return;
    }
    while (this.leadsAnyPartition() && Date.now() < deadline) await this.nextChange(50);
    this.log(
      this.leadsAnyPartition()
        ? `broker ${this.nodeId}: controlled shutdown: still leading partitions after ${CONTROLLED_SHUTDOWN_MS} ms; stopping anyway`
        : `broker ${this.nodeId}: controlled shutdown: it leads nothing now; stopping`,
    );
  }

  private leadsAnyPartition(): boolean {
    for (const topic of this.image.topics.values()) for (const p of topic.partitions.values()) if (p.leader === this.nodeId) return true;
    return false;
  }

  private async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.logOpens.close();
    await this.upkeep.stop();
    // In-flight requests get a moment to be answered; long polls end at once.
    await Promise.all([this.kafka, ...this.extraKafka].map((k) => k?.close(KAFKA_CLOSE_GRACE_MS)));
    this.fetchLeader.releaseAll();
    await this.replicationServer?.close();
    this.controllerClient.close();
    for (const p of this.peers.values()) p.close();
    await this.closeReplicaLogs();
    this.checkpoints.write();
    await this.transactions?.close();
    await this.groups?.close();
    for (const waiters of [...this.waiting.values()]) for (const w of [...waiters]) w(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.waiting.clear();
    this.changed();
    this.lock?.release();
  }
}
