// What an operator that reads another declared stream or table (merge, the
// joins) sees of it: the node a task turns into an Observable, and a table's
// store. KStream and KTable (dsl/topology) implement these, so the operators
// take them without importing the topology that composes the operators:
// dependencies point one way.
import type { KRecord } from './record';

/** Anything declared in a topology that a task can turn into an Observable. */
export interface NodeHandle {
  readonly node: {
    readonly id: number;
    readonly name: string;
    /** The key may differ from the one the record was partitioned by. */
    readonly keyChanged: boolean;
  };
}

/**
 * The key under which a declared stream or table carries its record type. Type only: no
 * value has it, it lets `join(table, (value, tableValue) => ...)` type `tableValue` from
 * the KTable it is given, as the classes themselves did.
 */
export declare const recordType: unique symbol;

export interface DeclaredStream<K, V> extends NodeHandle {
  readonly [recordType]?: KRecord<K, V>;
  /** A stream has no store: a table is not taken where a stream is expected. */
  readonly storeName?: undefined;
}

export interface DeclaredTable<K, V> extends NodeHandle {
  readonly [recordType]?: KRecord<K, V>;
  /** The store holding the table (latest value per key). */
  readonly storeName: string;
}

/** Tells a table from a stream by its store (the operators know the shapes, not the classes). */
export function isTable<K, V>(input: DeclaredStream<K, V> | DeclaredTable<K, V>): input is DeclaredTable<K, V> {
  return input.storeName !== undefined;
}
