// RillStreams: runs a topology on a log. One task per input partition p: it
// owns partition p of every source and repartition topic and its own copy of
// every store. Which tasks an instance runs changes at runtime:
//
// - taskAssignment 'group' (default when the client can subscribe): the
//   instances of one application share the tasks as one consumer group
//   (group id = application id, co-partitioned assignor); the group's
//   rebalance listener revokes and assigns.
// - 'external': someone else decides (the cluster's `rill worker`) and calls
//   assignTasks(partitions).
// - 'all': this instance runs every task (a client without groups).
// Under 'external', standby tasks (setStandbyTasks) keep warm copies of other
// tasks' stores from their changelogs (StandbyTasks).
//
// All three go through the same two steps, one at a time with processing
// paused (ExclusiveQueue): revoke = stop feeding the tasks, wait for their
// in-flight work, flush their state, wait for every write's acknowledgement,
// commit their offsets, close them; assign = create the tasks, restore their
// stores from the changelogs (from a local snapshot's checkpoint when there is
// one), start reading their partitions at the committed offsets.
//
// Writes go through one producer; offsets are committed only after the sinks'
// and the changelogs' writes are acknowledged (at-least-once). Under
// 'exactly-once' that producer is transactional (TransactionalCommits): a
// commit puts the offsets into the interval's transaction and commits it; a
// failed one is aborted and every task is closed dirty, restored from the
// changelogs (committed data only) and reads its input again from the
// committed offsets.
//
// Lifecycle: start() checks and creates topics, takes its first tasks (group:
// the first assignment; all: every task; external: none until assignTasks),
// then runs the processing loop. stop() stops pulling, flushes, commits,
// writes snapshots, leaves the group and closes. A 'fail' policy or a failed
// write stops the app the same way (without committing what was not
// acknowledged); `done` rejects with the reason.
import * as path from 'node:path';
import {
  CommitRefusedError,
  DirLock,
  Rill,
  rillLogClient,
  Waiters,
  type LogClient,
  type LogConsumer,
  type LogProducer,
  type LogRecord,
  ProducerFencedError,
  type TopicPartition,
} from '../../core/client';
import { loggerFor, type Logger, type LogLevel } from '../logger';
import type { ReadOnlyKeyValueStore, ReadOnlyWindowStore } from '../store';
import type { Topology } from '../topology/topology';
import { AckingCollector } from './acking-collector';
import type { ErrorPolicy } from './error-policy';
import { ExclusiveQueue } from './exclusive-queue';
import { InteractiveQueries, type KeyQueryResult } from './interactive-queries';
import { StandbyTasks, type WarmStores } from './standby-tasks';
import { streamsStatus, type StreamsStatus } from './streams-status';
import type { RestoreProgress } from './restore';
import type { StreamTask } from './stream-task';
import { clientIdFor, TaskDirectory } from './task-directory';
import { TaskManager } from './task-manager';
import { DEFAULT_MAX_TASK_IDLE_MS, PartitionGroup, TASK_IDLE_DISABLED } from './partition-group';
import { MetricsServer, metricsRegistry, type Registry } from '../../core/metrics';
import type { HttpSecurity } from '../../core/http';
import type * as tls from 'node:tls';
import { StreamsMetrics } from './streams-metrics';
import { QueryServer } from './query-server';
import { QueryHostsTopic } from './query-hosts-topic';
import { DEFAULT_TRANSACTION_TIMEOUT_MS, TransactionalCommits, transactionalIdOf } from './transactional-commits';

/**
 * Fetched records taken from the consumer at once (Kafka's max.poll.records is
 * 500). It was 10 000: every record of a poll waits in the partition group
 * until its turn, so each young-generation collection copied thousands of
 * them; at 1000 the in-memory word count spent about a fifth less CPU.
 */
const MAX_POLL = 1000;
/** Records buffered per input partition before its fetching pauses (Kafka's buffered.records.per.partition). */
const MAX_QUEUED_PER_PARTITION = 1000;
/** Records one task processes before the loop looks at the others, commits and backpressure. */
const TASK_CHUNK = 500;
/** The longest the loop waits for records before it looks again (a fetch answer wakes it sooner). */
const MAX_POLL_WAIT_MS = 200;
/** How often waitUntilCaughtUp looks again at partitions other instances run. */
const WAIT_AGAIN_MS = 100;

