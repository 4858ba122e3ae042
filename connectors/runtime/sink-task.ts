// Runs a SinkConnector: reads the topics' partitions through a LogConsumer of
// the connector's group, decodes, writes batches to the outside, and commits
// the offsets only once the outside acknowledged them. An unreachable outside
// is retried with backoff (the same batch, so writes repeat: at-least-once);
// nothing is committed past a write that was not acknowledged.
import { stringSerde, jsonSerde, type Serde } from '../../core/schema';
import type { LogClient, LogConsumer, LogProducer, LogRecord } from '../../core/client';
import { defaultLogger } from '../../dsl';
import type { SinkConnector, SinkRecord } from '../connector';
import { BadRecordHandler, ConnectorFailure } from './bad-records';
import { retryWithBackoff } from './backoff';
import { systemClock, type Clock } from './clock';
import { decodeSinkRecord, describeLogRecord, originHeaders } from './record-codec';
import { TaskLifecycle, type CommonTaskOptions } from './task';

export interface SinkTaskOptions<K, V> extends CommonTaskOptions {
  readonly topics: readonly string[];
  /** Consumer group whose offsets record progress (default `connect-<connector name>`). */
  readonly groupId?: string;
  /** Default: UTF-8 strings. */
  readonly keySerde?: Serde<K>;
  /** Default: JSON. */
  readonly valueSerde?: Serde<V>;
}

