// RillStreams: runs a topology on a log. One task per input partition; one
// consumer reads every source partition with a bounded read-ahead; writes go
// through one producer; offsets are committed only after the sinks' and the
// changelogs' writes are acknowledged (at-least-once).
//
// Lifecycle: start() checks and creates topics, restores every store from its
// changelog (from a local snapshot's checkpoint when there is one), starts the
// tasks and the processing loop. stop() stops pulling, flushes, commits,
// writes snapshots and closes. A 'fail' policy or a failed write stops the app
// the same way (without committing what was not acknowledged); `done` rejects
// with the reason.
import { Rill } from '../../core/client';
import type { LogClient, LogConsumer, LogProducer, LogRecord, TopicPartition } from '../client/log-client';
import { rillLogClient } from '../client/rill-log-client';
import { consoleLogger, type Logger } from '../logger';
import type { Windowed } from '../record';
import type { ReadOnlyKeyValueStore } from '../state/key-value-store';
import type { ReadOnlyWindowStore, WindowEntry } from '../state/window-store';
import type { Topology } from '../topology/topology';
import { AckingCollector } from './acking-collector';
import type { ErrorPolicy } from './error-policy';
import { loadSnapshot, snapshotPath, writeSnapshot } from './local-snapshot';
import { restoreStore, type RestoreProgress } from './restore';
import { StreamTask } from './stream-task';
import { timestampOrder } from './timestamp-order';

/** Fetched records taken at once for timestamp ordering. */
const MAX_BATCH = 500;

export interface StreamsConfig {
  /** The log: an embedded Rill, or any LogClient (a cluster, kafkajs). */
  log: Rill | LogClient;
  /** Writes not yet acknowledged before the source stops reading (default 10 000). */
  maxInFlight?: number;
  /** How often offsets are committed (default 1000 ms). Changelog writes are batched per commit. */
  commitIntervalMs?: number;
  /** Flush a task's changed store entries early once this many are pending (default 50 000). */
  maxDirtyEntries?: number;
  /** How often the wall clock ticks into the tasks (default 1000 ms). */
  wallClockTickMs?: number;
  deserializationErrors?: ErrorPolicy;
  processingErrors?: ErrorPolicy;
  /** Local snapshots of stores at shutdown; restore then replays only the changelog after them. */
  stateDir?: string;
  logger?: Logger;
  onRestoreProgress?: (p: RestoreProgress) => void;
  /**
   * With a single task (every source has one partition), repartitioned records
   * are handed on in memory instead of through the repartition topic (default
   * true; set false to always go through the log).
   */
  localRepartition?: boolean;
  /** 'exactly-once' needs a TransactionalLogProducer; not available yet. */
  processingGuarantee?: 'at-least-once' | 'exactly-once';
  now?: () => number;
}

export type StreamsState = 'created' | 'restoring' | 'running' | 'stopping' | 'stopped' | 'failed';

