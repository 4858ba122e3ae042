// The test driver (Kafka Streams' TopologyTestDriver for Rill): runs a
// topology synchronously with no disk and no broker. Records are piped in with
// the timestamps the test chooses; the wall clock moves only when the test
// advances it; output topics, changelogs, dead letters and stores can be read
// at any point. A designed feature, not a mock: the pipelines run in the same
// StreamTask as under the real runtime, with one task (partition 0).
import type { Serde } from '../../core/schema';
import { memoryLogger, type Logger } from '../logger';
import type { KRecord } from '../record';
import type { ErrorPolicy } from '../runtime/error-policy';
import { StreamTask, type RawRecord } from '../runtime/stream-task';
import type { ReadOnlyKeyValueStore, ReadOnlyWindowStore } from '../store';
import { defaultSerde } from '../serdes';
import type { Topology } from '../topology/topology';

export interface TestDriverOptions {
  /** Wall clock at start (ms since epoch); default 0. */
  initialWallClockMs?: number;
  deserializationErrors?: ErrorPolicy;
  processingErrors?: ErrorPolicy;
  /** Default: a memory logger, readable as driver.logLines. */
  logger?: Logger;
}

export interface TestRecord<K, V> extends KRecord<K, V> {
  readonly headers?: Readonly<Record<string, string>>;
}

interface StoredRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

export class TopologyTestDriver {
  private wallClock: number;
  private readonly topics = new Map<string, StoredRecord[]>();
  private readonly readPositions = new Map<string, number>();
  private readonly pending: RawRecord[] = [];
  private readonly task: StreamTask;
  private readonly logger: Logger;
  private draining = false;

  constructor(
    readonly topology: Topology,
    options: TestDriverOptions = {},
  ) {
    this.wallClock = options.initialWallClockMs ?? 0;
    this.logger = options.logger ?? memoryLogger();
    this.task = new StreamTask({
      topology,
      partition: 0,
      logger: this.logger,
      deserializationErrors: options.deserializationErrors ?? 'fail',
      processingErrors: options.processingErrors ?? 'fail',
      now: () => this.wallClock,
      collector: { send: (topic, key, value, timestamp, _partition, headers) => this.append(topic, { key, value, timestamp, headers }) },
    });
    this.task.start();
  }

  /** Log lines of the default memory logger. */
  get logLines(): string[] {
    return (this.logger as { lines?: string[] }).lines ?? [];
  }

  inputTopic<K, V>(topic: string, serdes: { key?: Serde<K>; value?: Serde<V> } = {}): TestInputTopic<K, V> {
    const source = this.topology.sources.get(topic);
    if (!source) throw new Error(`"${topic}" is not a source topic of this topology (sources: ${[...this.topology.sources.keys()].join(', ')}).`);
    return new TestInputTopic<K, V>(this, topic, serdes.key ?? source.keySerde, serdes.value ?? source.valueSerde);
  }

  outputTopic<K, V>(topic: string, serdes: { key?: Serde<K>; value?: Serde<V> } = {}): TestOutputTopic<K, V> {
    return new TestOutputTopic<K, V>(this, topic, serdes.key ?? defaultSerde<K>(), serdes.value ?? defaultSerde<V>());
  }

  keyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    return this.task.keyValueStore<K, V>(name);
  }

  windowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    return this.task.windowStore<K, V>(name);
  }

  /** Moves the wall clock and lets wall-clock-driven steps run (windows closing on idle time). */
  advanceWallClockTime(ms: number): void {
    this.wallClock += ms;
    this.task.punctuate(this.wallClock);
    this.drain();
  }

  get wallClockTime(): number {
    return this.wallClock;
  }

  /** Every topic written so far (sinks, repartition topics, changelogs, dead letters). */
  get writtenTopics(): string[] {
    return [...this.topics.keys()].sort();
  }

  close(): void {
    this.task.close();
  }

  /**
   * Waits for asynchronous work (mapAsync) started by the records piped so
   * far, then processes what it wrote. Synchronous pipelines never need it.
   */
  async settle(): Promise<void> {
    await this.task.settleAsync();
    this.drain();
  }

  /** @internal */
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number): void {
    this.append(topic, { key, value, timestamp });
    this.drain();
  }

  /** @internal */
  readFrom(topic: string): StoredRecord | undefined {
    const records = this.topics.get(topic) ?? [];
    const pos = this.readPositions.get(topic) ?? 0;
    if (pos >= records.length) return undefined;
    this.readPositions.set(topic, pos + 1);
    return records[pos];
  }

  /** @internal */
  unread(topic: string): number {
    return (this.topics.get(topic)?.length ?? 0) - (this.readPositions.get(topic) ?? 0);
  }

  private append(topic: string, r: Omit<StoredRecord, 'offset'>): number {
    let log = this.topics.get(topic);
    if (!log) this.topics.set(topic, (log = []));
    const offset = log.length;
    log.push({ ...r, offset });
    // A write to one of the topology's sources (input, or a repartition topic) is read back, after the current record.
    if (this.topology.sources.has(topic)) this.pending.push({ topic, partition: 0, offset, timestamp: r.timestamp, key: r.key, value: r.value });
    return offset;
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length) {
        this.task.process(this.pending.shift()!);
        // Like a commit after every record: changelogs are visible at once.
        this.task.flushState();
      }
      this.task.flushState();
    } catch (e) {
      // A failure stops processing, as it stops the app: what was queued behind it is dropped.
      this.pending.length = 0;
      throw e;
    } finally {
      this.draining = false;
    }
  }
}

export class TestInputTopic<K, V> {
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  /** Pipes one record; the timestamp defaults to the driver's wall clock. */
  pipeInput(key: K | null, value: V | null, timestamp: number = this.driver.wallClockTime): void {
    this.driver.pipe(this.topic, this.bytes(this.keySerde, key), this.bytes(this.valueSerde, value), timestamp);
  }

  pipeRecords(records: readonly { key?: K | null; value: V | null; timestamp?: number }[]): void {
    for (const r of records) this.pipeInput(r.key ?? null, r.value, r.timestamp);
  }

  private bytes<T>(serde: Serde<T>, v: T | null): Buffer | null {
    if (v === null || v === undefined) return null;
    const b = serde.serialize(v);
    if (b._tag === 'Left') throw new Error(`test input for ${this.topic} cannot be serialized: ${b.left.message}`);
    return b.right;
  }
}

export class TestOutputTopic<K, V> {
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  get queueSize(): number {
    return this.driver.unread(this.topic);
  }

  isEmpty(): boolean {
    return this.queueSize === 0;
  }

  /** The next unread record, or undefined. */
  readRecord(): TestRecord<K, V | null> | undefined {
    const r = this.driver.readFrom(this.topic);
    return r && this.decodeRecord(r);
  }

  readRecordsToList(): TestRecord<K, V | null>[] {
    const out: TestRecord<K, V | null>[] = [];
    for (let r = this.readRecord(); r; r = this.readRecord()) out.push(r);
    return out;
  }

  /** [key, value] pairs of every unread record. */
  readKeyValuesToList(): [K, V | null][] {
    return this.readRecordsToList().map((r) => [r.key, r.value]);
  }

  /**
   * The latest value per key (tombstones delete), like reading a compacted
   * topic. Keys are told apart by their serialized bytes, as compaction does,
   * so object keys (windowed keys) that are equal in content are one entry;
   * the map holds the key as last read.
   */
  readKeyValuesToMap(): Map<K, V> {
    const latest = new Map<string, [K, V]>();
    for (let r = this.driver.readFrom(this.topic); r; r = this.driver.readFrom(this.topic)) {
      const id = r.key === null ? '' : `k${r.key.toString('hex')}`;
      const { key, value } = this.decodeRecord(r);
      latest.delete(id);
      if (value !== null) latest.set(id, [key, value]);
    }
    return new Map(latest.values());
  }

  private decodeRecord(r: StoredRecord): TestRecord<K, V | null> {
    return {
      key: this.decode(this.keySerde, r.key, true) as K,
      value: this.decode(this.valueSerde, r.value, false),
      timestamp: r.timestamp,
      ...(r.headers ? { headers: r.headers } : {}),
    };
  }

  private decode<T>(serde: Serde<T>, bytes: Buffer | null, isKey: boolean): T | null {
    if (bytes === null) return null;
    const r = serde.deserialize(bytes, { topic: this.topic, isKey });
    if (r._tag === 'Left') throw new Error(`output of ${this.topic} cannot be read with the given serde: ${r.left.message}`);
    return r.right;
  }
}
