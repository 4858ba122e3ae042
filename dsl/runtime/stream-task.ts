// One task per input partition: it owns partition p of every source topic,
// the stores for p, and one instance of the topology's pipelines. Records are
// pushed in synchronously, so when process() returns, every effect of the
// record (sink writes, store updates) has been handed to the collector. The
// same task runs under the real runtime and under the test driver.
import { Observable, share, Subject, type Subscription } from 'rxjs';
import { SpanRecord } from '../../core/client';
import { fastDeserializeFrom, type Serde, type SerdeError } from '../../core/schema';
import type { Logger } from '../logger';
import type { NodeHandle } from '../declared';
import { withTask, type TaskContext } from '../operator';
import { describeOrigin, type KRecord, type RecordOrigin } from '../record';
import { InMemoryKeyValueStore } from '../state/key-value-store';
import type { StateStore } from '../state/state-store';
import { InMemoryWindowStore } from '../state/window-store';
import type { KeyValueStore, WindowStore } from '../store';
import type { TopologyNode } from '../topology/node';
import type { ResolvedStore, SourceSpec, Topology } from '../topology/topology';
import { deadLetterTopicOf, ProcessingFailure, type ErrorPolicy } from './error-policy';
import { PlainSubject } from './plain-subject';
import type { StreamsMetrics } from './streams-metrics';

export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Where a task's writes go: the runtime's producer (acks tracked) or the test driver's memory. */
export interface RecordCollector {
  send(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, partition: number | undefined, headers?: Record<string, string>): void;
  /** Optional: send() of a record serialized into src's ranges (start -1: null), copied before it returns. */
  sendRange?(topic: string, src: Buffer, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, timestamp: number): void;
}

export interface TaskOptions {
  readonly topology: Topology;
  readonly partition: number;
  readonly collector: RecordCollector;
  readonly logger: Logger;
  readonly deserializationErrors: ErrorPolicy;
  readonly processingErrors: ErrorPolicy;
  /** The wall clock (the test driver's is manual). */
  readonly now: () => number;
  /** Hand repartitioned records on in memory (only valid when this is the only task). */
  readonly repartitionLocally?: boolean;
  /** A failure outside process() (in asynchronous work) that stops the task under the 'fail' policy. */
  readonly onFatal?: (error: Error) => void;
  /** Counts late and dead-lettered records (absent: the test driver, or an app without metrics). */
  readonly metrics?: StreamsMetrics;
}

interface SourceInput {
  readonly topic: string;
  readonly spec: SourceSpec;
  readonly subject: PlainSubject<KRecord<unknown, unknown>>;
  /** The key and value serdes' read fast paths, when they give what deserialize() would (fastDeserializeFrom). */
  readonly keyFrom: Serde<unknown>['deserializeFrom'];
  readonly valueFrom: Serde<unknown>['deserializeFrom'];
}

export type AnyStore = StateStore & (InMemoryKeyValueStore<unknown, unknown> | InMemoryWindowStore<unknown, unknown>);