export interface StreamsConfig {
  /** The log: an embedded Rill, or any LogClient (a cluster, kafkajs). */
  log: Rill | LogClient;
  /**
   * Who decides which tasks (partitions) this instance runs:
   * 'group' (default when the client can subscribe): the consumer group of
   * the application's instances; 'external': the caller, through
   * assignTasks() (the cluster's worker); 'all' (default otherwise): every task.
   */
  taskAssignment?: 'group' | 'external' | 'all';
  /**
   * This instance's address for interactive queries (e.g. "host:port"):
   * Kafka Streams' application.server. queryKey() on another instance names
   * it as the host of the keys this one owns, and the others' query servers
   * forward there. Under a group it travels as the consumer's client id;
   * under external assignment with a queryPort, in the app's query-hosts
   * topic. Default with a queryPort: queryHost:port.
   */
  applicationServer?: string;
  /** Writes not yet acknowledged before the source stops reading (default 10 000). */
  maxInFlight?: number;
  /** How often offsets are committed (default 1000 ms). Changelog writes are batched per commit. */
  commitIntervalMs?: number;
  /** Flush a task's changed store entries early once this many are pending (default 50 000). */
  maxDirtyEntries?: number;
  /**
   * How long a task with several input partitions (a join's two sides, merged
   * streams, a source and its repartition topic) waits for one that has
   * nothing fetched before it processes the others anyway (Kafka's
   * max.task.idle.ms, with KIP-695). A partition known to have more records
   * on the log is always waited for; this bounds the wait on one known to be
   * empty. 0 (default): do not wait on empty ones; -1: never wait, not even
   * for records known to exist (lowest latency, no event-time alignment).
   */
  maxTaskIdleMs?: number;
  /** How often the wall clock ticks into the tasks (default 1000 ms). */
  wallClockTickMs?: number;
  /** How often standby tasks (setStandbyTasks) read their changelogs (default 1000 ms). */
  standbyCatchUpMs?: number;
  deserializationErrors?: ErrorPolicy;
  processingErrors?: ErrorPolicy;
  /** Local snapshots of stores at shutdown and at revocation; restore then replays only the changelog after them. */
  stateDir?: string;
  /** Where the application's lines go: any pino logger (a child per task is made of it). Default: stderr at `logLevel`. */
  logger?: Logger;
  /** The default logger's level (trace|debug|info|warn|error|fatal|silent); default RILL_LOG_LEVEL, else info. */
  logLevel?: LogLevel;
  onRestoreProgress?: (p: RestoreProgress) => void;
  /** Called after each change of this instance's tasks: created and restored, or committed and closed. */
  onRebalance?: (r: RebalanceEvent) => void;
  /**
   * Consumer-group membership of this instance (Kafka's names): a stable
   * `groupInstanceId` per instance is static membership (a restart within the
   * session timeout keeps its partitions, no rebalance); short timeouts make
   * a crashed instance's partitions move sooner.
   */
  group?: { groupInstanceId?: string; sessionTimeoutMs?: number; heartbeatIntervalMs?: number; rebalanceTimeoutMs?: number };
  /**
   * With a single task (every source has one partition), repartitioned records
   * are handed on in memory instead of through the repartition topic (default
   * true; set false to always go through the log).
   */
  localRepartition?: boolean;
  /**
   * Copies of each partition of the topics the application creates
   * (repartition, changelog, and sink and dead-letter topics that do not exist
   * yet): Kafka Streams' replication.factor. -1 (default): the log's default.
   * On a cluster, 3 keeps the app's state through the loss of a broker.
   */
  replicationFactor?: number;
  /**
   * 'at-least-once' (default): offsets are committed after the writes are
   * acknowledged; a crash may process records again (duplicates downstream).
   * 'exactly-once' (EOS v2): each commit interval's writes and input offsets
   * are one transaction; readers with read_committed see every record's
   * effects once. Needs a LogClient with transactionalLogProducer.
   */
  processingGuarantee?: 'at-least-once' | 'exactly-once';
  /**
   * 'exactly-once': this instance's stable name. Its transactional id is
   * `<applicationId>-eos-<instanceId>`, so a restarted instance fences its
   * previous incarnation (aborts what it left open, refuses its late writes).
   * Default: group.groupInstanceId, else applicationServer, else a random
   * one (a crashed instance's open transaction then holds read_committed
   * readers back until transactionTimeoutMs).
   */
  instanceId?: string;
  /** 'exactly-once': the log aborts a transaction left open longer (Kafka's transaction.timeout.ms; default 10 000 ms). */
  transactionTimeoutMs?: number;
  /**
   * Serve this instance's Prometheus metrics at http://127.0.0.1:PORT/metrics
   * from start() to stop() (0 picks a free port; see metricsUrl).
   */
  metricsPort?: number;
  /** Or put them in this registry, for the app to serve itself (with metricsPort too: served from it). */
  metrics?: Registry;
  /**
   * Serve interactive queries over HTTP on this port from start() to stop()
   * (0 picks a free port; see queryUrl): keys, window ranges, scans and which
   * instance owns what, answered for the whole application (QueryServer).
   * Unless applicationServer says otherwise, this instance advertises
   * queryHost:port to the others.
   */
  queryPort?: number;
  /** The address the query server listens on (default 127.0.0.1). */
  queryHost?: string;
  /**
   * HTTPS and/or basic auth on the query port (every instance of the app
   * alike: with TLS they forward to each other over https); see
   * docs/security.md.
   */
  querySecurity?: HttpSecurity;
  /** TLS of the requests one instance forwards to another: the CA of their certificates, a client certificate if they require one. */
  queryForwardTls?: tls.ConnectionOptions;
  /** HTTPS and/or basic auth on the metrics port. */
  metricsSecurity?: HttpSecurity;
  now?: () => number;
}

export type StreamsState = 'created' | 'restoring' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface RebalanceEvent {
  /** Partitions (tasks) this instance took on, restored. */
  readonly assigned: readonly number[];
  /** Partitions it gave up, their work committed (unless the app failed). */
  readonly revoked: readonly number[];
  /** What it owns now. */
  readonly owned: readonly number[];
}

export type { KeyQueryResult } from './interactive-queries';

export class RillStreams {
  private readonly client: LogClient;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly directory: TaskDirectory;
  private readonly queries: InteractiveQueries;
  private readonly standby: StandbyTasks;
  private standbyTimer: NodeJS.Timeout | undefined;
  private mode: 'group' | 'external' | 'all' = 'all';
  private taskManager: TaskManager | undefined;
  private producer: LogProducer | undefined;
  /** 'exactly-once': the transactions the writes and offsets go into. */
  private transactions: TransactionalCommits | undefined;
  /** Bumped when an aborted transaction restarts the tasks: records polled before are stale (they read again from the committed offsets). */
  private restarts = 0;
  /**
   * Per input partition ("topic\0partition"): the consumer's position when it
   * had nothing more of it fetched and every record it had handed out was in
   * its task's group (noted right after buffering a poll). Past what no record
   * shows (transaction markers, aborted records); a commit may go up to it.
   * The live position may be past records a poll is still handing over.
   */
  private readonly readPositions = new Map<string, number>();
  private consumer: LogConsumer | undefined;
  private collector: AckingCollector | undefined;
  /** The number of tasks of the application: the most partitions of any input topic. */
  private partitionCount = 0;
  /** Partitions of each input topic (repartition topics have partitionCount). */
  private readonly sourcePartitions = new Map<string, number>();
  private loop: Promise<void> | undefined;
  /** Per task (partition): its fetched, not yet processed records, aligned by event time. */
  private readonly groups = new Map<number, PartitionGroup>();
  /** The group the last fetched record went to: a poll hands over runs of one partition's records. */
  private lastGroup: PartitionGroup | undefined;
  /** The consumer's fetched lag of a partition, as PartitionGroup.readyToProcess asks for it. */
  private readonly fetchedLag = (tp: TopicPartition) => this.consumer!.fetchedLag(tp);
  private committing: Promise<boolean> | undefined;
  /** Commits and task changes run one at a time; processing pauses while any is queued. */
  private readonly exclusive = new ExclusiveQueue();
  /** False once a failure means nothing more may be committed (revocations then only close tasks). */
  private mayCommit = true;
  private timer: NodeJS.Timeout | undefined;
  private lastCommit = 0;
  private readonly progressWaiters = new Waiters();
  private processedCount = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** The lock on stateDir/applicationId while the application runs (one process per state directory, as Kafka Streams). */
  private stateLock: DirLock | undefined;
  private failure: Error | undefined;
  private readonly metrics: StreamsMetrics | undefined;
  /** The registry the metrics are in (absent: no metrics). */
  readonly metricsRegistry: Registry | undefined;
  private metricsServer: MetricsServer | undefined;
  private queryServer: QueryServer | undefined;
  /** External assignment with a query server: where this instance claims its tasks for the others' queries. */
  private queryHosts: QueryHostsTopic | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (e: Error) => void;
  /** Resolves when the app has stopped; rejects with the reason when it failed. */
  readonly done: Promise<void>;
  state: StreamsState = 'created';

