import { jsonSerde, stringSerde } from '../../core/schema';
import { TopologyTestDriver } from '../../dsl';
import { runWordCount, SAMPLE_LINES } from '../../examples/wordcount/main';
import { COUNTS, LINES, wordCountTopology } from '../../examples/wordcount/topology';
import { tempDirs } from '../support/tmp-dir';

const dirs = tempDirs('example-wordcount');
afterAll(() => dirs.removeAll());

test('wordcount in the test driver: one update per word, counts table in the store', () => {
  const d = new TopologyTestDriver(wordCountTopology());
  d.inputTopic<string, string>(LINES).pipeInput(null, 'the cat and the hat', 1);
  d.inputTopic<string, string>(LINES).pipeInput(null, "The cat's hat", 2);
  expect(d.outputTopic(COUNTS, { key: stringSerde(), value: jsonSerde<number>() }).readKeyValuesToList()).toEqual([
    ['the', 1],
    ['cat', 1],
    ['and', 1],
    ['the', 2],
    ['hat', 1],
    ['the', 3],
    ["cat's", 1],
    ['hat', 2],
  ]);
  expect(d.keyValueStore<string, number>('word-counts').get('the')).toBe(3);
});

test('npm run example:wordcount: the counts on the embedded log, through a real repartition topic (2 partitions)', async () => {
  const lines: string[] = [];
  const counts = await runWordCount(dirs.make(), (s) => lines.push(s));
  expect(Object.fromEntries(counts)).toEqual({ a: 2, and: 1, brown: 1, dog: 3, fox: 2, is: 2, jumps: 1, lazy: 2, over: 1, quick: 2, sleeps: 1, the: 3 });
  expect(lines.join('\n')).toMatch(/Repartition topics: wordcount-word-counts-repartition/);
  expect(lines.join('\n')).toMatch(/21 updates on topic word-counts/);
  expect(SAMPLE_LINES.join(' ').split(' ').length).toBe(21);
});
