// mapValues, flatMapValues, selectKey/rekey, groupBy/groupByKey, merge, to, and
// plain RxJS operators on record streams.
import { filter, map, mergeMap, of } from 'rxjs';
import { StreamsBuilder, count, flatMapValues, groupBy, groupByKey, mapValues, merge, rekey, selectKey, to, type KRecord } from '../../../dsl';
import { drive, num, str, stringStream } from '../helpers';

test('mapValues keeps key and timestamp', () => {
  const { builder, stream } = stringStream();
  stream.pipe(
    mapValues((v, k) => `${k}:${v.length}`),
    to('out', { key: str, value: str }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'abc', 7);
  expect(d.outputTopic('out', { key: str, value: str }).readRecordsToList()).toEqual([{ key: 'k', value: 'k:3', timestamp: 7 }]);
});

test('flatMapValues: zero or more records per input, same key and timestamp', () => {
  const { builder, stream } = stringStream();
  stream.pipe(
    flatMapValues((v) => v.split(',').filter(Boolean)),
    to('out', { key: str, value: str }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'a,b', 1);
  d.inputTopic<string, string>('in').pipeInput('k', '', 2);
  expect(d.outputTopic('out', { key: str, value: str }).readRecordsToList()).toEqual([
    { key: 'k', value: 'a', timestamp: 1 },
    { key: 'k', value: 'b', timestamp: 1 },
  ]);
});

test('selectKey/rekey change the key; a keyed step after them gets a repartition topic, a sink does not', () => {
  const { builder, stream } = stringStream('app');
  stream.pipe(
    selectKey((r) => r.value.toUpperCase(), { keySerde: str }),
    to('direct', { key: str, value: str }),
  );
  stream.pipe(
    rekey((r) => r.value, { keySerde: str }),
    groupByKey(),
    count({ store: 'n' }),
  );
  const topology = builder.build();
  expect(topology.repartitionTopics).toEqual(['app-groupByKey-0-repartition']);
  const d = drive(topology);
  d.inputTopic<string, string>('in').pipeInput('k', 'x', 1);
  expect(d.outputTopic('direct', { key: str, value: str }).readKeyValuesToList()).toEqual([['X', 'x']]);
  expect(d.keyValueStore('n').get('x')).toBe(1);
});

test('groupBy re-keys and groups in one step; groupByKey with an unchanged key adds no repartition', () => {
  const { builder, stream } = stringStream('g');
  stream.pipe(
    groupBy((r) => r.value.length, { keySerde: num }),
    count({ store: 'by-length' }),
  );
  stream.pipe(groupByKey(), count({ store: 'by-key' }));
  const topology = builder.build();
  expect(topology.repartitionTopics).toEqual(['g-by-length-repartition']);
  const d = drive(topology);
  for (const v of ['a', 'bb', 'cc']) d.inputTopic<string, string>('in').pipeInput('k', v, 1);
  expect([...d.keyValueStore('by-length').all()]).toEqual([
    [1, 1],
    [2, 2],
  ]);
  expect(d.keyValueStore('by-key').get('k')).toBe(3);
});

test('merge interleaves streams as records arrive', () => {
  const b = new StreamsBuilder('m');
  const left = b.stream('left', { key: str, value: str });
  const right = b.stream('right', { key: str, value: str });
  left.pipe(merge(right), to('out', { key: str, value: str }));
  const d = drive(b.build());
  d.inputTopic<string, string>('left').pipeInput('a', 'l1', 1);
  d.inputTopic<string, string>('right').pipeInput('b', 'r1', 2);
  d.inputTopic<string, string>('left').pipeInput('c', 'l2', 3);
  expect(d.outputTopic('out', { key: str, value: str }).readKeyValuesToList()).toEqual([
    ['a', 'l1'],
    ['b', 'r1'],
    ['c', 'l2'],
  ]);
});

test('to() passes records on, so a pipeline can write to several topics', () => {
  const { builder, stream } = stringStream();
  stream.pipe(
    to('first', { key: str, value: str }),
    mapValues((v) => v + '!'),
    to('second', { key: str, value: str }),
  );
  const d = drive(builder.build());
  d.inputTopic<string, string>('in').pipeInput('k', 'v', 1);
  expect(d.outputTopic('first', { key: str, value: str }).readKeyValuesToList()).toEqual([['k', 'v']]);
  expect(d.outputTopic('second', { key: str, value: str }).readKeyValuesToList()).toEqual([['k', 'v!']]);
});

test('plain RxJS operators (map, filter, mergeMap) work on record streams, typed from the serdes', () => {
  const { builder, stream } = stringStream();
  stream.pipe(
    filter((r) => r.value !== 'skip'),
    map((r): KRecord<string, number> => ({ ...r, value: r.value.length })),
    mergeMap((r) => of(r, { ...r, value: r.value * 10 })),
    to('out', { key: str, value: num }),
  );
  const d = drive(builder.build());
  for (const v of ['ab', 'skip', 'xyz']) d.inputTopic<string, string>('in').pipeInput('k', v, 1);
  expect(d.outputTopic('out', { key: str, value: num }).readKeyValuesToList()).toEqual([
    ['k', 2],
    ['k', 20],
    ['k', 3],
    ['k', 30],
  ]);
});

test('a Rill operator used outside a topology says how to use it', () => {
  expect(() => of({ key: 'k', value: 1, timestamp: 0 }).pipe(count()).subscribe()).toThrow(/count\(\) is a Rill operator: use it inside stream.pipe\(\)/);
});