  constructor(
    readonly topology: Topology,
    private readonly config: StreamsConfig,
  ) {
    this.client = config.log instanceof Rill ? rillLogClient(config.log) : config.log;
    this.log = loggerFor(config).child({ component: 'streams', app: topology.applicationId });
    this.now = config.now ?? Date.now;
    this.directory = new TaskDirectory(this.client, topology.applicationId);
    this.standby = new StandbyTasks(this.client, topology, this.log);
    this.queries = new InteractiveQueries(
      topology,
      this.directory,
      () => this.taskManager,
      () => this.partitionCount,
    );
    if (config.metrics !== undefined || config.metricsPort !== undefined) {
      this.metricsRegistry = config.metrics ?? metricsRegistry();
      this.metrics = new StreamsMetrics(this.metricsRegistry, {
        tasks: () => this.taskManager?.tasks ?? [],
        inputLag: () => this.topicPartitions(this.assignedPartitions).map((tp) => ({ tp, lag: this.consumer?.fetchedLag(tp) })),
        produced: () => this.collector?.sent ?? 0,
      });
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get applicationId(): string {
    return this.topology.applicationId;
  }

  /** The partitions (tasks) this instance runs now, ascending. */
  get assignedPartitions(): number[] {
    return this.taskManager?.partitions ?? [];
  }

  /** The tasks this instance keeps warm copies of (standby tasks), ascending. */
  get standbyPartitions(): number[] {
    return this.standby.partitions;
  }

  /** The application's number of tasks (partitions per input topic); 0 before start(). */
  get taskCount(): number {
    return this.partitionCount;
  }

  /** Where this instance serves interactive queries over HTTP (queryPort), once started: http://applicationServer. */
  get queryUrl(): string | undefined {
    return this.queryServer?.url;
  }

  /**
   * What this instance runs now, read-only: each task (restoring or running)
   * with its stores' restore progress and its input partitions' positions,
   * end offsets and lag; each standby task with how far its stores trail
   * their changelogs. Asks the log for end offsets.
   */
  status(): Promise<StreamsStatus> {
    return streamsStatus({
      client: this.client,
      topology: this.topology,
      state: this.state,
      taskCount: this.partitionCount,
      tasks: this.taskManager,
      standby: this.standby,
      inputsOf: (task) => this.topicPartitions([task]),
      positionOf: (task, topic, start) => {
        const running = this.taskManager?.get(task);
        return running && this.readUpTo(running, topic, start);
      },
    });
  }

  /** Where this instance's metrics are served (metricsPort), once started. */
  get metricsUrl(): string | undefined {
    return this.metricsServer?.url;
  }

  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`start() called in state ${this.state}; a RillStreams runs once.`);
    const rf = this.config.replicationFactor ?? -1;
    if (!Number.isInteger(rf) || (rf < 1 && rf !== -1)) throw new Error(`replicationFactor must be an integer ≥ 1, or -1 for the log's default (got ${rf}).`);
    const idle = this.config.maxTaskIdleMs ?? DEFAULT_MAX_TASK_IDLE_MS;
    if (!Number.isInteger(idle) || idle < TASK_IDLE_DISABLED) throw new Error(`maxTaskIdleMs must be an integer ≥ 0, or -1 to never wait (got ${idle}).`);
    if (this.config.processingGuarantee === 'exactly-once' && !this.client.transactionalLogProducer)
      throw new Error("processingGuarantee 'exactly-once' needs a log client with transactional producers; this one has none. Use 'at-least-once'.");
    if (this.config.stateDir) this.stateLock = DirLock.acquire(path.join(this.config.stateDir, this.applicationId));
    this.state = 'restoring';
    let partitions: number;
    try {
      if (this.config.metricsPort !== undefined)
        this.metricsServer = await MetricsServer.start({
          registry: this.metricsRegistry!,
          port: this.config.metricsPort,
          security: this.config.metricsSecurity,
        });
      if (this.config.queryPort !== undefined) this.queryServer = await this.startQueryServer(this.config.queryPort);
      if (this.queryServer && this.config.taskAssignment === 'external') {
        this.queryHosts = new QueryHostsTopic(this.client, this.applicationId, this.queryServer.advertised, rf);
        this.directory.useClaims(this.queryHosts);
      }
      partitions = this.partitionCount = await this.prepareTopics();
    } catch (e) {
      this.stateLock?.release();
      await this.metricsServer?.close();
      await this.queryServer?.close();
      throw e;
    }
    try {
      await this.startTasks(partitions);
    } catch (e) {
      // Nothing half-started stays open: close what was opened, then report why.
      this.fail(e as Error, false);
      await this.done.catch(() => undefined);
      throw e;
    }
  }

