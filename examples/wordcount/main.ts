// `npm run example:wordcount`: word count on the embedded log. Writes a few
// lines to text-lines (2 partitions), runs the pipeline until it has caught
// up, prints the topology and the counts (an interactive query of the store
// word-counts), and stops. `--dir <path>` keeps the data.
import { jsonSerde, stringSerde } from '../../core/schema';
import type { LogClient } from '../../core/client';
import { readTopic, runExample, runMain } from '../support/run-example';
import { COUNTS, LINES, wordCountTopology } from './topology';

export const SAMPLE_LINES = ['the quick brown fox jumps over the lazy dog', 'the dog sleeps', 'a fox is quick and a dog is lazy'];

/** The word count on `target`: a directory (the embedded log) or any LogClient. */
export async function runWordCount(target: string | LogClient, print: (s: string) => void = console.log): Promise<Map<string, number>> {
  const topology = wordCountTopology();
  print(topology.describe());
  let counts = new Map<string, number>();
  await runExample(
    {
      topology,
      inputs: [{ topic: LINES, partitions: 2, records: SAMPLE_LINES.map((value) => ({ value })) }],
      query: (app) => {
        counts = new Map([...app.store<string, number>('word-counts').all()].sort(([a], [b]) => a.localeCompare(b)));
      },
    },
    target,
    async (log) => {
      const updates = await readTopic(log, COUNTS, stringSerde(), jsonSerde<number>());
      print(`\n${updates.length} updates on topic ${COUNTS}; the counts table (store word-counts):`);
      for (const [word, n] of counts) print(`  ${word.padEnd(8)} ${n}`);
    },
  );
  return counts;
}

if (require.main === module) runMain('wordcount', (dir) => runWordCount(dir));
