// How Rill's keyed and stateful operators stay plain RxJS OperatorFunctions.
//
// A Rill operator carries a spec (what the topology needs to know: stores,
// sinks, whether it changes or needs the key) and an implementation that, when
// a task instantiates the pipeline, receives that task's context (its stores,
// its record collector, its clocks). The task sets the context while it
// applies the operators, the way Angular's inject() works: the operator is
// still `(source) => Observable`, so it composes with everything in RxJS.
import { Observable, Subscriber, type OperatorFunction } from 'rxjs';
import type { Serde } from '../core/schema';
import type { NodeHandle } from './declared';
import type { Logger } from './logger';
import type { KRecord, RecordOrigin } from './record';
import type { KeyValueStore, StoreKind, WindowStore } from './store';

// The topology holds the serdes and operators of every record type side by side, so it erases
// their types; `any` is how TypeScript spells that (a Serde<unknown> would go in, but not come
// back out as the Serde<K> a typed step needs). These two names are where the DSL's `any` lives.
// biome-ignore lint/suspicious/noExplicitAny: type erasure in the topology graph, see above
export type ErasedSerde = Serde<any>;
// biome-ignore lint/suspicious/noExplicitAny: type erasure in the topology graph, see above
export type ErasedOperator = OperatorFunction<any, any>;

export interface StoreSpec {
  /** Set by the builder when the user gives none. */
  name: string | undefined;
  readonly kind: StoreKind;
  keySerde?: ErasedSerde;
  valueSerde?: ErasedSerde;
  /**
   * 'own': `<app>-<store>-changelog` (compacted); 'source': the table's source
   * topic is its changelog (nothing written back); 'none': the user opted out.
   */
  changelog: 'own' | 'source' | 'none';
  /** For 'source' stores: the topic to restore from. */
  sourceTopic?: string;
  /** Window stores: how long windows are kept after they end (interactive queries). */
  retentionMs?: number;
}

export interface OperatorSpec {
  /** Operator family for describe(): 'selectKey', 'count', 'join', ... */
  readonly kind: string;
  /** Emits records whose key may differ from the input's. */
  readonly changesKey?: boolean;
  /** Needs all records of a key in one task: a repartition goes before it when the key changed upstream. */
  readonly keyed?: boolean;
  /** Its output is a table's changes (latest value per key in stores[0]). */
  readonly table?: boolean;
  readonly stores?: StoreSpec[];
  /** Topics it writes to (to(), dead letters), for describe() and topic creation. */
  readonly sinks?: SinkSpec[];
  /** Other declared streams or tables it reads (merge, joins). */
  readonly inputs?: NodeHandle[];
  /** Serdes of its output when the operator knows them. */
  readonly keySerde?: ErasedSerde;
  readonly valueSerde?: ErasedSerde;
  /** Keeps the upstream key serde (the key type does not change). */
  readonly keepsKeySerde?: boolean;
  readonly keepsValueSerde?: boolean;
  /** A label detail for describe(). */
  readonly detail?: string;
}

export interface SinkSpec {
  readonly topic: string;
  readonly role: 'sink' | 'repartition' | 'dead-letter';
}

/** What an operator sees of the task that runs it. */
export interface TaskContext {
  readonly applicationId: string;
  readonly partition: number;
  keyValueStore<K, V>(name: string): KeyValueStore<K, V>;
  windowStore<K, V>(name: string): WindowStore<K, V>;
  /** This task's instance of another declared stream or table. */
  observe<T>(handle: NodeHandle): Observable<T>;
  /** Writes serialized bytes to a topic; the runtime tracks the acknowledgement. */
  send(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, partition?: number): void;
  /**
   * Optional: send() for a record serialized into `src` (key src[keyStart, keyEnd),
   * value src[valueStart, valueEnd), a start of -1: null), copied before it returns.
   */
  sendRange?(topic: string, src: Buffer, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, timestamp: number): void;
  /**
   * True when this task is the only one (a single partition everywhere): a
   * repartition then cannot move a record anywhere else, so it is handed on
   * in memory instead of through the repartition topic.
   */
  readonly repartitionLocally: boolean;
  /**
   * Read while an operator is applied (not per record): whether anything reads
   * what that step emits (a step after it, or another step observing it). A
   * step nothing reads, as a count at the end of a pipeline whose store is all
   * that is wanted, may skip making its output records.
   */
  readonly outputRead: boolean;
  /** Pushes a record straight into this task's source of `topic` (local repartition). */
  forward(topic: string, record: KRecord<unknown, unknown>): void;
  /** Writes a record that could not be processed to a dead-letter topic, with the reason and its origin in headers. */
  deadLetter(topic: string, record: KRecord<unknown, unknown>, reason: string): void;
  /** Wall-clock ticks (ms since epoch) from the runtime or the test driver. */
  readonly wallClock: Observable<number>;
  /** The wall clock now (controlled by the test driver). */
  now(): number;
  /** The source record being processed. */
  readonly origin: RecordOrigin | undefined;
  /**
   * Applies the exception policy to an error thrown by user code in `step`.
   * Returns when the record is to be skipped (after logging and dead-lettering);
   * throws when the policy is 'fail'. `origin` names the source record when
   * the error comes later than its processing (asynchronous work).
   */
  userError(error: unknown, step: string, record: KRecord<unknown, unknown>, origin?: RecordOrigin): void;
  /**
   * Registers asynchronous work started for the record being processed: a
   * commit waits for it (and the writes it causes) before committing offsets.
   */
  track<T>(work: Promise<T>): Promise<T>;
  readonly log: Logger;
  /** The app's metrics, when it keeps them. */
  readonly metrics?: { lateRecord(): void };
}

