// KTable: the latest value per key, held in a store backed by a compacted
// changelog. Its node emits the table's changes (a null value is a deletion).
import type { Serde } from '../../core/schema';
import { tableJoin } from '../operators/table-join';
import type { StreamsBuilder } from './builder';
import { KStream } from './kstream';
import type { TopologyNode } from './node';

export class KTable<K, V> {
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

  private joined<V2, R>(other: KTable<K, V2>, joiner: (left: V, right: V2) => R, type: 'inner' | 'left', options: { store?: string; valueSerde?: Serde<R> }): KTable<K, R> {
    const op = tableJoin<K, V, V2, R>(this, other, joiner, type, options);
    const node = this.builder.append(this.node, op);
    return new KTable<K, R>(this.builder, node, node.tableStore!);
  }
}