  private async startTasks(partitions: number): Promise<void> {
    const exactlyOnce = this.config.processingGuarantee === 'exactly-once';
    if (exactlyOnce) {
      const producer = this.client.transactionalLogProducer!({
        transactionalId: transactionalIdOf(this.applicationId, this.config.instanceId ?? this.config.group?.groupInstanceId ?? this.config.applicationServer),
        transactionTimeoutMs: this.config.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS,
      });
      this.producer = producer;
      this.transactions = new TransactionalCommits(producer, this.applicationId);
      // Before any restore: initialising the transactional id fences an earlier incarnation and aborts what it left open.
      await producer.beginTransaction();
    } else this.producer = this.client.producer();
    this.collector = new AckingCollector(this.producer);
    this.taskManager = new TaskManager({
      client: this.client,
      topology: this.topology,
      collector: this.collector,
      logger: this.log,
      deserializationErrors: this.config.deserializationErrors ?? 'fail',
      processingErrors: this.config.processingErrors ?? 'fail',
      now: this.now,
      repartitionLocally: partitions === 1 && (this.config.localRepartition ?? true),
      stateDir: this.config.stateDir,
      onRestoreProgress: this.config.onRestoreProgress,
      // Asynchronous work failed after its record counted as processed: commit nothing more.
      onFatal: (e) => this.fail(e, false),
      metrics: this.metrics,
    });
    for (const s of this.topology.stores)
      if (s.changelog === 'none') this.log.warn(`store ${s.name} has NO changelog (opted out): its state is lost on every restart.`);
    const consumer = (this.consumer = this.client.consumer({
      groupId: this.applicationId,
      clientId: clientIdFor(this.config.applicationServer ?? this.queryServer?.advertised),
      ...this.config.group,
      ...(exactlyOnce ? { isolationLevel: 'read_committed' as const } : {}),
      // The tasks read keys and values straight from the fetched bytes (StreamTask.process): no view per field.
      recordSpans: true,
    }));
    const topics = [...this.topology.sources.keys()];
    const wanted = this.config.taskAssignment;
    if (wanted === 'group' && !consumer.subscribe)
      throw new Error(`taskAssignment 'group' needs a log client that can subscribe to a consumer group; this one cannot. Use 'external' or 'all'.`);
    this.mode = wanted ?? (consumer.subscribe ? 'group' : 'all');
    if (this.mode === 'group') {
      await consumer.subscribe!(topics, {
        onAssigned: (added) => void this.exclusive.run(() => this.addTasks(partitionsOf(added))).catch((e: Error) => this.fail(e, false)),
        onRevoked: (revoked) => this.exclusive.run(() => this.revokeTasks(partitionsOf(revoked))),
      });
    } else if (this.mode === 'all') {
      await this.exclusive.run(() => this.setTasks(Array.from({ length: partitions }, (_, p) => p)));
    }
    // The first assignment's tasks are restored before start() returns.
    await this.exclusive.idle();
    if (this.failure) throw this.failure;
    this.lastCommit = this.now();
    this.state = 'running';
    this.timer = setInterval(() => this.tick(), this.config.wallClockTickMs ?? 1000);
    this.timer.unref();
    this.standbyTimer = setInterval(() => {
      if (this.standby.partitions.length > 0 && !this.standby.busy)
        void this.standby.catchUp().catch((e: Error) => this.log.warn(`standby tasks: catching up failed (${e.message}); trying again.`));
    }, this.config.standbyCatchUpMs ?? 1000);
    this.standbyTimer.unref();
    this.loop = this.run().catch((e) => this.fail(e as Error));
    this.log.info(
      `application ${this.applicationId} running (${this.mode} task assignment): task(s) ${this.assignedPartitions.join(', ') || 'none yet'} of ${partitions}, sources ${topics.join(', ')}`,
    );
  }

  /**
   * External assignment (taskAssignment 'external'): this instance runs
   * exactly these tasks (partition numbers) from now on. Tasks no longer
   * listed are revoked (stop reading, in-flight work finished, writes
   * acknowledged, offsets committed, stores closed); new ones are assigned
   * (stores restored from their changelogs, reading from the committed
   * offsets). Resolves once the new tasks are restored and running.
   * Serialized with commits and any other assignment change. `hosts` (task
   * -> applicationServer, every task of the application) lets queryKey()
   * name the instance that hosts a key this one does not.
   *
   * The assigner must revoke a task on its old instance (and wait for that
   * to resolve) before assigning it to a new one, as the group protocol does.
   */
  async assignTasks(partitions: readonly number[], hosts?: ReadonlyMap<number, string>): Promise<void> {
    if (this.mode !== 'external' || this.state === 'created') {
      throw new Error(
        `assignTasks() needs a started RillStreams with taskAssignment 'external' (this one: ${this.state === 'created' ? 'not started' : `'${this.mode}'`}).`,
      );
    }
    if (this.failure) throw this.failure;
    if (this.stopping) throw new Error(`assignTasks() on application ${this.applicationId}, which is ${this.state}.`);
    const bad = partitions.filter((p) => !Number.isInteger(p) || p < 0 || p >= this.partitionCount);
    if (bad.length)
      throw new Error(`assignTasks(): no task ${bad.join(', ')} in application ${this.applicationId}; its tasks are 0..${this.partitionCount - 1}.`);
    if (hosts) this.directory.setHosts(hosts);
    await this.exclusive.run(() => this.setTasks([...new Set(partitions)].sort((a, b) => a - b)));
    if (this.failure) throw this.failure;
    // The other instances' queries learn that this one runs these tasks now (a failed write only costs them a 503).
    await this.queryHosts?.publish(this.assignedPartitions).catch((e: Error) => this.log.warn(`interactive queries: could not claim tasks: ${e.message}`));
  }

  /**
   * External assignment: keep warm copies of these tasks' stores (standby
   * tasks) by reading their changelogs, without processing. A standby task
   * assigned later by assignTasks() takes over its stores and restores only
   * what was written since its last catch-up. Tasks this instance runs are
   * not kept as standbys. Resolves after a first catch-up.
   */
  async setStandbyTasks(partitions: readonly number[]): Promise<void> {
    if (this.mode !== 'external' || this.state === 'created') throw new Error(`setStandbyTasks() needs a started RillStreams with taskAssignment 'external'.`);
    const bad = partitions.filter((p) => !Number.isInteger(p) || p < 0 || p >= this.partitionCount);
    if (bad.length)
      throw new Error(`setStandbyTasks(): no task ${bad.join(', ')} in application ${this.applicationId}; its tasks are 0..${this.partitionCount - 1}.`);
    await this.exclusive.run(async () => this.standby.set(partitions.filter((p) => !this.taskManager!.get(p))));
    await this.standby.catchUp();
  }

  /** Reads the standby tasks' changelogs up to their current ends now. */
  catchUpStandbys(): Promise<void> {
    return this.standby.catchUp();
  }

  /**
   * External assignment: which instance (applicationServer) runs each task of
   * the application, for queryKey() answers about keys this instance does not
   * host. Call it whenever the assignment of any instance changes.
   */
  setTaskHosts(hosts: ReadonlyMap<number, string>): void {
    this.directory.setHosts(hosts);
  }

  /** Graceful shutdown: stop reading, flush, commit, snapshot stores, leave the group, close. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'failed') return;
    if (this.state === 'created') {
      this.state = 'stopped';
      this.resolveDone();
      return;
    }
    this.stopping = true;
    this.state = 'stopping';
    await this.shutdown(true);
    this.state = 'stopped';
    this.resolveDone();
  }

  /**
   * Commits now: flushes store changes to changelogs, waits for every write's
   * ack, then commits offsets. A commit the group refuses during a rebalance
   * is skipped with a warning (the next one covers it); any other failure
   * stops the app.
   */
  async commit(): Promise<void> {
    await this.commitAll();
  }

