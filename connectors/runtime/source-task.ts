// Runs a SourceConnector: polls the outside, appends through a LogProducer,
// and only once the log acknowledged a batch tells the source to advance its
// outside position (store a file offset, XACK, reply 2xx). One batch in flight
// at a time, at most maxBatch records: a slow log slows the source down.
import { jsonSerde, stringSerde, type Serde } from '../../core/schema';
import type { LogClient, LogProducer } from '../../core/client';
import { defaultLogger } from '../../dsl';
import type { SourceConnector, SourceEntry } from '../connector';
import { BadRecordHandler, ConnectorFailure } from './bad-records';
import { retryWithBackoff } from './backoff';
import { systemClock, type Clock } from './clock';
import { encodeSourceValue } from './record-codec';
import { TaskLifecycle, type CommonTaskOptions } from './task';

export interface SourceTaskOptions<K, V> extends CommonTaskOptions {
  readonly topic: string;
  /** Creates the topic with this many partitions when it does not exist. */
  readonly partitions?: number;
  /** Default: UTF-8 strings. */
  readonly keySerde?: Serde<K>;
  /** Default: JSON. */
  readonly valueSerde?: Serde<V>;
}

export class SourceTask<K, V, P> extends TaskLifecycle {
  private readonly clock: Clock;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly badRecords: BadRecordHandler;
  private producer: LogProducer | undefined;
  private ended = false;

  constructor(
    private readonly client: LogClient,
    readonly connector: SourceConnector<K, V, P>,
    private readonly options: SourceTaskOptions<K, V>,
  ) {
    super('source', (options.logger ?? defaultLogger()).child({ component: 'source', connector: connector.name }));
    this.clock = options.clock ?? systemClock;
    this.keySerde = options.keySerde ?? (stringSerde() as unknown as Serde<K>);
    this.valueSerde = options.valueSerde ?? jsonSerde<V>();
    this.badRecords = new BadRecordHandler(options.badRecords ?? 'fail', connector.name, this.logger, () => this.producer!);
  }

  get name(): string {
    return this.connector.name;
  }

  /** True once the source said it has nothing more and all of it is acknowledged. */
  get reachedEnd(): boolean {
    return this.ended;
  }

  protected async prepare(): Promise<void> {
    const { topic, partitions } = this.options;
    if (partitions !== undefined) await this.client.ensureTopics([{ name: topic, partitions }]);
    else if ((await this.client.partitionCount(topic)) === undefined) {
      throw new ConnectorFailure(`source ${this.name}: topic ${topic} does not exist; create it, or give the source a partition count to create it.`);
    }
    this.producer = this.client.producer();
    await this.connector.start?.();
  }

  protected async run(): Promise<void> {
    const maxBatch = this.options.maxBatch ?? 500;
    const signal = this.stopSignal.signal;
    let failure: Error | undefined;
    try {
      while (!signal.aborted) {
        const polled = await retryWithBackoff(
          async () => {
            const p = await this.connector.poll(maxBatch, signal);
            return p.kind === 'entries' ? { ok: true as const, value: p } : { ok: false as const, reason: p.reason };
          },
          { backoff: this.options.retry, clock: this.clock, signal, report: (reason, n, delay) => this.reportRetry('poll', reason, n, delay) },
        );
        if (polled.kind === 'stopped') break;
        if (polled.kind === 'gave-up') throw new ConnectorFailure(`source ${this.name}: gave up reading after ${polled.attempts} tries: ${polled.reason}`);
        await this.deliver(polled.value.entries);
        if (polled.value.end) {
          this.ended = true;
          this.logger.info(`source ${this.name}: reached the end of its input`);
          break;
        }
      }
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
    }
    await this.end(failure);
  }

  /** Appends the batch, waits for the log, then acknowledges it outside. A 'fail' bad record ends the task after acknowledging what precedes it. */
  private async deliver(entries: readonly SourceEntry<K, V, P>[]): Promise<void> {
    if (entries.length === 0) return;
    const producer = this.producer!;
    const topic = this.options.topic;
    const sends: Promise<void>[] = [];
    let failAt: { index: number; message: string } | undefined;
    for (let i = 0; i < entries.length && !failAt; i++) {
      const entry = entries[i];
      const encoded: Encoded = entry.kind === 'record' ? this.encode(entry.record) : { kind: 'bad', reason: entry.reason, key: null, value: entry.raw };
      if (encoded.kind === 'bad') {
        // Keep log order: what came before the bad record is acknowledged first.
        await Promise.all(sends.splice(0));
        const outcome = await this.badRecords.dispose({
          origin: `source ${this.name}, position ${JSON.stringify(entry.position)}`,
          originHeaders: { 'rill.source.position': JSON.stringify(entry.position) ?? '' },
          reason: encoded.reason,
          key: encoded.key,
          value: encoded.value,
          timestamp: this.clock.now(),
        });
        if (outcome === 'skipped') this.stats.skipped++;
        else if (outcome === 'dead-lettered') this.stats.deadLettered++;
        else failAt = { index: i, message: outcome.fail };
        continue;
      }
      const r = entry.kind === 'record' ? entry.record : undefined;
      sends.push(
        producer.send(topic, {
          key: encoded.key,
          value: encoded.value,
          timestamp: r?.timestamp ?? this.clock.now(),
          partition: r?.partition,
          headers: r?.headers,
        }),
      );
    }
    await producer.flush();
    await Promise.all(sends);
    const acknowledged = failAt ? entries.slice(0, failAt.index) : entries;
    this.stats.written += acknowledged.filter((e) => e.kind === 'record').length;
    if (acknowledged.length > 0) {
      const acked = await retryWithBackoff(
        async () => {
          await this.connector.acknowledge(acknowledged);
          return { ok: true as const, value: undefined };
        },
        {
          backoff: this.options.retry,
          clock: this.clock,
          signal: this.stopSignal.signal,
          report: (reason, n, delay) => this.reportRetry('acknowledge', reason, n, delay),
        },
      );
      if (acked.kind === 'gave-up') throw new ConnectorFailure(`source ${this.name}: gave up acknowledging after ${acked.attempts} tries: ${acked.reason}`);
    }
    if (failAt) throw new ConnectorFailure(failAt.message);
  }

  private encode(record: { key?: K | null; value: V | null }): Encoded {
    const key = encodeSourceValue(this.keySerde, record.key, 'key');
    const value = encodeSourceValue(this.valueSerde, record.value, 'value');
    if (key._tag === 'Left') return { kind: 'bad', reason: key.left, key: null, value: Buffer.from(safeJson(record.value), 'utf8') };
    if (value._tag === 'Left') return { kind: 'bad', reason: value.left, key: key.right, value: Buffer.from(safeJson(record.value), 'utf8') };
    return { kind: 'ok', key: key.right, value: value.right };
  }

  protected closeResources(): readonly unknown[] {
    return [this.producer?.close(), this.connector.stop?.()];
  }
}

type Encoded = { kind: 'ok'; key: Buffer | null; value: Buffer | null } | { kind: 'bad'; reason: string; key: Buffer | null; value: Buffer | null };

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
