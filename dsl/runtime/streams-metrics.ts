// A stream application instance's metrics (Kafka Streams' meanings, Prometheus
// names). Counted per batch on the processing path (a chunk of a task's
// records, a poll, a commit), never per record, into plain numbers that
// prom-client reads when scraped; sizes, lag and the records produced are read
// from the running app when scraped. One registry per app instance.
import {
  counterAtScrape,
  Gauge,
  Histogram,
  KeyedCounter,
  KeyedHistogram,
  labelledCounter,
  readAtScrape,
  type Registry,
  SECONDS_BUCKETS,
  TotalCounter,
} from '../../core/metrics';
import type { TopicPartition } from '../../core/client';

/** A running task as the gauges see it: its partition and its stores' sizes. */
interface MeteredTask {
  readonly partition: number;
  readonly stores: ReadonlyMap<string, { readonly name: string; readonly size: number }>;
}

/** What the scrape-time gauges read from the running app. */
export interface MeteredApp {
  /** The tasks this instance runs now. */
  tasks(): Iterable<MeteredTask>;
  /** The input partitions it reads and their lag as of the latest fetch answer (undefined: none yet). */
  inputLag(): Iterable<{ tp: TopicPartition; lag: number | undefined }>;
  /** Records handed to the producer so far. */
  produced(): number;
}

/** Time per record within a batch: 1 µs to 1 s. */
const PER_RECORD_BUCKETS = [0.000001, 0.000005, 0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1];

export class StreamsMetrics {
  private readonly processed: KeyedCounter<number>;
  private readonly processLatency: KeyedHistogram<number>;
  private readonly consumed: TotalCounter;
  private readonly commitLatency: Histogram;
  private readonly punctuations: TotalCounter;
  private readonly late: TotalCounter;
  private readonly deadLettered: TotalCounter;
  private readonly restored: KeyedCounter<string>;
  private readonly restoreRemaining: Gauge<'store' | 'task'>;
  private readonly rebalances: TotalCounter;
  private readonly tasksAssigned: TotalCounter;
  private readonly tasksRevoked: TotalCounter;

  constructor(registry: Registry, state: MeteredApp) {
    const registers = [registry];
    this.processed = new KeyedCounter<number>(
      registry,
      'rill_streams_records_processed_total',
      'Records a task processed (Kafka Streams process-total)',
      ['task'],
      (task) => ({
        task: String(task),
      }),
    );
    this.processLatency = new KeyedHistogram<number>(
      registry,
      'rill_streams_process_latency_seconds',
      'Mean time to process one record, observed once per batch a task processes (Kafka Streams process-latency)',
      PER_RECORD_BUCKETS,
      (task) => ({ task: String(task) }),
    );
    this.consumed = new TotalCounter(registry, 'rill_streams_records_consumed_total', 'Records polled from the input topics (Kafka records-consumed-total)');
    counterAtScrape(
      registry,
      'rill_streams_records_produced_total',
      'Records written to sink, repartition, changelog and dead-letter topics (Kafka records-produced-total)',
      () => state.produced(),
    );
    this.commitLatency = new Histogram({
      name: 'rill_streams_commit_duration_seconds',
      help: 'Time of a commit: state flushed, writes acknowledged, offsets committed (Kafka Streams commit-latency)',
      buckets: [...SECONDS_BUCKETS],
      registers,
    });
    this.punctuations = new TotalCounter(
      registry,
      'rill_streams_punctuations_total',
      'Wall-clock punctuations run, over all tasks (Kafka Streams punctuate-total)',
    );
    this.late = new TotalCounter(
      registry,
      'rill_streams_late_records_total',
      'Records dropped or dead-lettered because their windows had closed (Kafka Streams dropped-records, late)',
    );
    this.deadLettered = new TotalCounter(
      registry,
      'rill_streams_dead_lettered_records_total',
      'Records written to a dead-letter topic: unreadable, failing user code, or late',
    );
    new Gauge({
      name: 'rill_streams_state_store_entries',
      help: 'Entries in a state store of a task (keys, or key-windows of a window store)',
      labelNames: ['store', 'task'],
      registers,
      collect() {
        this.reset();
        for (const t of state.tasks()) for (const s of t.stores.values()) this.set({ store: s.name, task: String(t.partition) }, s.size);
      },
    });
    this.restored = labelledCounter(
      registry,
      'rill_streams_restored_records_total',
      'Changelog records applied while restoring a store (Kafka Streams restore-total; rate() is the restore rate)',
      'store',
    );
    this.restoreRemaining = new Gauge({
      name: 'rill_streams_restore_remaining_records',
      help: 'Changelog records a store still has to restore for a task (an upper bound: compaction makes it smaller); 0 once restored',
      labelNames: ['store', 'task'],
      registers,
    });
    new Gauge({
      name: 'rill_streams_consumer_lag',
      help: 'Records of an input partition not read yet, as of the latest fetch answer (Kafka records-lag)',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const { tp, lag } of state.inputLag()) if (lag !== undefined) this.set({ topic: tp.topic, partition: String(tp.partition) }, lag);
      },
    });
    readAtScrape(registry, 'rill_streams_tasks', 'Tasks this instance runs', () => {
      let n = 0;
      for (const _ of state.tasks()) n++;
      return n;
    });
    this.rebalances = new TotalCounter(registry, 'rill_streams_rebalances_total', "Changes of this instance's tasks (an assignment or a revocation)");
    this.tasksAssigned = new TotalCounter(registry, 'rill_streams_tasks_assigned_total', 'Tasks this instance took on (created and restored)');
    this.tasksRevoked = new TotalCounter(registry, 'rill_streams_tasks_revoked_total', 'Tasks this instance gave up (committed and closed)');
  }

  /** A task processed `records` in `seconds`: one observation per batch. */
  batchProcessed(task: number, records: number, seconds: number): void {
    if (records === 0) return;
    this.processed.inc(task, records);
    this.processLatency.observe(task, seconds / records);
  }

  polled(records: number): void {
    if (records > 0) this.consumed.inc(records);
  }

  committed(seconds: number): void {
    this.commitLatency.observe(seconds);
  }

  punctuated(tasks: number): void {
    if (tasks > 0) this.punctuations.inc(tasks);
  }

  lateRecord(): void {
    this.late.inc();
  }

  deadLetter(): void {
    this.deadLettered.inc();
  }

  /** A batch of changelog records applied to `store` of `task`, `remaining` still to go. */
  restoring(store: string, task: number, records: number, remaining: number): void {
    if (records > 0) this.restored.inc(store, records);
    this.restoreRemaining.set({ store, task: String(task) }, Math.max(0, remaining));
  }

  rebalanced(assigned: number, revoked: number): void {
    this.rebalances.inc();
    if (assigned > 0) this.tasksAssigned.inc(assigned);
    if (revoked > 0) this.tasksRevoked.inc(revoked);
  }
}