  /**
   * Resolves once every record written so far to the application's input
   * partitions (repartition topics included) is processed by the instance
   * that owns it and committed: this instance's tasks are processed to the
   * end offsets it saw and committed; every other partition has the group's
   * committed offset at its end (so a partition between owners during a
   * rebalance is not caught up). For examples, tests, benches and batch-like
   * runs: woken by processing, and every WAIT_AGAIN_MS while other instances
   * have the rest.
   */
  async waitUntilCaughtUp(): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      // Records processed while behind() awaits must not be missed (lost wake-up): compare counts.
      const seen = this.processedCount;
      const lagging = await this.behind();
      if (lagging === 'none') {
        // A commit already under way took its offsets and flushed before what was processed last: wait for it,
        // so that the commit awaited here starts after the check.
        await this.committing?.catch(() => undefined);
        // Committing flushes writes, which may add records to repartition topics: check again after.
        const committed = await this.commitAll();
        // Records processed meanwhile (the commit made repartitioned records readable, say) may be in no commit yet.
        if (committed && (await this.behind()) === 'none' && this.processedCount === seen) return;
        // Refused during a rebalance: try again once it has moved on (the rebalance wakes us).
        if (!committed) await this.progress(WAIT_AGAIN_MS);
        continue;
      }
      // Behind on a task of its own: processing wakes it. Behind elsewhere: other instances' commits, looked at again.
      // (Exactly-once: also looked at again, as a commit marker that no record shows may be what is left.)
      if (this.processedCount === seen) await this.progress(lagging === 'local' && !this.transactions ? undefined : WAIT_AGAIN_MS);
    }
  }

  /** Resolves on the next processing progress or rebalance, or after `ms` when given. */
  private progress(ms?: number): Promise<void> {
    return this.progressWaiters.wait(ms);
  }

  /**
   * Interactive query of one key in a key-value store: `{ hosted: true, value }`
   * on the instance that runs the key's partition, elsewhere `{ hosted: false,
   * partition, host }` naming that instance's applicationServer when known.
   * See InteractiveQueries.
   */
  queryKey<K, V>(storeName: string, key: K): Promise<KeyQueryResult<V>> {
    return this.queries.queryKey<K, V>(storeName, key);
  }

  /** Interactive query of a key-value store over the tasks this instance hosts (get() of another's key throws, saying so). */
  store<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    return this.queries.store<K, V>(name);
  }

  /** Interactive query of a window store over the tasks this instance hosts (as store()). */
  windowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    return this.queries.windowStore<K, V>(name);
  }

  // ------------------------------------------------------------ task assignment (run on the exclusive queue)

  /** Revokes what is not in `partitions`, then assigns what is new: the 'external' and 'all' paths. */
  private async setTasks(partitions: readonly number[]): Promise<void> {
    if (this.stopping) return;
    const tasks = this.taskManager!;
    const wanted = new Set(partitions);
    const gone = tasks.partitions.filter((p) => !wanted.has(p));
    const fresh = partitions.filter((p) => !tasks.get(p));
    if (gone.length) {
      // Stop feeding them first; buffered records of dropped partitions are discarded by the consumer.
      await this.consumer!.assign(this.topicPartitions(tasks.partitions.filter((p) => wanted.has(p))));
      await this.revokeTasks(gone);
    }
    if (fresh.length) {
      const warm = new Map<number, WarmStores>();
      for (const p of fresh) {
        const stores = await this.standby.take(p);
        if (stores) warm.set(p, stores);
      }
      await this.addTasks(fresh, warm);
      await this.consumer!.assign(this.topicPartitions(partitions));
      // Read from where each task's offsets are (the group's committed ones), whatever the client defaults to.
      for (const p of fresh) for (const [topic, offset] of tasks.get(p)?.consumed ?? []) await this.consumer!.seek({ topic, partition: p }, offset);
    }
  }

  /** Creates and restores the tasks of newly assigned partitions. */
  private async addTasks(partitions: readonly number[], warm?: ReadonlyMap<number, WarmStores>): Promise<void> {
    if (partitions.length === 0 || this.stopping) return;
    const created = await this.taskManager!.create(partitions, warm);
    if (created.length === 0) return;
    this.log.info(
      `application ${this.applicationId}: task(s) ${created.map((t) => t.partition).join(', ')} assigned and restored; running ${this.assignedPartitions.join(', ')}`,
    );
    this.metrics?.rebalanced(created.length, 0);
    this.config.onRebalance?.({ assigned: created.map((t) => t.partition), revoked: [], owned: this.assignedPartitions });
    this.wakeAll();
  }

  /**
   * Partitions about to go: commit their tasks' work (settle asynchronous
   * work, flush state, wait for every write's acknowledgement, commit
   * offsets), snapshot their stores, then close them. Under a group the
   * consumer gives the partitions up only after this resolves.
   */
  private async revokeTasks(partitions: readonly number[]): Promise<void> {
    const tasks = this.taskManager!;
    const revoked = [...new Set(partitions)].filter((p) => tasks.get(p)).sort((a, b) => a - b);
    if (revoked.length === 0) return;
    const closing = revoked.map((p) => tasks.get(p)!);
    let committed = false;
    if (this.mayCommit && !this.collector!.failed) {
      // Refused (this member was fenced): the new owner replays from the last commit. Failed: the app stops.
      committed = await this.commitTasks(closing, revoked).catch((e: Error) => {
        this.fail(e, false);
        return false;
      });
      if (committed && this.config.stateDir) await tasks.writeSnapshots(this.config.stateDir, revoked);
    }
    tasks.close(revoked);
    for (const p of revoked) this.dropGroup(p);
    this.log.info(
      `application ${this.applicationId}: task(s) ${revoked.join(', ')} revoked${committed ? ', committed' : ' (not committed)'} and closed; running ${this.assignedPartitions.join(', ') || 'none'}`,
    );
    this.metrics?.rebalanced(0, revoked.length);
    this.config.onRebalance?.({ assigned: [], revoked, owned: this.assignedPartitions });
    this.wakeAll();
  }

  /** Partition p of every source topic that has one (uneven sources: a task may lack some). */
  private topicPartitions(partitions: readonly number[]): TopicPartition[] {
    return [...this.topology.sources.keys()].flatMap((topic) =>
      partitions.filter((p) => p < (this.sourcePartitions.get(topic) ?? this.partitionCount)).map((partition) => ({ topic, partition })),
    );
  }

  // ------------------------------------------------------------ internals

  /** Resolves true once committed, false when the group refused the offsets (a rebalance). */
  private commitAll(): Promise<boolean> {
    if (!this.committing) {
      this.committing = this.exclusive
        .run(() => this.commitTasks([...this.taskManager!.tasks]))
        .catch((e: Error) => {
          this.fail(e, false);
          throw e;
        })
        .finally(() => (this.committing = undefined));
    }
    return this.committing;
  }

  /**
   * Flushes these tasks' state, waits until every write is acknowledged, then
   * commits their offsets. False when the group refused the offsets because
   * of a rebalance: the writes are safe, the offsets simply stay where they were.
   */
  private async commitTasks(tasks: readonly StreamTask[], leaving: readonly number[] = []): Promise<boolean> {
    if (this.transactions) return this.commitTransaction(leaving);
    const offsets = this.offsetsOf(tasks);
    // Asynchronous work of the records being committed must finish (and write) first.
    const started = performance.now();
    await Promise.all(tasks.map((t) => t.settleAsync()));
    for (const t of tasks) t.flushState();
    await this.collector!.flush();
    this.lastCommit = this.now();
    if (offsets.length === 0) return true;
    try {
      await this.consumer!.commit(offsets);
      this.metrics?.committed((performance.now() - started) / 1000);
      return true;
    } catch (e) {
      if (!(e instanceof CommitRefusedError)) throw e;
      this.log.warn(`application ${this.applicationId}: offsets not committed, the group is rebalancing (${e.message}); the next commit covers them.`);
      return false;
    }
  }

  /** The offsets to commit for these tasks: per source partition, the next one each needs. */
  private offsetsOf(tasks: readonly StreamTask[]): (TopicPartition & { offset: number })[] {
    const offsets: (TopicPartition & { offset: number })[] = [];
    for (const t of tasks) for (const topic of t.consumed.keys()) offsets.push({ topic, partition: t.partition, offset: this.readUpTo(t, topic) });
    return offsets;
  }

  /**
   * Exactly-once: one transaction holds the writes of every task, so a commit
   * is always of all of them. Their state is flushed and every write
   * acknowledged, then the offsets go into the transaction and it commits.
   * Any failure aborts it and restarts the tasks (except `leaving`, which are
   * being revoked): false then. A fenced producer (a newer incarnation of
   * this instance runs) throws: this one must stop.
   */
  private async commitTransaction(leaving: readonly number[]): Promise<boolean> {
    const tasks = [...this.taskManager!.tasks];
    const offsets = this.offsetsOf(tasks);
    const started = performance.now();
    try {
      await Promise.all(tasks.map((t) => t.settleAsync()));
      for (const t of tasks) t.flushState();
      await this.collector!.flush();
      await this.transactions!.commit(offsets, this.collector!.sent, this.consumer!.groupMetadata?.());
    } catch (e) {
      await this.abortAndRestart(e as Error, leaving);
      return false;
    }
    this.lastCommit = this.now();
    this.metrics?.committed((performance.now() - started) / 1000);
    return true;
  }

  /**
   * Exactly-once, after a failure: aborts the open transaction, closes every
   * task dirty (its stores may hold what was aborted) and creates the tasks
   * again but `leaving`: stores restored from the changelogs' committed data,
   * input read again from the committed offsets.
   */
  private async abortAndRestart(cause: Error, leaving: readonly number[]): Promise<void> {
    if (cause instanceof ProducerFencedError) throw fencedInstance(this.applicationId, cause);
    const tasks = this.taskManager!;
    const all = tasks.partitions;
    const restart = all.filter((p) => !leaving.includes(p));
    this.log.warn(
      `application ${this.applicationId}: transaction aborted (${cause.message}); task(s) ${all.join(', ')} closed dirty, restoring from the changelogs and reading again from the committed offsets`,
    );
    await this.collector!.discard();
    try {
      await this.transactions!.abort();
    } catch (e) {
      throw e instanceof ProducerFencedError ? fencedInstance(this.applicationId, e) : e;
    }
    tasks.close(all);
    this.restarts++;
    for (const p of all) this.dropGroup(p);
    const created = await tasks.create(restart);
    for (const tp of this.topicPartitions(created.map((t) => t.partition))) {
      const offset = tasks.get(tp.partition)?.consumed.get(tp.topic) ?? (await this.logStart(tp));
      await this.consumer!.seek(tp, offset);
    }
    this.lastCommit = this.now();
    this.wakeAll();
  }

  private async logStart(tp: TopicPartition): Promise<number> {
    return (await this.client.offsets(tp.topic)).find((o) => o.partition === tp.partition)?.start ?? 0;
  }

  /**
   * The next offset of partition `task.partition` of `topic` the task needs:
   * past its last processed record, and, once it has processed everything
   * fetched of it up to the high watermark, the consumer's position as last
   * noted with every handed-out record buffered (readPositions), which also
   * covers what a reader never hands out (transaction markers, records
   * of aborted transactions). Committing that, and comparing it with the end
   * offset, keeps a partition that ends with a marker from looking unread.
   */
  private readUpTo(task: StreamTask, topic: string, floor = 0): number {
    const consumed = task.consumed.get(topic) ?? floor;
    const group = this.groups.get(task.partition);
    // A record taken but not processed (buffered, or the one that failed) keeps the task where it is.
    const unprocessed = (group?.bufferedOf(topic) ?? 0) > 0 || (group?.nextAfterAdded(topic) ?? 0) > consumed;
    if (unprocessed) return consumed;
    return Math.max(consumed, this.readPositions.get(`${topic}\0${task.partition}`) ?? consumed);
  }

  /**
   * Which input partition is not processed to its end yet: 'local' when one
   * of this instance's tasks is behind, 'elsewhere' when a partition it does
   * not run has the group's committed offset short of its end, else 'none'.
   */
  private async behind(): Promise<'local' | 'elsewhere' | 'none'> {
    let elsewhere = false;
    for (const topic of this.topology.sources.keys()) {
      let committed: Map<number, number> | undefined;
      for (const o of await this.client.offsets(topic)) {
        if (o.end <= o.start) continue;
        const task = this.taskManager?.get(o.partition);
        if (task) {
          if (this.readUpTo(task, topic, o.start) < o.end) return 'local';
          continue;
        }
        if (elsewhere) continue;
        committed ??= await this.client.committedOffsets(this.applicationId, topic);
        if ((committed.get(o.partition) ?? -1) < o.end) elsewhere = true;
      }
    }
    return elsewhere ? 'elsewhere' : 'none';
  }

  /** Checks sources, creates repartition, changelog and sink topics; returns the task count. */
  private async prepareTopics(): Promise<number> {
    const counts = new Map<string, number>();
    for (const topic of this.topology.inputTopics) {
      const n = await this.client.partitionCount(topic);
      if (n === undefined) throw new Error(`Source topic "${topic}" of application ${this.applicationId} does not exist; create it first.`);
      counts.set(topic, n);
      this.sourcePartitions.set(topic, n);
    }
    const partitions = Math.max(1, ...counts.values());
    const uneven = [...counts].filter(([, n]) => n !== partitions);
    if (uneven.length)
      this.log.warn(
        `source topics are not co-partitioned (${[...counts].map(([t, n]) => `${t}: ${n}`).join(', ')}); joins need the same partition count on both sides.`,
      );
    const internal = [
      ...this.topology.repartitionTopics.map((name) => ({ name, partitions })),
      ...this.topology.changelogTopics.map((name) => ({ name, partitions, config: { 'cleanup.policy': 'compact' } })),
      ...[
        ...new Set([
          ...this.topology.sinks.filter((s) => s.role !== 'repartition').map((s) => s.topic),
          ...[this.config.deserializationErrors, this.config.processingErrors].flatMap((p) => (typeof p === 'object' ? [p.deadLetterTopic] : [])),
        ]),
      ].map((name) => ({ name, partitions })),
    ];
    const replicationFactor = this.config.replicationFactor ?? -1;
    await this.client.ensureTopics([...internal.map((t) => ({ ...t, replicationFactor })), ...(this.queryHosts ? [this.queryHosts.spec] : [])]);
    return partitions;
  }

  /**
   * The processing loop (Kafka's StreamThread): take what the consumer has
   * fetched into each task's PartitionGroup, then let every task that is
   * ready process its records in event-time order, a chunk at a time, with
   * commits and backpressure between chunks. Waits for records only when no
   * task can go on.
   */
  private async run(): Promise<void> {
    const consumer = this.consumer!;
    const lag = this.fetchedLag;
    for (;;) {
      if (this.exclusive.busy) await this.exclusive.idle();
      if (this.stopping) return;
      const now = this.now();
      let ready = false;
      let deadline: number | undefined;
      for (const g of this.groups.values()) {
        if (g.readyToProcess(now, lag)) ready = true;
        const d = g.nextDeadline(now);
        if (d !== undefined && (deadline === undefined || d < deadline)) deadline = d;
      }
      const wait = ready ? 0 : Math.max(1, Math.min(MAX_POLL_WAIT_MS, deadline === undefined ? MAX_POLL_WAIT_MS : deadline - now));
      const restarts = this.restarts;
      const fetched = await consumer.poll(MAX_POLL, wait);
      // A task assigned meanwhile is restored before its records are buffered (records of partitions without a task are dropped).
      if (this.exclusive.busy) await this.exclusive.idle();
      if (this.stopping) return;
      // Exactly-once: the tasks restarted meanwhile and read again from their committed offsets. What was polled before
      // may lie past a gap (the records between were buffered and dropped): buffering it would skip that gap.
      if (this.restarts !== restarts) continue;
      this.metrics?.polled(fetched.length);
      for (const r of fetched) this.enqueue(r);
      this.noteReadPositions();
      if (fetched.length > 0) this.pauseFullInputs();
      await this.processReady();
    }
  }

  /** Notes where the consumer is in each partition it has nothing more of (see readPositions); call with no record in hand. */
  private noteReadPositions(): void {
    const consumer = this.consumer!;
    for (const task of this.taskManager!.tasks) {
      for (const topic of this.topology.sources.keys()) {
        const tp = { topic, partition: task.partition };
        if (consumer.fetchedLag(tp) !== 0) continue;
        const at = consumer.position(tp);
        if (at !== undefined) this.readPositions.set(`${topic}\0${task.partition}`, at);
      }
    }
  }

  /** Buffers a fetched record in its task's group; records of partitions this instance runs no task for are dropped. */
  private enqueue(record: LogRecord): void {
    let group = this.lastGroup;
    if (group !== undefined && group.partition === record.partition) {
      group.add(record);
      return;
    }
    group = this.groups.get(record.partition);
    if (group === undefined) {
      if (this.taskManager!.get(record.partition) === undefined) return;
      const topics = this.topicPartitions([record.partition]).map((tp) => tp.topic);
      this.groups.set(record.partition, (group = new PartitionGroup(record.partition, topics, this.config.maxTaskIdleMs ?? DEFAULT_MAX_TASK_IDLE_MS)));
    }
    this.lastGroup = group;
    group.add(record);
  }

  /**
   * Processes what the ready tasks have, in event-time order across tasks as
   * well: the task whose next record is the oldest goes first, for as long as
   * its records are no newer than the next oldest task's (at most a chunk).
   * Tasks feed each other through repartition topics; letting one run far
   * ahead in event time would make its repartitioned records late for the
   * others' windows and joins. Returns when no task is ready, or when exclusive
   * work or a stop comes.
   */
  private async processReady(): Promise<void> {
    const maxInFlight = this.config.maxInFlight ?? 10_000;
    const maxDirty = this.config.maxDirtyEntries ?? 50_000;
    const commitInterval = this.config.commitIntervalMs ?? 1000;
    const collector = this.collector!;
    const tasks = this.taskManager!;
    const lag = this.fetchedLag;
    for (;;) {
      const now = this.now();
      let first: PartitionGroup | undefined;
      let firstAt = Infinity;
      let secondAt = Infinity;
      for (const [partition, group] of this.groups) {
        // A partition revoked meanwhile has no task: its records are its next owner's.
        if (tasks.get(partition) === undefined) {
          this.dropGroup(partition);
          continue;
        }
        if (!group.readyToProcess(now, lag)) continue;
        const at = group.headTimestamp;
        if (at < firstAt) {
          secondAt = firstAt;
          firstAt = at;
          first = group;
        } else if (at < secondAt) secondAt = at;
      }
      if (first === undefined) return;
      const task = tasks.get(first.partition)!;
      let n = 0;
      const started = this.metrics ? performance.now() : 0;
      do {
        const record = first.next();
        // A task (re)assigned meanwhile starts at its committed offset: what it already covers is skipped.
        if (record.offset < (task.consumed.get(record.topic) ?? -1)) continue;
        task.process(record);
        n++;
        if (task.dirtyEntries >= maxDirty) task.flushState();
      } while (
        n < TASK_CHUNK &&
        first.buffered > 0 &&
        // With no other group waiting (secondAt Infinity), no need to look for this one's head: every head is <= Infinity.
        (secondAt === Infinity || first.headTimestamp <= secondAt) &&
        // Still ready unless the last take emptied a queue (only that changes readiness within this loop).
        (!first.emptiedQueue || first.readyToProcess(now, lag)) &&
        // Backpressure per record: the source stops as soon as too many writes wait for acknowledgement.
        collector.inFlight <= maxInFlight &&
        task.pendingAsync <= maxInFlight
      );
      this.processedCount += n;
      this.metrics?.batchProcessed(task.partition, n, (performance.now() - started) / 1000);
      if (this.progressWaiters.any) this.wakeProgressWaiters();
      this.resumeDrainedInputs(first);
      if (collector.failed) {
        if (!this.transactions) throw collector.failed;
        // Exactly-once: the interval's transaction is lost, not the application.
        await this.exclusive.run(async () => {
          if (collector.failed) await this.abortAndRestart(collector.failed, []);
        });
        return;
      }
      // Every await below lets exclusive work (commits, task changes) run: look again before going on.
      if (collector.inFlight > maxInFlight) await collector.waitUntilAtMost(maxInFlight >> 1);
      if (task.pendingAsync > maxInFlight) await task.settleAsync();
      if (this.now() - this.lastCommit >= commitInterval) await this.commitAll();
      if (this.exclusive.busy || this.stopping) return;
    }
  }

  /**
   * Pauses fetching of the full input partitions of tasks that cannot go on
   * (they wait on another of their inputs): their queues would otherwise grow
   * with everything fetched meanwhile. A task that is ready keeps its read-ahead.
   */
  private pauseFullInputs(): void {
    if (!this.consumer!.pause) return;
    const now = this.now();
    const full = [...this.groups.values()].flatMap((g) => (g.readyToProcess(now, this.fetchedLag) ? [] : g.pauseFull(MAX_QUEUED_PER_PARTITION)));
    if (full.length) this.consumer!.pause(full);
  }

  /** Resumes fetching of a task's paused inputs once their queue is half drained. */
  private resumeDrainedInputs(group: PartitionGroup): void {
    const drained = group.resumeDrained(MAX_QUEUED_PER_PARTITION >> 1);
    if (drained.length) this.consumer!.resume?.(drained);
  }

  /** Forgets a task's buffered records (revoked: its next owner reads them), resuming its paused inputs. */
  private dropGroup(partition: number): void {
    // Its next reader starts where it is told (a seek, the committed offsets): what was read here no longer says anything.
    for (const topic of this.topology.sources.keys()) this.readPositions.delete(`${topic}\0${partition}`);
    const group = this.groups.get(partition);
    if (!group) return;
    this.groups.delete(partition);
    if (this.lastGroup === group) this.lastGroup = undefined;
    const paused = group.resumeAll();
    if (paused.length) this.consumer?.resume?.(paused);
  }

  /**
   * Wakes waitUntilCaughtUp, which asks the log for offsets: at most every few
   * ms, with a timer so the last record's wake-up is never lost.
   */
  private wakeProgressWaiters(): void {
    if (this.wakeTimer) return;
    const wake = () => {
      this.wakeTimer = undefined;
      this.wakeAll();
    };
    this.wakeTimer = setTimeout(wake, 2);
    this.wakeTimer.unref();
  }

  private wakeAll(): void {
    this.progressWaiters.wakeAll();
  }

  private tick(): void {
    if (this.state !== 'running' || this.exclusive.busy) return;
    try {
      const now = this.now();
      let punctuated = 0;
      for (const t of this.taskManager!.tasks) {
        t.punctuate(now);
        punctuated++;
      }
      this.metrics?.punctuated(punctuated);
      if (now - this.lastCommit >= (this.config.commitIntervalMs ?? 1000)) void this.commitAll().catch(() => undefined);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private fail(error: Error, commitProcessed = true): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.failure = error;
    this.wakeAll();
    this.log.error(`application ${this.applicationId} stopped: ${error.message}`);
    this.stopping = true;
    this.state = 'failed';
    // Commit what was fully processed and acknowledged before the failure, nothing after it. Exactly-once: nothing
    // (the failed record's first effects may be in the open transaction, which closing the producer aborts).
    void this.shutdown(commitProcessed && !this.collector?.failed && !this.transactions).finally(() => this.rejectDone(this.failure!));
  }

  private async shutdown(commit: boolean): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.standbyTimer) clearInterval(this.standbyTimer);
    this.standby.set([]);
    await this.standby.idle();
    try {
      if (commit && this.consumer) await this.commitAll();
      if (commit && this.config.stateDir) await this.taskManager?.writeSnapshots(this.config.stateDir);
    } finally {
      // Closing the consumer revokes what it owns and leaves the group; the revocation commits nothing more after a failure.
      this.mayCommit = commit;
      await this.consumer?.close();
      await this.loop?.catch(() => undefined);
      await this.exclusive.idle();
      await this.producer?.close().catch(() => undefined);
      this.taskManager?.closeAll();
      this.stateLock?.release();
      await this.metricsServer?.close();
      await this.queryServer?.close();
      await this.queryHosts?.withdraw().catch(() => undefined);
    }
  }

  /** Interactive queries over HTTP; answers 503 until the first tasks are restored, and once stopping. */
  private startQueryServer(port: number): Promise<QueryServer> {
    return QueryServer.start({
      queries: this.queries,
      directory: this.directory,
      notReady: () => (this.state === 'running' ? undefined : `it is ${this.state}`),
      port,
      host: this.config.queryHost,
      advertised: this.config.applicationServer,
      security: this.config.querySecurity,
      forwardTls: this.config.queryForwardTls,
    });
  }
}

function fencedInstance(applicationId: string, cause: Error): Error {
  return new Error(
    `application ${applicationId}: this instance was fenced by a newer one with the same transactional id (instanceId); it stops, its open transaction aborted (${cause.message})`,
  );
}

function partitionsOf(tps: readonly TopicPartition[]): number[] {
  return [...new Set(tps.map((tp) => tp.partition))].sort((a, b) => a - b);
}
