// Word count: text lines -> words -> a counts table (store "word-counts",
// changelog wordcount-word-counts-changelog) -> the topic word-counts. Tests
// that run two applications side by side on one log give each its own topics.
import { jsonSerde, stringSerde } from '../../core/schema';
import { StreamsBuilder, count, flatMapValues, selectKey, to, type Topology } from '../../dsl';

export const LINES = 'text-lines';
export const COUNTS = 'word-counts';

export function wordCountTopology(applicationId = 'wordcount', topics: { lines: string; counts: string } = { lines: LINES, counts: COUNTS }): Topology {
  const builder = new StreamsBuilder(applicationId);
  builder.stream(topics.lines, { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((line) =>
      line
        .toLowerCase()
        .split(/[^\p{L}\p{N}']+/u)
        .filter((w) => w.length > 0),
    ),
    selectKey((r) => r.value, { keySerde: stringSerde() }),
    count({ store: 'word-counts' }),
    to(topics.counts, { key: stringSerde(), value: jsonSerde<number>() }),
  );
  return builder.build();
}
