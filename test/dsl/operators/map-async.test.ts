import { Rill } from '../../../core/client';
import { StreamsBuilder, RillStreams, mapAsync, memoryLogger, selectKey, count, to } from '../../../dsl';
import { drive, num, str, stringStream } from '../helpers';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-map-async');
afterAll(() => dirs.removeAll());

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('mapAsync in the test driver: results after settle(), in input order at concurrency 1, then keyed steps', async () => {
  const { builder, stream } = stringStream();
  const answers: Record<string, ReturnType<typeof deferred<string>>> = { a: deferred(), b: deferred() };
  const calls: string[] = [];
  stream.pipe(
    mapAsync((v) => {
      calls.push(v);
      return answers[v].promise;
    }),
    selectKey((r) => r.value, { keySerde: str }),
    count({ store: 'n' }),
    to('out', { key: str, value: num }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'a', 1);
  d.inputTopic<string, string>('in').pipeInput('k', 'b', 2);
  expect(calls).toEqual(['a']); // concurrency 1: 'b' waits for 'a'
  expect(d.outputTopic('out', { key: str, value: num }).isEmpty()).toBe(true);
  answers.b.resolve('blue');
  answers.a.resolve('red');
  await d.settle();
  expect(calls).toEqual(['a', 'b']);
  expect(d.outputTopic('out', { key: str, value: num }).readKeyValuesToList()).toEqual([
    ['red', 1],
    ['blue', 1],
  ]);
});

test('mapAsync errors follow the processing policy, naming the source record', async () => {
  const { builder, stream } = stringStream();
  stream.pipe(
    mapAsync(async (v) => {
      if (v === 'bad') throw new Error('lookup failed');
      return v.toUpperCase();
    }),
    to('out', { key: str, value: str }),
  );
  const d = drive(builder.build(), { processingErrors: { deadLetterTopic: 'dlq' } });
  for (const v of ['a', 'bad', 'c']) d.inputTopic<string, string>('in').pipeInput('k', v, 1);
  await d.settle();
  expect(d.outputTopic('out', { key: str, value: str }).readKeyValuesToList()).toEqual([
    ['k', 'A'],
    ['k', 'C'],
  ]);
  expect(
    d
      .outputTopic('dlq')
      .readRecordsToList()
      .map((r) => r.headers?.['rill.error']),
  ).toEqual(['mapAsync threw on the record at topic in, partition 0, offset 1: lookup failed']);
});

test('on the embedded log, a commit waits for async work and its writes before committing offsets', async () => {
  const rill = Rill.open({ dir: dirs.make() });
  await rill.admin.createTopics([{ name: 'in', partitions: 1 }]);
  await rill.producer().send('in', [{ key: 'k', value: 'x' }]);
  const started = deferred<void>();
  const gate = deferred<string>();
  const b = new StreamsBuilder('async-app');
  b.stream('in', { key: str, value: str }).pipe(
    mapAsync(() => {
      started.resolve();
      return gate.promise;
    }),
    to('out', { key: str, value: str }),
  );
  const app = new RillStreams(b.build(), { log: rill, logger: memoryLogger(), commitIntervalMs: 60_000 });
  await app.start();
  await started.promise;
  let committed = false;
  const commit = app.commit().then(() => (committed = true));
  await new Promise((r) => setImmediate(r));
  expect(committed).toBe(false);
  expect((await rill.admin.fetchOffsets('async-app', 'in'))[0].offset).toBe(-1);
  gate.resolve('X');
  await commit;
  expect((await rill.admin.fetchOffsets('async-app', 'in'))[0].offset).toBe(1);
  expect((await rill.admin.fetchTopicOffsets('out'))[0].highWatermark).toBe(1);
  await app.stop();
  await rill.close();
});