export class StreamTask implements TaskContext {
  readonly applicationId: string;
  readonly partition: number;
  readonly log: Logger;
  readonly repartitionLocally: boolean;
  outputRead = true;
  readonly stores = new Map<string, AnyStore>();
  private storeList: AnyStore[] = [];
  readonly wallClock = new Subject<number>();
  /** Per source topic: the offset after the last record processed (what a commit stores). */
  readonly consumed = new Map<string, number>();
  readonly metrics: StreamsMetrics | undefined;
  private readonly sources = new Map<string, PlainSubject<KRecord<unknown, unknown>>>();
  private readonly instances = new Map<number, Observable<unknown>>();
  private subscriptions: Subscription[] = [];
  private pipelineError: unknown;
  private processing = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: TaskOptions) {
    this.applicationId = options.topology.applicationId;
    this.partition = options.partition;
    this.log = options.logger.child({ task: options.partition, partition: options.partition });
    this.repartitionLocally = options.repartitionLocally ?? false;
    this.metrics = options.metrics;
    for (const spec of options.topology.stores) this.stores.set(spec.name, createStore(spec));
    this.storeList = [...this.stores.values()];
  }

  /** Instantiates the pipelines: subscribes every leaf, which runs everything upstream of it. */
  start(): void {
    // A restore may have put a standby's stores in place of the task's own: the list is taken now.
    this.storeList = [...this.stores.values()];
    for (const leaf of this.options.topology.leaves) {
      this.subscriptions.push(
        this.instantiate(leaf).subscribe({
          error: (e) => {
            this.pipelineError ??= e;
            // An error from asynchronous work arrives outside process(): recover (or fail) now.
            if (!this.processing) this.recoverOutsideProcessing();
          },
        }),
      );
    }
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    this.instances.clear();
    this.sources.clear();
    this.lastForward = undefined;
    this.lastSource = undefined;
  }

  /** Deserializes and processes one record of a source topic. Throws ProcessingFailure when a 'fail' policy applies. */
  process(raw: RawRecord): void {
    this.processRecord(raw);
    // Only after success: a record that stopped the app under 'fail' is read again after a restart.
    this.consumed.set(raw.topic, raw.offset + 1);
  }

  private processRecord(raw: RawRecord): void {
    const input = this.sourceOf(raw.topic);
    if (input === undefined) return;
    const source = input.spec;
    // A record the consumer left as ranges of its fetched bytes is read in place (Serde.deserializeFrom): no view, no
    // Either and no location object per field on that path. Anything it does not read takes deserialize().
    const spans = raw instanceof SpanRecord ? raw : undefined;
    let key = spans === undefined ? undefined : fromSpan(input.keyFrom, source.keySerde, spans.src, spans.keyStart, spans.keyEnd);
    let value = spans === undefined ? undefined : fromSpan(input.valueFrom, source.valueSerde, spans.src, spans.valueStart, spans.valueEnd);
    let origin: RecordOrigin | undefined;
    if (key === undefined) {
      // The key is read with the record's own location: one location object per record, and one shape of it for the
      // serdes (a second, isKey, object per keyed record cost about a third of the repartition path's throughput in
      // bench:dsl). Only a failure is read again with isKey, so that its error says "key".
      origin = originOf(raw);
      const bytes = raw.key;
      const read = bytes === null ? RIGHT_NULL : source.keySerde.deserialize(bytes, origin);
      if (read._tag === 'Left') return this.badRecord(raw, keyError(source.keySerde, bytes!, origin, read.left));
      key = read.right;
    }
    if (value === undefined) {
      origin ??= originOf(raw);
      const bytes = raw.value;
      const read = bytes === null ? RIGHT_NULL : source.valueSerde.deserialize(bytes, origin);
      if (read._tag === 'Left') return this.badRecord(raw, read.left);
      value = read.right;
    }
    let timestamp = raw.timestamp;
    if (source.timestampExtractor) {
      try {
        timestamp = source.timestampExtractor({ key, value, timestamp: raw.timestamp }, raw.timestamp);
      } catch (e) {
        return this.badRecord(raw, { kind: 'invalid-payload', message: `the timestamp extractor threw: ${(e as Error).message}`, location: originOf(raw) });
      }
    }
    if (!Number.isFinite(timestamp) || timestamp < 0) {
      const at = originOf(raw);
      return this.badRecord(raw, { kind: 'invalid-payload', message: `invalid event time ${timestamp} at ${describeOrigin(at)}`, location: at });
    }
    // The origin is made only when a step asks for it (this.origin): most records never need one.
    this.originValue = origin;
    this.originRecord = raw;
    this.processing = true;
    try {
      // The same four fields, in the same order, as the records the operators make: one shape (one hidden class)
      // for every record a step reads, so its property loads stay monomorphic.
      input.subject.next({ key, value, timestamp, headers: undefined });
    } finally {
      this.originValue = undefined;
      this.originRecord = undefined;
      this.processing = false;
    }
    if (this.pipelineError !== undefined) this.recoverPipeline({ key, value, timestamp }, originOf(raw));
  }

  /** The source record being processed (RecordOrigin), made on first use; undefined outside process(). */
  get origin(): RecordOrigin | undefined {
    if (this.originValue === undefined && this.originRecord !== undefined) this.originValue = originOf(this.originRecord);
    return this.originValue;
  }

  set origin(origin: RecordOrigin | undefined) {
    this.originValue = origin;
    this.originRecord = undefined;
  }

  private originValue: RecordOrigin | undefined;
  /** The record whose origin `origin` gives when asked (set while it is processed). */
  private originRecord: RawRecord | undefined;

  /** Moves the wall clock: windows that close on idle time close, punctuators run. */
  punctuate(now: number): void {
    this.processing = true;
    try {
      this.wallClock.next(now);
    } finally {
      this.processing = false;
    }
    if (this.pipelineError !== undefined) this.recoverPipeline(undefined, undefined);
  }

  /** Asynchronous work started and not finished. */
  get pendingAsync(): number {
    return this.pending.size;
  }

  /** Resolves once every piece of asynchronous work started so far (and any it started) has finished. */
  async settleAsync(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const done = () => this.pending.delete(work);
    work.then(done, done);
    return work;
  }

  private recoverOutsideProcessing(): void {
    try {
      this.recoverPipeline(undefined, undefined);
    } catch (e) {
      if (this.options.onFatal) this.options.onFatal(e as Error);
      else throw e;
    }
  }

  /** Writes every store's changed entries to its changelog (partition = this task's). Returns how many. */
  flushState(): number {
    let n = 0;
    for (const store of this.stores.values()) {
      const topic = store.changelogTopic;
      if (topic === undefined) continue;
      n += store.flushChangelog(
        (k, v) => this.options.collector.send(topic, k, v, this.options.now(), this.partition),
        (e: SerdeError) => this.log.error(`store ${store.name}: changelog entry not written: ${e.message}`),
      );
    }
    return n;
  }

  /** Read per record (the runtime's bound on unflushed entries): a loop over an array, not a Map iterator. */
  get dirtyEntries(): number {
    const stores = this.storeList;
    let n = 0;
    for (let i = 0; i < stores.length; i++) n += stores[i].dirtyCount;
    return n;
  }

  // ------------------------------------------------------------ TaskContext

  keyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    const s = this.stores.get(name);
    if (!(s instanceof InMemoryKeyValueStore)) throw new Error(`No key-value store "${name}" in this topology.`);
    return s as unknown as KeyValueStore<K, V>;
  }

  windowStore<K, V>(name: string): WindowStore<K, V> {
    const s = this.stores.get(name);
    if (!(s instanceof InMemoryWindowStore)) throw new Error(`No window store "${name}" in this topology.`);
    return s as unknown as WindowStore<K, V>;
  }

  observe<T>(handle: NodeHandle): Observable<T> {
    return this.instantiate(handle.node as TopologyNode) as Observable<T>;
  }

  private instantiate(node: TopologyNode): Observable<unknown> {
    let instance = this.instances.get(node.id);
    if (instance) return instance;
    if (node.kind === 'source') instance = this.subject(node.topic!);
    else {
      const parent = this.instantiate(node.parent!);
      const outer = this.outputRead;
      this.outputRead = node.children.length + node.inputRefs > 0;
      try {
        instance = withTask(this, () => node.operator!(parent)) as Observable<unknown>;
      } finally {
        this.outputRead = outer;
      }
      const readers = node.children.length + node.inputRefs + (node.children.length === 0 ? 1 : 0);
      if (readers > 1) instance = instance.pipe(share({ connector: () => new PlainSubject<unknown>() }));
    }
    this.instances.set(node.id, instance);
    return instance;
  }

  forward(topic: string, record: KRecord<unknown, unknown>): void {
    (this.lastForward?.topic === topic ? this.lastForward : (this.lastForward = { topic, subject: this.subject(topic) })).subject.next(record);
  }

  private lastForward: { topic: string; subject: PlainSubject<KRecord<unknown, unknown>> } | undefined;

  send(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, partition?: number): void {
    this.options.collector.send(topic, key, value, timestamp, partition);
  }

  sendRange(topic: string, src: Buffer, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, timestamp: number): void {
    const collector = this.options.collector;
    if (collector.sendRange) collector.sendRange(topic, src, keyStart, keyEnd, valueStart, valueEnd, timestamp);
    else collector.send(topic, copyOf(src, keyStart, keyEnd), copyOf(src, valueStart, valueEnd), timestamp, undefined);
  }

  deadLetter(topic: string, record: KRecord<unknown, unknown>, reason: string): void {
    const json = (v: unknown) => (v === undefined || v === null ? null : Buffer.from(safeJson(v), 'utf8'));
    this.metrics?.deadLetter();
    this.options.collector.send(topic, json(record.key), json(record.value), record.timestamp, undefined, this.errorHeaders(reason));
  }

  now(): number {
    return this.options.now();
  }

  userError(error: unknown, step: string, record: KRecord<unknown, unknown>, origin?: RecordOrigin): void {
    if (error instanceof ProcessingFailure) throw error;
    if (origin && !this.origin) {
      this.origin = origin;
      try {
        return this.userError(error, step, record);
      } finally {
        this.origin = undefined;
      }
    }
    const message = `${step} threw on the record at ${describeOrigin(this.origin)}: ${(error as Error)?.message ?? String(error)}`;
    const policy = this.options.processingErrors;
    if (policy === 'fail') {
      this.log.error(`${message}; processing policy is 'fail': stopping.`);
      throw new ProcessingFailure(message, error);
    }
    const dlq = deadLetterTopicOf(policy);
    this.log.warn(`${message}; ${dlq ? `sent to dead-letter topic ${dlq}` : 'skipped'}.`);
    if (dlq) this.deadLetter(dlq, record, message);
  }

  // ------------------------------------------------------------ internals

  /** A source topic's spec and subject; undefined for a topic this topology does not read. */
  private sourceOf(topic: string): SourceInput | undefined {
    const last = this.lastSource;
    if (last !== undefined && last.topic === topic) return last;
    const spec = this.options.topology.sources.get(topic);
    if (spec === undefined) return undefined;
    this.lastSource = {
      topic,
      spec,
      subject: this.subject(topic),
      keyFrom: fastDeserializeFrom(spec.keySerde),
      valueFrom: fastDeserializeFrom(spec.valueSerde),
    };
    return this.lastSource;
  }

  /** The source the last record came from: the next one most likely comes from it too (no two Map lookups per record). */
  private lastSource: SourceInput | undefined;

  private subject(topic: string): PlainSubject<KRecord<unknown, unknown>> {
    let s = this.sources.get(topic);
    if (!s) this.sources.set(topic, (s = new PlainSubject()));
    return s;
  }

  private badRecord(raw: RawRecord, error: SerdeError): void {
    const where = describeOrigin(originOf(raw));
    const message = `cannot read the record at ${where}: ${error.message}`;
    const policy = this.options.deserializationErrors;
    if (policy === 'fail') {
      this.log.error(`${message}; deserialization policy is 'fail': stopping.`);
      throw new ProcessingFailure(message);
    }
    const dlq = deadLetterTopicOf(policy);
    this.log.warn(`${message}; ${dlq ? `sent to dead-letter topic ${dlq}` : 'skipped'}.`);
    if (dlq) {
      this.origin = originOf(raw);
      this.metrics?.deadLetter();
      this.options.collector.send(dlq, raw.key, raw.value, raw.timestamp, undefined, this.errorHeaders(message));
      this.origin = undefined;
    }
  }

  /**
   * A pipeline errored: an exception escaped a plain RxJS operator (Rill's own
   * apply the policy themselves), or a Rill operator failed. RxJS tears the
   * pipeline down, so under 'skip' or a dead-letter policy it is rebuilt
   * (stores persist; per-subscription state of plain RxJS operators restarts).
   */
  private recoverPipeline(record: KRecord<unknown, unknown> | undefined, origin: RecordOrigin | undefined): void {
    const error = this.pipelineError;
    this.pipelineError = undefined;
    this.close();
    if (error instanceof ProcessingFailure) throw error;
    const message = `the pipeline threw on the record at ${describeOrigin(origin)}: ${(error as Error)?.message ?? String(error)}`;
    const policy = this.options.processingErrors;
    if (policy === 'fail') {
      this.log.error(`${message}; processing policy is 'fail': stopping.`);
      throw new ProcessingFailure(message, error);
    }
    const dlq = deadLetterTopicOf(policy);
    this.log.warn(`${message}; ${dlq && record ? `sent to dead-letter topic ${dlq}` : 'skipped'}; pipeline restarted.`);
    if (dlq && record) {
      this.origin = origin;
      this.deadLetter(dlq, record, message);
      this.origin = undefined;
    }
    this.start();
  }

  private errorHeaders(reason: string): Record<string, string> {
    const h: Record<string, string> = { 'rill.error': reason, 'rill.application': this.applicationId };
    if (this.origin) {
      h['rill.source.topic'] = this.origin.topic;
      h['rill.source.partition'] = String(this.origin.partition);
      h['rill.source.offset'] = String(this.origin.offset);
    }
    return h;
  }
}

