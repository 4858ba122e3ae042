// One step of a declared topology: a source (a topic, or a repartition topic)
// or a processor (an RxJS operator, Rill's or plain) with one parent.
import type { ErasedOperator, ErasedSerde, OperatorSpec } from '../operator';
import type { KRecord } from '../record';

export type TimestampExtractor = (record: KRecord<unknown, unknown>, recordTimestamp: number) => number;

export interface TopologyNode {
  readonly id: number;
  /** Kafka Streams-style name: `<kind>-<id>`, e.g. `count-0000000005`. */
  readonly name: string;
  readonly kind: 'source' | 'processor';
  readonly parent: TopologyNode | undefined;
  readonly children: TopologyNode[];
  /** How many other operators read this node as an input (merge, joins). */
  inputRefs: number;
  readonly operator: ErasedOperator | undefined;
  readonly spec: OperatorSpec | undefined;
  /** Sources: the topic read. */
  readonly topic: string | undefined;
  readonly sourceRole: 'stream' | 'table' | 'repartition' | undefined;
  readonly timestampExtractor: TimestampExtractor | undefined;
  readonly keySerde: ErasedSerde | undefined;
  readonly valueSerde: ErasedSerde | undefined;
  /** The key may differ from the one the record was partitioned by. */
  readonly keyChanged: boolean;
  /** Set when this node emits a table's changes: the store holding it. */
  readonly tableStore: string | undefined;
}

export function nodeName(kind: string, id: number): string {
  return `${kind}-${String(id).padStart(10, '0')}`;
}
