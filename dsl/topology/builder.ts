// StreamsBuilder: where a pipeline is declared, and the KStream and KTable it
// declares. Sources come from topics with their serdes; KStream.pipe() appends
// operators; build() returns the Topology. The three live in one module because
// they make one another (a builder its streams and tables, a stream its table,
// a table its stream); the graph underneath is ./graph.
import { filter, type OperatorFunction } from 'rxjs';
import type { Serde } from '../../core/schema';
import type { DeclaredStream, DeclaredTable, recordType } from '../declared';
import type { ErasedOperator, StoreSpec } from '../operator';
import { tableJoin } from '../operators/table-join';
import { to } from '../operators/to';
import { materialize } from '../operators/to-table';
import type { KRecord } from '../record';
import { defaultSerde } from '../serdes';
import { TopologyGraph } from './graph';
import type { TimestampExtractor, TopologyNode } from './node';
import type { Topology } from './topology';

export interface StreamOptions<K, V> {
  key?: Serde<K>;
  value?: Serde<V>;
  /** Event time of a record; default: the record's timestamp. */
  timestamp?: (record: { key: K; value: V }, recordTimestamp: number) => number;
}

export interface TableOptions<K, V> extends StreamOptions<K, V> {
  /** The store holding the table (queryable); default `<topic>-table`. */
  store?: string;
}

export class StreamsBuilder {
  private readonly graph: TopologyGraph;

  constructor(readonly applicationId: string) {
    if (!/^[A-Za-z0-9._-]+$/.test(applicationId))
      throw new Error(`Application id "${applicationId}" may only hold letters, digits, ".", "_" and "-" (it prefixes topic names).`);
    this.graph = new TopologyGraph(applicationId);
  }

  /** A stream of the records of `topic`. */
  stream<K = string, V = string>(topic: string, options: StreamOptions<K, V> = {}): KStream<K, V> {
    return new KStream<K, V>(this, this.source(topic, 'stream', options));
  }

  /** A table (latest value per key) read straight from a (compacted) topic; the topic is its changelog. */
  table<K = string, V = string>(topic: string, options: TableOptions<K, V> = {}): KTable<K, V> {
    const source = this.source(topic, 'table', options);
    const store: StoreSpec = {
      name: options.store ?? `${topic}-table`,
      kind: 'key-value',
      keySerde: source.keySerde,
      valueSerde: source.valueSerde,
      changelog: 'source',
      sourceTopic: topic,
    };
    const node = this.append(source, materialize<K, V>(store));
    return new KTable<K, V>(this, node, store.name!);
  }

  /** Appends one operator after `parent` (used by KStream.pipe). */
  append(parent: TopologyNode, op: ErasedOperator): TopologyNode {
    return this.graph.append(parent, op);
  }

  build(): Topology {
    return this.graph.build();
  }

  private source<K, V>(topic: string, role: 'stream' | 'table', options: StreamOptions<K, V>): TopologyNode {
    const keySerde = options.key ?? (defaultSerde() as Serde<K>);
    const valueSerde = options.value ?? (defaultSerde() as Serde<V>);
    return this.graph.source(topic, role, keySerde, valueSerde, options.timestamp as TimestampExtractor | undefined);
  }
}

type R<K, V> = KRecord<K, V>;
type KeyOf<T> = T extends KRecord<infer K, unknown> ? K : never;
type ValueOf<T> = T extends KRecord<unknown, infer V> ? V : never;
type Op<A, B> = OperatorFunction<A, B>;

/** A declared stream of records. pipe() takes plain RxJS operators and Rill's own; the key and value types flow from the source serdes through every callback. */
export class KStream<K, V> implements DeclaredStream<K, V> {
  declare readonly [recordType]?: KRecord<K, V>;

  constructor(
    readonly builder: StreamsBuilder,
    readonly node: TopologyNode,
  ) {}

