// KStream: a declared stream of records. pipe() takes plain RxJS operators and
// Rill's own; the key and value types flow from the source serdes through
// every callback.
import { filter, type OperatorFunction } from 'rxjs';
import type { Serde } from '../../core/schema';
import type { ErasedOperator } from '../operator';
import type { KRecord } from '../record';
import { to } from '../operators/to';
import { materialize } from '../operators/to-table';
import type { StreamsBuilder } from './builder';
import { KTable } from './ktable';
import type { TopologyNode } from './node';

type R<K, V> = KRecord<K, V>;
type KeyOf<T> = T extends KRecord<infer K, unknown> ? K : never;
type ValueOf<T> = T extends KRecord<unknown, infer V> ? V : never;
type Op<A, B> = OperatorFunction<A, B>;

export class KStream<K, V> {
  constructor(
    readonly builder: StreamsBuilder,
    readonly node: TopologyNode,
  ) {}

  pipe(): KStream<K, V>;
  pipe<A extends R<unknown, unknown>>(op1: Op<R<K, V>, A>): KStream<KeyOf<A>, ValueOf<A>>;
  pipe<A, B extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>): KStream<KeyOf<B>, ValueOf<B>>;
  pipe<A, B, C extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>): KStream<KeyOf<C>, ValueOf<C>>;
  pipe<A, B, C, D extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>, op4: Op<C, D>): KStream<KeyOf<D>, ValueOf<D>>;
  pipe<A, B, C, D, E extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>, op4: Op<C, D>, op5: Op<D, E>): KStream<KeyOf<E>, ValueOf<E>>;
  pipe<A, B, C, D, E, F extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>, op4: Op<C, D>, op5: Op<D, E>, op6: Op<E, F>): KStream<KeyOf<F>, ValueOf<F>>;
  pipe<A, B, C, D, E, F, G extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>, op4: Op<C, D>, op5: Op<D, E>, op6: Op<E, F>, op7: Op<F, G>): KStream<KeyOf<G>, ValueOf<G>>;
  pipe<A, B, C, D, E, F, G, H extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>, op4: Op<C, D>, op5: Op<D, E>, op6: Op<E, F>, op7: Op<F, G>, op8: Op<G, H>): KStream<KeyOf<H>, ValueOf<H>>;
  pipe(...ops: ErasedOperator[]): KStream<unknown, unknown> {
    let node = this.node;
    for (const op of ops) node = this.builder.append(node, op);
    return new KStream(this.builder, node);
  }

  /**
   * Splits the stream: each record goes to the first branch whose predicate
   * holds (none: dropped). Kafka Streams' split()/branch().
   */
  branch(...predicates: ((record: R<K, V>) => boolean)[]): KStream<K, V>[] {
    return predicates.map((_, i) => {
      const first = (r: R<K, V>) => predicates.findIndex((p) => p(r)) === i;
      return this.pipe(filter(first) as Op<R<K, V>, R<K, V>>);
    });
  }

  /** Writes every record to `topic` (a terminal step; same as pipe(to(topic))). */
  to(topic: string, serdes: { key?: Serde<K>; value?: Serde<V> } = {}): void {
    this.pipe(to(topic, serdes));
  }

  /**
   * The stream as a table. After a stateful step (count, reduce, aggregate)
   * this is that step's store; otherwise each record upserts a new store
   * (null value: delete).
   */
  toTable(options: { store?: string; keySerde?: Serde<K>; valueSerde?: Serde<V> } = {}): KTable<K, V> {
    if (this.node.tableStore && options.store === undefined) return new KTable<K, V>(this.builder, this.node, this.node.tableStore);
    const store = { name: options.store, kind: 'key-value' as const, keySerde: options.keySerde, valueSerde: options.valueSerde ?? this.node.valueSerde, changelog: 'own' as const };
    const node = this.builder.append(this.node, materialize<K, V>(store));
    return new KTable<K, V>(this.builder, node, store.name!);
  }
}