export class RillStreams {
  private readonly client: LogClient;
  private readonly log: Logger;
  private readonly now: () => number;
  private tasks: StreamTask[] = [];
  private producer: LogProducer | undefined;
  private consumer: LogConsumer | undefined;
  private collector: AckingCollector | undefined;
  private loop: Promise<void> | undefined;
  private committing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastCommit = 0;
  private progressWaiters: (() => void)[] = [];
  private processedCount = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private failure: Error | undefined;
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
    this.log = config.logger ?? consoleLogger;
    this.now = config.now ?? Date.now;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get applicationId(): string {
    return this.topology.applicationId;
  }

  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`start() called in state ${this.state}; a RillStreams runs once.`);
    if (this.config.processingGuarantee === 'exactly-once') {
      throw new Error("processingGuarantee 'exactly-once' is not available yet: it needs a transactional producer (see TransactionalLogProducer in dsl/client/log-client.ts). Use 'at-least-once'.");
    }
    this.state = 'restoring';
    const partitions = await this.prepareTopics();
    this.producer = this.client.producer();
    this.collector = new AckingCollector(this.producer);
    const collector = this.collector;
    for (let p = 0; p < partitions; p++) {
      this.tasks.push(
        new StreamTask({
          topology: this.topology,
          partition: p,
          collector,
          logger: this.log,
          deserializationErrors: this.config.deserializationErrors ?? 'fail',
          processingErrors: this.config.processingErrors ?? 'fail',
          now: this.now,
          repartitionLocally: partitions === 1 && (this.config.localRepartition ?? true),
          // Asynchronous work failed after its record counted as processed: commit nothing more.
          onFatal: (e) => this.fail(e, false),
        }),
      );
    }
    for (const s of this.topology.stores) if (s.changelog === 'none') this.log.warn(`store ${s.name} has NO changelog (opted out): its state is lost on every restart.`);
    await this.restore();
    for (const t of this.tasks) t.start();
    this.consumer = this.client.consumer({ groupId: this.applicationId });
    const assignment: TopicPartition[] = [];
    for (const topic of this.topology.sources.keys()) {
      const n = (await this.client.partitionCount(topic))!;
      const committed = await this.client.committedOffsets(this.applicationId, topic);
      for (let p = 0; p < n; p++) {
        assignment.push({ topic, partition: p });
        const offset = committed.get(p) ?? -1;
        if (offset >= 0) this.tasks[p]?.consumed.set(topic, offset);
      }
    }
    await this.consumer.assign(assignment);
    this.lastCommit = this.now();
    this.state = 'running';
    this.timer = setInterval(() => this.tick(), this.config.wallClockTickMs ?? 1000);
    this.timer.unref();
    this.loop = this.run().catch((e) => this.fail(e as Error));
    this.log.info(`application ${this.applicationId} running: ${partitions} task(s), sources ${[...this.topology.sources.keys()].join(', ')}`);
  }

  /** Graceful shutdown: stop reading, flush, commit, snapshot stores, close. */
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

  /** Commits now: flushes store changes to changelogs, waits for every write's ack, then commits offsets. */
  commit(): Promise<void> {
    if (!this.committing) this.committing = this.doCommit().finally(() => (this.committing = undefined));
    return this.committing;
  }

  /**
   * Resolves once every record written to the sources so far (repartition
   * topics included) is processed and committed. For examples, tests and
   * batch-like runs; woken by processing, not by polling.
   */
  async waitUntilCaughtUp(): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      // Records processed while behind() awaits must not be missed (lost wake-up): compare counts.
      const seen = this.processedCount;
      if (!(await this.behind())) {
        // Committing flushes writes, which may add records to repartition topics: check again after.
        await this.commit();
        if (!(await this.behind())) return;
        continue;
      }
      if (this.processedCount === seen) await new Promise<void>((resolve) => this.progressWaiters.push(resolve));
    }
  }

  private async behind(): Promise<boolean> {
    for (const topic of this.topology.sources.keys()) {
      for (const o of await this.client.offsets(topic)) {
        const consumed = this.tasks[o.partition]?.consumed.get(topic) ?? o.start;
        if (consumed < o.end) return true;
      }
    }
    return false;
  }

  /** Interactive query: a key-value store's current values, across this instance's tasks. */
  store<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const stores = () => this.tasks.map((t) => t.keyValueStore<K, V>(name));
    this.checkStore(name, 'key-value');
    return {
      name,
      get: (key) => {
        for (const s of stores()) {
          const v = s.get(key);
          if (v !== undefined) return v;
        }
        return undefined;
      },
      all: function* () {
        for (const s of stores()) yield* s.all();
      },
      get size() {
        return stores().reduce((n, s) => n + s.size, 0);
      },
    };
  }

  /** Interactive query: a window store's windows by key and time range. */
  windowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    const stores = () => this.tasks.map((t) => t.windowStore<K, V>(name));
    this.checkStore(name, 'window');
    return {
      name,
      get: (key, start) => {
        for (const s of stores()) {
          const e = s.get(key, start);
          if (e) return e;
        }
        return undefined;
      },
      fetch: (key, from, to) => stores().flatMap((s) => s.fetch(key, from, to)).sort((a: WindowEntry<V>, b: WindowEntry<V>) => a.window.start - b.window.start),
      all: function* (): IterableIterator<[Windowed<K>, V]> {
        for (const s of stores()) yield* s.all();
      },
      get size() {
        return stores().reduce((n, s) => n + s.size, 0);
      },
    };
  }

  // ------------------------------------------------------------ internals

  private checkStore(name: string, kind: 'key-value' | 'window'): void {
    const spec = this.topology.store(name);
    if (!spec) throw new Error(`No store "${name}" in application ${this.applicationId} (stores: ${this.topology.stores.map((s) => s.name).join(', ') || 'none'}).`);
    if (spec.kind !== kind) throw new Error(`Store "${name}" is a ${spec.kind} store; query it with ${spec.kind === 'window' ? 'windowStore' : 'store'}().`);
  }

  /** Checks sources, creates repartition, changelog and sink topics; returns the task count. */
  private async prepareTopics(): Promise<number> {
    const counts = new Map<string, number>();
    for (const topic of this.topology.inputTopics) {
      const n = await this.client.partitionCount(topic);
      if (n === undefined) throw new Error(`Source topic "${topic}" of application ${this.applicationId} does not exist; create it first.`);
      counts.set(topic, n);
    }
    const partitions = Math.max(1, ...counts.values());
    const uneven = [...counts].filter(([, n]) => n !== partitions);
    if (uneven.length) this.log.warn(`source topics are not co-partitioned (${[...counts].map(([t, n]) => `${t}: ${n}`).join(', ')}); joins need the same partition count on both sides.`);
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
    await this.client.ensureTopics(internal);
    return partitions;
  }

  private async restore(): Promise<void> {
    for (const spec of this.topology.stores) {
      if (!spec.changelogTopic) continue;
      const offsets = await this.client.offsets(spec.changelogTopic);
      const committed = spec.changelog === 'source' ? await this.client.committedOffsets(this.applicationId, spec.changelogTopic) : undefined;
      for (const task of this.tasks) {
        const store = task.stores.get(spec.name)!;
        const range = offsets.find((o) => o.partition === task.partition);
        if (!range) continue;
        let from = range.start;
        let to = range.end;
        if (committed) to = Math.max(0, committed.get(task.partition) ?? -1);
        else if (this.config.stateDir) {
          const checkpoint = loadSnapshot(snapshotPath(this.config.stateDir, this.applicationId, task.partition, spec.name), store);
          if (checkpoint !== undefined && checkpoint <= range.end && checkpoint >= range.start) {
            from = checkpoint;
            this.log.info(`store ${spec.name} partition ${task.partition}: loaded local snapshot (${store.size} entries) at changelog offset ${checkpoint}`);
          } else if (checkpoint !== undefined) {
            store.clear();
            this.log.warn(`store ${spec.name} partition ${task.partition}: local snapshot checkpoint ${checkpoint} is outside the changelog [${range.start}, ${range.end}]; restoring from the start.`);
          }
        }
        await restoreStore(this.client, store, spec.changelogTopic, task.partition, from, to, this.log, this.config.onRestoreProgress);
      }
    }
  }

  private async run(): Promise<void> {
    const records = this.consumer!.records();
    const maxInFlight = this.config.maxInFlight ?? 10_000;
    const maxDirty = this.config.maxDirtyEntries ?? 50_000;
    const commitInterval = this.config.commitIntervalMs ?? 1000;
    const collector = this.collector!;
    const batch: LogRecord[] = [];
    for (;;) {
      const next = await records.next();
      if (next.done || this.stopping) return;
      // Take what is already fetched (up to a bound) and process it in timestamp order across partitions.
      batch.length = 0;
      batch.push(next.value);
      while (batch.length < MAX_BATCH && this.consumer!.bufferedRecords() > 0) {
        const more = await records.next();
        if (more.done) break;
        batch.push(more.value);
      }
      for (const record of timestampOrder(batch)) {
        if (this.committing) await this.committing;
        if (this.stopping) return;
        const task = this.tasks[record.partition];
        task.process(record);
        this.processedCount++;
        if (this.progressWaiters.length) this.wakeProgressWaiters();
        if (task.dirtyEntries >= maxDirty) task.flushState();
        if (collector.failed) throw collector.failed;
        if (collector.inFlight > maxInFlight) await collector.waitUntilAtMost(maxInFlight >> 1);
        if (task.pendingAsync > maxInFlight) await task.settleAsync();
        if (this.now() - this.lastCommit >= commitInterval) await this.commit();
      }
    }
  }

  /**
   * Wakes waitUntilCaughtUp, which asks the log for offsets: at most every few
   * ms, with a timer so the last record's wake-up is never lost.
   */
  private wakeProgressWaiters(): void {
    if (this.wakeTimer) return;
    const wake = () => {
      this.wakeTimer = undefined;
      this.progressWaiters.splice(0).forEach((w) => w());
    };
    this.wakeTimer = setTimeout(wake, 2);
    this.wakeTimer.unref();
  }

  private tick(): void {
    if (this.state !== 'running' || this.committing) return;
    try {
      const now = this.now();
      for (const t of this.tasks) t.punctuate(now);
      if (now - this.lastCommit >= (this.config.commitIntervalMs ?? 1000)) void this.commit().catch((e) => this.fail(e as Error));
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private async doCommit(): Promise<void> {
    const offsets: (TopicPartition & { offset: number })[] = [];
    for (const t of this.tasks) for (const [topic, offset] of t.consumed) offsets.push({ topic, partition: t.partition, offset });
    // Asynchronous work of the records being committed must finish (and write) first.
    await Promise.all(this.tasks.map((t) => t.settleAsync()));
    for (const t of this.tasks) t.flushState();
    await this.collector!.flush();
    if (offsets.length) await this.consumer!.commit(offsets);
    this.lastCommit = this.now();
  }

  private fail(error: Error, commitProcessed = true): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.failure = error;
    this.progressWaiters.splice(0).forEach((wake) => wake());
    this.log.error(`application ${this.applicationId} stopped: ${error.message}`);
    this.stopping = true;
    this.state = 'failed';
    // Commit what was fully processed and acknowledged before the failure, nothing after it.
    void this.shutdown(commitProcessed && !this.collector?.failed).finally(() => this.rejectDone(this.failure!));
  }

  private async shutdown(commit: boolean): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      if (commit && this.consumer) await this.commit();
      if (commit && this.config.stateDir) await this.writeSnapshots();
    } finally {
      await this.consumer?.close();
      await this.loop?.catch(() => undefined);
      await this.producer?.close().catch(() => undefined);
      for (const t of this.tasks) t.close();
    }
  }

  private async writeSnapshots(): Promise<void> {
    for (const spec of this.topology.stores) {
      if (spec.changelog !== 'own' || !spec.changelogTopic) continue;
      const offsets = await this.client.offsets(spec.changelogTopic);
      for (const task of this.tasks) {
        const end = offsets.find((o) => o.partition === task.partition)?.end ?? 0;
        writeSnapshot(snapshotPath(this.config.stateDir!, this.applicationId, task.partition, spec.name), task.stores.get(spec.name)!, end);
      }
    }
  }
}