// Registry symbols and a global slot rather than module state: a pipeline module
// that `rill worker` loads may import another copy of the DSL than the one
// running it (the CLI bundle vs. the package or the TypeScript sources), and
// its operators must still find the running task.
const SPEC = Symbol.for('rill.operator');
const CURRENT_TASK = Symbol.for('rill.operator.currentTask');

export type RillOperator<A, B> = OperatorFunction<A, B> & { readonly [SPEC]: OperatorSpec };

const slot = globalThis as unknown as { [CURRENT_TASK]?: TaskContext };

/** Runs `build` with `task` as the context Rill operators bind to. */
export function withTask<T>(task: TaskContext, build: () => T): T {
  const previous = slot[CURRENT_TASK];
  slot[CURRENT_TASK] = task;
  try {
    return build();
  } finally {
    slot[CURRENT_TASK] = previous;
  }
}

export function rillOperator<A, B>(spec: OperatorSpec, impl: (source: Observable<A>, task: TaskContext) => Observable<B>): RillOperator<A, B> {
  const op = (source: Observable<A>): Observable<B> => {
    const task = slot[CURRENT_TASK];
    if (!task) {
      throw new Error(
        `${spec.kind}() is a Rill operator: use it inside stream.pipe() of a StreamsBuilder topology, then run the topology (RillStreams or TopologyTestDriver).`,
      );
    }
    return impl(source, task);
  };
  return Object.assign(op, { [SPEC]: spec });
}

export function specOf(op: ErasedOperator): OperatorSpec | undefined {
  return (op as Partial<RillOperator<unknown, unknown>>)[SPEC];
}

/** What perRecord's `setup` returns: the per-record function and the subscription's end. */
interface RecordHandler<A> {
  next: (a: A) => void;
  complete?: () => void;
  teardown?: () => void;
}

/**
 * Subscribes a RecordHandler to the step before it as an RxJS operator does
 * inside RxJS: a Subscriber whose _next is the handler, chained to the next
 * step's subscriber. A plain observer object would be wrapped in two more
 * layers (SafeSubscriber, ConsumerObserver) between every step, per record.
 * (RxJS 7 marks Subscriber's constructor internal; its own operators are built
 * this way, and v8 will want a look here.)
 */
class RecordSubscriber<A> extends Subscriber<A> {
  constructor(
    destination: Subscriber<unknown>,
    private readonly handler: RecordHandler<A>,
  ) {
    super(destination);
  }

  /**
   * Per record, straight to the handler. RxJS's Subscriber.next, shared by
   * every subscriber class, calls `this._next` from one site that sees them
   * all (a megamorphic lookup per step per record); this one is Rill's own.
   * A value after the end goes where RxJS sends it (Subscriber.next).
   */
  override next(a: A): void {
    if (this.isStopped) super.next(a);
    else this._next(a);
  }

  protected override _next(a: A): void {
    // An exception from user code (policy 'fail') must reach the task as an error, not escape to RxJS's unhandled-error hook.
    try {
      this.handler.next(a);
    } catch (e) {
      // A later step may have unsubscribed while the handler emitted (take(1)):
      // RxJS then cleared `destination`, and an error after that is dropped, as
      // an error sent to a closed subscriber is.
      if (!this.closed) this.destination.error(e);
    }
  }

  protected override _complete(): void {
    this.handler.complete?.();
    super._complete();
  }
}

/**
 * The body of most Rill operators: a function called per record with an
 * `emit`, run inside the subscription so per-subscription state (stream time)
 * lives in the closure `setup` returns.
 */
export function perRecord<A, B>(source: Observable<A>, setup: (emit: (b: B) => void) => RecordHandler<A>): Observable<B> {
  return new Observable<B>((subscriber) => {
    const handler = setup((b) => subscriber.next(b));
    const upstream = new RecordSubscriber<A>(subscriber, handler);
    source.subscribe(upstream);
    return () => {
      upstream.unsubscribe();
      handler.teardown?.();
    };
  });
}
