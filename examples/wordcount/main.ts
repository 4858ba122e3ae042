// `npm run example:wordcount`: word count on the embedded log. Writes a few
// lines to text-lines (2 partitions), runs the pipeline until it has caught
// up, prints the topology and the counts (an interactive query of the store
// word-counts), and stops. `--dir <path>` keeps the data.
import { jsonSerde, stringSerde } from '../../core/schema';
import type { LogClient } from '../../core/client';
import { type ExampleRun, type ReadRecord, readTopic, readTopicOn, runExample, runExampleOn, runMain } from '../support/run-example';
import { COUNTS, LINES, wordCountTopology } from './topology';

export const SAMPLE_LINES = ['the quick brown fox jumps over the lazy dog', 'the dog sleeps', 'a fox is quick and a dog is lazy'];

export async function runWordCount(dir: string, print: (s: string) => void = console.log): Promise<Map<string, number>> {
  const topology = wordCountTopology();
  print(topology.describe());
  let counts = new Map<string, number>();
  await runExample(
    wordCountRun(topology, (c) => (counts = c)),
    dir,
    async (rill) => {
      const updates = await readTopic(rill, COUNTS, stringSerde(), jsonSerde<number>());
      print(`\n${updates.length} updates on topic ${COUNTS}; the counts table (store word-counts):`);
      for (const [word, n] of counts) print(`  ${word.padEnd(8)} ${n}`);
    },
  );
  return counts;
}

/** The same word count on any LogClient (a Rill cluster, Apache Kafka): the counts table and the updates written to COUNTS. */
export async function wordCountOn(log: LogClient): Promise<{ counts: Map<string, number>; updates: ReadRecord<string, number>[] }> {
  let counts = new Map<string, number>();
  await runExampleOn(
    wordCountRun(wordCountTopology(), (c) => (counts = c)),
    log,
  );
  return { counts, updates: await readTopicOn(log, COUNTS, stringSerde(), jsonSerde<number>()) };
}

/** The sample lines into a 2-partition input topic; the counts table, sorted by word, handed to `seen` once caught up. */
function wordCountRun(topology: ReturnType<typeof wordCountTopology>, seen: (counts: Map<string, number>) => void): ExampleRun {
  return {
    topology,
    inputs: [{ topic: LINES, partitions: 2, records: SAMPLE_LINES.map((value) => ({ value })) }],
    query: (app) => seen(new Map([...app.store<string, number>('word-counts').all()].sort(([a], [b]) => a.localeCompare(b)))),
  };
}

if (require.main === module) runMain('wordcount', (dir) => runWordCount(dir));
