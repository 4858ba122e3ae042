// The DSL word count as bench/dsl-memory.ts and bench/dsl-repartition.ts run it,
// on the code of any checkout (RILL_ROOT), so two checkouts can be compared in
// alternating processes with the same script.
import * as path from 'node:path';
import type * as ClientModule from '../core/client';
import type * as DslModule from '../dsl';
import type * as SchemaModule from '../core/schema';
import { uniform } from './seeded-random';

/** The parts of Rill the word count needs, loaded from `root`. */
export interface Checkout {
  readonly Rill: typeof ClientModule.Rill;
  readonly dsl: typeof DslModule;
  readonly schema: typeof SchemaModule;
}

export function loadCheckout(root: string): Checkout {
  return {
    Rill: (require(path.join(root, 'core/client')) as typeof ClientModule).Rill,
    dsl: require(path.join(root, 'dsl')) as typeof DslModule,
    schema: require(path.join(root, 'core/schema')) as typeof SchemaModule,
  };
}

/**
 * Lines split into words, re-keyed by word, counted into the store 'counts' with a
 * changelog; `localRepartition` hands the re-keyed words on in memory (one partition)
 * instead of through the repartition topic.
 */
export function wordCountStreams(code: Checkout, rill: ClientModule.Rill, app: string, topic: string, localRepartition: boolean): DslModule.RillStreams {
  const { RillStreams, StreamsBuilder, count, flatMapValues, selectKey, silentLogger } = code.dsl;
  const { jsonSerde, stringSerde } = code.schema;
  const b = new StreamsBuilder(app);
  b.stream(topic, { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((line: string) => line.split(' ')),
    selectKey((r: { value: string }) => r.value, { keySerde: stringSerde() }),
    count({ store: 'counts', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
  );
  return new RillStreams(b.build(), { log: rill, logger: silentLogger, commitIntervalMs: 1000, localRepartition, taskAssignment: 'all' });
}

/** How many words of `expected` the app's 'counts' store holds a different count for, and how many words it holds. */
export function countsCheck(streams: DslModule.RillStreams, expected: ReadonlyMap<string, number>): { wrong: number; size: number } {
  const store = streams.store<string, number>('counts');
  return { wrong: [...expected].filter(([w, n]) => store.get(w) !== n).length, size: store.size };
}

const WORDS_PER_LINE = 10;
const VOCABULARY = Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}`);

/**
 * Writes `words` words (lines of 10 from a 10 000-word vocabulary, seeded) to a new
 * topic of `partitions` partitions, line j to partition j % partitions; the lines
 * written and every word's count, to check the app's counts against.
 */
export async function produceWordLines(
  rill: ClientModule.Rill,
  topic: string,
  words: number,
  partitions: number,
): Promise<{ lines: number; counts: Map<string, number> }> {
  await rill.admin.createTopics([{ name: topic, partitions }]);
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  const counts = new Map<string, number>();
  const lines = Math.ceil(words / WORDS_PER_LINE);
  const next = uniform(42);
  for (let i = 0; i < lines; i += 10_000) {
    const records = [];
    for (let j = i; j < Math.min(lines, i + 10_000); j++) {
      const line: string[] = [];
      for (let w = 0; w < WORDS_PER_LINE; w++) {
        const word = VOCABULARY[Math.floor(next(VOCABULARY.length))];
        counts.set(word, (counts.get(word) ?? 0) + 1);
        line.push(word);
      }
      records.push({ value: line.join(' '), partition: j % partitions });
    }
    await producer.send(topic, records);
  }
  await producer.close();
  return { lines, counts };
}