  pipe(): KStream<K, V>;
  pipe<A extends R<unknown, unknown>>(op1: Op<R<K, V>, A>): KStream<KeyOf<A>, ValueOf<A>>;
  pipe<A, B extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>): KStream<KeyOf<B>, ValueOf<B>>;
  pipe<A, B, C extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>): KStream<KeyOf<C>, ValueOf<C>>;
  pipe<A, B, C, D extends R<unknown, unknown>>(op1: Op<R<K, V>, A>, op2: Op<A, B>, op3: Op<B, C>, op4: Op<C, D>): KStream<KeyOf<D>, ValueOf<D>>;
  pipe<A, B, C, D, E extends R<unknown, unknown>>(
    op1: Op<R<K, V>, A>,
    op2: Op<A, B>,
    op3: Op<B, C>,
    op4: Op<C, D>,
    op5: Op<D, E>,
  ): KStream<KeyOf<E>, ValueOf<E>>;
  pipe<A, B, C, D, E, F extends R<unknown, unknown>>(
    op1: Op<R<K, V>, A>,
    op2: Op<A, B>,
    op3: Op<B, C>,
    op4: Op<C, D>,
    op5: Op<D, E>,
    op6: Op<E, F>,
  ): KStream<KeyOf<F>, ValueOf<F>>;
  pipe<A, B, C, D, E, F, G extends R<unknown, unknown>>(
    op1: Op<R<K, V>, A>,
    op2: Op<A, B>,
    op3: Op<B, C>,
    op4: Op<C, D>,
    op5: Op<D, E>,
    op6: Op<E, F>,
    op7: Op<F, G>,
  ): KStream<KeyOf<G>, ValueOf<G>>;
  pipe<A, B, C, D, E, F, G, H extends R<unknown, unknown>>(
    op1: Op<R<K, V>, A>,
    op2: Op<A, B>,
    op3: Op<B, C>,
    op4: Op<C, D>,
    op5: Op<D, E>,
    op6: Op<E, F>,
    op7: Op<F, G>,
    op8: Op<G, H>,
  ): KStream<KeyOf<H>, ValueOf<H>>;
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
    const store = {
      name: options.store,
      kind: 'key-value' as const,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde ?? this.node.valueSerde,
      changelog: 'own' as const,
    };
    const node = this.builder.append(this.node, materialize<K, V>(store));
    return new KTable<K, V>(this.builder, node, store.name!);
  }
}

/** The latest value per key, held in a store backed by a compacted changelog. Its node emits the table's changes (a null value is a deletion). */
export class KTable<K, V> implements DeclaredTable<K, V> {
  declare readonly [recordType]?: KRecord<K, V>;

  constructor(
    readonly builder: StreamsBuilder,
    readonly node: TopologyNode,
    /** The store holding the table, for joins and interactive queries. */
    readonly storeName: string,
  ) {}

  /** The table's changes as a stream: one record per update, value null for a deletion. */
  toStream(): KStream<K, V | null> {
    return new KStream<K, V | null>(this.builder, this.node);
  }

  /** Table-table inner join on the key: a result while both sides have a value. */
  join<V2, R>(other: KTable<K, V2>, joiner: (left: V, right: V2) => R, options: { store?: string; valueSerde?: Serde<R> } = {}): KTable<K, R> {
    return this.joined(other, joiner, 'inner', options);
  }

  /** Table-table left join: a result whenever the left side has a value (right may be null). */
  leftJoin<V2, R>(other: KTable<K, V2>, joiner: (left: V, right: V2 | null) => R, options: { store?: string; valueSerde?: Serde<R> } = {}): KTable<K, R> {
    return this.joined(other, joiner as (l: V, r: V2) => R, 'left', options);
  }

  private joined<V2, R>(
    other: KTable<K, V2>,
    joiner: (left: V, right: V2) => R,
    type: 'inner' | 'left',
    options: { store?: string; valueSerde?: Serde<R> },
  ): KTable<K, R> {
    const op = tableJoin<K, V, V2, R>(this, other, joiner, type, options);
    const node = this.builder.append(this.node, op);
    return new KTable<K, R>(this.builder, node, node.tableStore!);
  }
}
