// The DSL word count as bench/dsl-memory.ts and bench/dsl-repartition.ts run it,
// on the code of any checkout (RILL_ROOT), so two checkouts can be compared in
// alternating processes with the same script.
import * as path from 'node:path';
import type * as ClientModule from '../core/client';
import type * as DslModule from '../dsl';
import type * as SchemaModule from '../core/schema';

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
