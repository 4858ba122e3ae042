// Shared by the DSL tests: a builder with string keys and values on topic "in".
import { jsonSerde, stringSerde } from '../../core/schema';
import { StreamsBuilder, TopologyTestDriver, windowedSerde, type KStream, type Topology } from '../../dsl';

export const str = stringSerde();
export const num = jsonSerde<number>();
/** Session windows emit null for merged-away sessions. */
export const numOrNull = jsonSerde<number | null>();
export const wstr = windowedSerde(stringSerde());

export function stringStream(app = 'test', topic = 'in'): { builder: StreamsBuilder; stream: KStream<string, string> } {
  const builder = new StreamsBuilder(app);
  return { builder, stream: builder.stream(topic, { key: str, value: str }) };
}

export function drive(topology: Topology, options: ConstructorParameters<typeof TopologyTestDriver>[1] = {}): TopologyTestDriver {
  return new TopologyTestDriver(topology, options);
}

/** Windowed output as readable tuples: [key, start, end, value, timestamp]. */
export function windowed<V>(
  records: { key: { key: string; window: { start: number; end: number } }; value: V | null; timestamp: number }[],
): [string, number, number, V | null, number][] {
  return records.map((r) => [r.key.key, r.key.window.start, r.key.window.end, r.value, r.timestamp]);
}