const RIGHT_NULL = { _tag: 'Right', right: null } as const;

function originOf(raw: RawRecord): RecordOrigin {
  return { topic: raw.topic, partition: raw.partition, offset: raw.offset };
}

/**
 * A key's or value's value read from src[start, end) by the serde's
 * deserializeFrom (start -1: null); undefined when it has none or does not
 * read these bytes (then deserialize() decides, error included).
 */
function fromSpan(from: Serde<unknown>['deserializeFrom'], serde: Serde<unknown>, src: Buffer, start: number, end: number): unknown {
  if (start < 0) return null;
  return from === undefined ? undefined : from.call(serde, src, start, end);
}

/** The error of a key that did not deserialize, located as a key (`first`: the error read without isKey). */
function keyError(serde: Serde<unknown>, bytes: Buffer, origin: RecordOrigin, first: SerdeError): SerdeError {
  const again = serde.deserialize(bytes, { ...origin, isKey: true });
  return again._tag === 'Left' ? again.left : first;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : Buffer.isBuffer(x) ? x.toString('base64') : x)) ?? 'null';
  } catch {
    return JSON.stringify(String(v));
  }
}

export function createStore(spec: ResolvedStore): AnyStore {
  const changelog = spec.changelog === 'own' ? spec.changelogTopic : undefined;
  return spec.kind === 'key-value'
    ? (new InMemoryKeyValueStore(spec.name, spec.keySerde, spec.valueSerde, changelog) as AnyStore)
    : (new InMemoryWindowStore(spec.name, spec.keySerde, spec.valueSerde, changelog) as AnyStore);
}

/** src[start, end) as a Buffer of its own (start -1: null): the caller's range is reused once send returns. */
function copyOf(src: Buffer, start: number, end: number): Buffer | null {
  if (start < 0) return null;
  const out = Buffer.allocUnsafe(end - start);
  src.copy(out, 0, start, end);
  return out;
}