interface DecodedBatch<K, V> {
  readonly batch: readonly LogRecord[];
  readonly good: SinkRecord<K, V>[];
  /** The log record of each good one, by index. */
  readonly goodRaw: LogRecord[];
  readonly bad: { record: LogRecord; reason: string }[];
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class SinkTask<K, V> extends TaskLifecycle {
  private readonly clock: Clock;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly badRecords: BadRecordHandler;
  private readonly groupId: string;
  private consumer: LogConsumer | undefined;
  private producer: LogProducer | undefined;
  /** Next offset to read, as committed by this task (or found at start). */
  private readonly committed = new Map<string, number>();
  private readonly commitWaiters = new Set<() => void>();

  constructor(
    private readonly client: LogClient,
    readonly connector: SinkConnector<K, V>,
    private readonly options: SinkTaskOptions<K, V>,
  ) {
    super('sink', (options.logger ?? defaultLogger()).child({ component: 'sink', connector: connector.name }));
    this.clock = options.clock ?? systemClock;
    this.keySerde = options.keySerde ?? (stringSerde() as unknown as Serde<K>);
    this.valueSerde = options.valueSerde ?? jsonSerde<V>();
    this.groupId = options.groupId ?? `connect-${connector.name}`;
    this.badRecords = new BadRecordHandler(options.badRecords ?? 'fail', connector.name, this.logger, () => (this.producer ??= client.producer()));
  }

  get name(): string {
    return this.connector.name;
  }

  protected async prepare(): Promise<void> {
    const assignment: { topic: string; partition: number }[] = [];
    for (const topic of this.options.topics) {
      const n = await this.client.partitionCount(topic);
      if (n === undefined)
        throw new ConnectorFailure(`sink ${this.name}: topic ${topic} does not exist; create it or start the pipeline that writes it first.`);
      for (let p = 0; p < n; p++) assignment.push({ topic, partition: p });
      for (const [p, offset] of await this.client.committedOffsets(this.groupId, topic)) if (offset >= 0) this.committed.set(tpKey(topic, p), offset);
    }
    await this.connector.start?.();
    this.consumer = this.client.consumer({ groupId: this.groupId });
    await this.consumer.assign(assignment);
  }

  /** Resolves once everything in the topics when called is committed (for tests, examples, drains). */
  async waitUntilCaughtUp(): Promise<void> {
    const targets: [string, number][] = [];
    for (const topic of this.options.topics)
      for (const o of await this.client.offsets(topic)) if (o.end > o.start) targets.push([tpKey(topic, o.partition), o.end]);
    const reached = () => targets.every(([k, end]) => (this.committed.get(k) ?? 0) >= end);
    while (!reached()) {
      if (this.state === 'failed' || this.state === 'stopped') {
        await this.done;
        throw new Error(`sink ${this.name} stopped before catching up`);
      }
      await new Promise<void>((resolve) => this.commitWaiters.add(resolve));
    }
  }

  protected async run(): Promise<void> {
    const consumer = this.consumer!;
    const records = consumer.records();
    // Ends the wait for records: a stop, or a failed write (the loop then rethrows it).
    let halt!: () => void;
    const halted = new Promise<undefined>((resolve) => (halt = () => resolve(undefined)));
    this.stopSignal.signal.addEventListener('abort', () => halt(), { once: true });
    const maxBatch = this.options.maxBatch ?? 500;
    let failure: Error | undefined;
    // The batch being written. The next batch is read and decoded meanwhile,
    // and written only once this one is acknowledged and committed: writes and
    // commits stay in order, and a retry never lets an older write land last.
    let writing: Promise<boolean> = Promise.resolve(true);
    try {
      while (!this.stopSignal.signal.aborted) {
        const first = await Promise.race([records.next(), halted]);
        if (!first || first.done) break;
        const batch: LogRecord[] = [first.value];
        while (batch.length < maxBatch && consumer.bufferedRecords() > 0) {
          const next = await records.next();
          if (next.done) break;
          batch.push(next.value);
        }
        const decoded = this.decode(batch);
        if (!(await writing) || this.stopSignal.signal.aborted) break;
        writing = this.process(decoded);
        // A failure ends the wait for the next batch (which may never come).
        writing.catch(() => halt());
      }
      await writing;
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
    }
    await this.end(failure);
  }

  /** A batch as the sink sees it, and the records that do not decode. */
  private decode(batch: readonly LogRecord[]): DecodedBatch<K, V> {
    const good: SinkRecord<K, V>[] = [];
    const goodRaw: LogRecord[] = [];
    const bad: { record: LogRecord; reason: string }[] = [];
    for (const r of batch) {
      const d = decodeSinkRecord(r, this.keySerde, this.valueSerde);
      if (d._tag === 'Left') bad.push({ record: r, reason: d.left });
      else {
        good.push(d.right);
        goodRaw.push(r);
      }
    }
    return { batch, good, goodRaw, bad };
  }

  /** One batch: write with retries, dispose of bad records, commit. False when stopping mid-retry. */
  private async process({ batch, good, goodRaw, bad }: DecodedBatch<K, V>): Promise<boolean> {
    if (good.length > 0) {
      const result = await retryWithBackoff(
        async () => {
          const outcome = await this.connector.write(good);
          return outcome.kind === 'written' ? { ok: true as const, value: outcome.rejected } : { ok: false as const, reason: outcome.reason };
        },
        {
          backoff: this.options.retry,
          clock: this.clock,
          signal: this.stopSignal.signal,
          report: (reason, n, delay) => this.reportRetry('write', reason, n, delay),
        },
      );
      if (result.kind === 'stopped') return false;
      if (result.kind === 'gave-up') throw new ConnectorFailure(`sink ${this.name}: gave up writing after ${result.attempts} tries: ${result.reason}`);
      const rejected = new Set<number>();
      for (const rej of result.value) {
        if (!goodRaw[rej.index] || rejected.has(rej.index)) continue;
        rejected.add(rej.index);
        bad.push({ record: goodRaw[rej.index], reason: rej.reason });
      }
      this.stats.written += good.length - rejected.size;
    }
    // Bad records in log order; the first the policy fails on bounds what is committed.
    const position = new Map(batch.map((r, i) => [r, i]));
    bad.sort((a, b) => position.get(a.record)! - position.get(b.record)!);
    let failAt: { record: LogRecord; message: string } | undefined;
    for (const b of bad) {
      const outcome = await this.badRecords.dispose({
        origin: describeLogRecord(b.record),
        originHeaders: originHeaders(b.record),
        reason: b.reason,
        key: b.record.key,
        value: b.record.value,
        timestamp: b.record.timestamp,
      });
      if (outcome === 'skipped') this.stats.skipped++;
      else if (outcome === 'dead-lettered') this.stats.deadLettered++;
      else {
        failAt = { record: b.record, message: outcome.fail };
        break;
      }
    }
    await this.commit(
      failAt ? batch.filter((r) => r.topic !== failAt.record.topic || r.partition !== failAt.record.partition || r.offset < failAt.record.offset) : batch,
    );
    if (failAt) throw new ConnectorFailure(failAt.message);
    return true;
  }

  private async commit(records: readonly LogRecord[]): Promise<void> {
    const next = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const r of records) {
      const k = tpKey(r.topic, r.partition);
      if ((next.get(k)?.offset ?? -1) < r.offset + 1) next.set(k, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    }
    if (next.size === 0) return;
    await this.producer?.flush();
    const offsets = [...next.values()];
    const result = await retryWithBackoff(
      async () => {
        await this.consumer!.commit(offsets);
        return { ok: true as const, value: undefined };
      },
      {
        backoff: this.options.retry,
        clock: this.clock,
        signal: this.stopSignal.signal,
        report: (reason, n, delay) => this.reportRetry('commit', reason, n, delay),
      },
    );
    if (result.kind === 'gave-up') throw new ConnectorFailure(`sink ${this.name}: gave up committing offsets after ${result.attempts} tries: ${result.reason}`);
    if (result.kind === 'stopped') return;
    for (const [k, o] of next) this.committed.set(k, o.offset);
    for (const w of [...this.commitWaiters]) w();
    this.commitWaiters.clear();
  }

  protected closeResources(): readonly unknown[] {
    return [this.consumer?.close(), this.producer?.close(), this.connector.stop?.()];
  }

  /** Waiters of waitUntilCaughtUp() wake up and see the task ended. */
  protected override onClosed(): void {
    for (const w of this.commitWaiters) w();
    this.commitWaiters.clear();
  }
}
