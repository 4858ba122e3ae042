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
export interface RecordHandler<A> {
  next: (a: A) => void;
  complete?: () => void;
  teardown?: () => void;
}

/**
 * Makes a step's handler for one subscription. `emit` hands a record to the
 * next step. `inputOwned` is true when every record this handler gets was
 * made for it alone by the step just before it in the same fused chain (see
 * RecordSteps): nothing else holds it, so the handler may change it and emit
 * it instead of making a new record.
 */
export type RecordSetup<A, B> = (emit: (b: B) => void, inputOwned: boolean) => RecordHandler<A>;

interface Step {
  // biome-ignore lint/suspicious/noExplicitAny: the steps of a chain have different record types, see ErasedSerde
  readonly setup: RecordSetup<any, any>;
  /** Its records are new objects it keeps no reference to (made per record, or its own input when that was owned). */
  readonly freshOutput: boolean;
}

/**
 * Subscribes the handlers of a fused chain to the step before it as an RxJS
 * operator does inside RxJS: a Subscriber whose _next is the first handler,
 * chained to the next step's subscriber. A plain observer object would be
 * wrapped in two more layers (SafeSubscriber, ConsumerObserver) between every
 * step, per record. (RxJS 7 marks Subscriber's constructor internal; its own
 * operators are built this way, and v8 will want a look here.)
 */
class RecordSubscriber<A> extends Subscriber<A> {
  /** The chain's handlers, first step first; set right after construction (the handlers need this subscriber). */
  handlers: RecordHandler<unknown>[] = [];

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
    this.pass(this.handlers[0], a);
  }

  /**
   * Hands a record to one handler of the chain, as the unfused chain's own
   * subscriber of that step would have: nothing once a later step has
   * unsubscribed, and an exception (policy 'fail') to the next step as an
   * error, not to RxJS's unhandled-error hook nor back into the step before.
   */
  pass<T>(handler: RecordHandler<T>, a: T): void {
    if (this.closed) return;
    try {
      handler.next(a);
    } catch (e) {
      // A later step may have unsubscribed while the handler emitted (take(1)):
      // RxJS then cleared `destination`, and an error after that is dropped, as
      // an error sent to a closed subscriber is.
      if (!this.closed) this.destination.error(e);
    }
  }

  protected override _complete(): void {
    const handlers = this.handlers;
    // In the unfused chain a step completes only while the one after it still listens.
    for (let i = 0; i < handlers.length; i++) if (i === 0 || !this.closed) handlers[i].complete?.();
    super._complete();
  }
}

/**
 * The Observable perRecord returns: a chain of per-record steps over one input.
 * perRecord over such an Observable does not subscribe to it: it returns a
 * longer chain over the same input (topology-time fusion). One subscription
 * then runs every step, each handing its records to the next by a direct
 * call, where the unfused steps had a Subscriber each between them. It is the
 * same cold Observable: each subscription sets up every step (last first, as
 * nested subscriptions did), a step's exception reaches the chain's end as an
 * error, steps after a closed subscriber see nothing, completion and teardown
 * run in step order. A stream several steps read is shared (a Subject) by the
 * task, so it is never a RecordSteps: fusion only joins a step to the one
 * step reading it.
 */
class RecordSteps<A, B> extends Observable<B> {
  constructor(
    readonly input: Observable<A>,
    readonly steps: readonly Step[],
  ) {
    super((subscriber) => {
      const upstream = new RecordSubscriber<A>(subscriber);
      const handlers: RecordHandler<unknown>[] = new Array(steps.length);
      let emit = (b: unknown) => subscriber.next(b as B);
      for (let i = steps.length - 1; i >= 0; i--) {
        const handler: RecordHandler<unknown> = steps[i].setup(emit, i > 0 && steps[i - 1].freshOutput);
        handlers[i] = handler;
        if (i > 0) emit = (b) => upstream.pass(handler, b);
      }
      upstream.handlers = handlers;
      input.subscribe(upstream);
      return () => {
        upstream.unsubscribe();
        for (const h of handlers) h.teardown?.();
      };
    });
  }
}

/**
 * The body of most Rill operators: a function called per record with an
 * `emit`, run inside the subscription so per-subscription state (stream time)
 * lives in the closure `setup` returns. `freshOutput`: every record the step
 * emits is a new object it keeps no reference to (or its own input when that
 * was owned), so the step after it may take it over (see RecordSetup).
 */
export function perRecord<A, B>(source: Observable<A>, setup: RecordSetup<A, B>, freshOutput = false): Observable<B> {
  const step: Step = { setup, freshOutput };
  if (source instanceof RecordSteps) return new RecordSteps<unknown, B>(source.input, [...source.steps, step]);
  return new RecordSteps<A, B>(source, [step]);
}
