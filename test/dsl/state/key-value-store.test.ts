import { jsonSerde, stringSerde } from '../../../core/schema';
import { InMemoryKeyValueStore } from '../../../dsl/state/key-value-store';

const changes = (s: InMemoryKeyValueStore<any, any>) => {
  const out: [string, string | null][] = [];
  s.flushChangelog(
    (k, v) => out.push([k.toString(), v?.toString() ?? null]),
    (e) => out.push(['error', e.message]),
  );
  return out;
};

test('write-behind changelog: one record per changed key per flush, tombstones for deletes', () => {
  const s = new InMemoryKeyValueStore('s', stringSerde(), jsonSerde<number>(), 'app-s-changelog');
  s.put('a', 1);
  s.put('a', 2);
  s.put('b', 1);
  s.put('c', 1);
  s.delete('c');
  s.delete('never');
  expect(s.dirtyCount).toBe(3);
  expect(changes(s)).toEqual([
    ['a', '2'],
    ['b', '1'],
    ['c', null],
  ]);
  expect(changes(s)).toEqual([]);
  s.delete('a');
  s.put('a', 5);
  expect(changes(s)).toEqual([['a', '5']]);
});

test('object keys are identified by their serialized bytes', () => {
  const s = new InMemoryKeyValueStore<{ id: number }, string>('o', jsonSerde(), jsonSerde(), undefined);
  s.put({ id: 1 }, 'x');
  expect(s.get({ id: 1 })).toBe('x');
  expect([...s.all()]).toEqual([[{ id: 1 }, 'x']]);
  expect(s.dirtyCount).toBe(0); // no changelog: nothing tracked
});

test('restore applies changelog records and reports undecodable ones as values', () => {
  const s = new InMemoryKeyValueStore('s', stringSerde(), jsonSerde<number>(), 'c');
  expect(s.restore(Buffer.from('a'), Buffer.from('1'))).toBeUndefined();
  expect(s.restore(Buffer.from('b'), Buffer.from('2'))).toBeUndefined();
  expect(s.restore(Buffer.from('a'), null)).toBeUndefined();
  expect(s.restore(Buffer.from('c'), Buffer.from('{'))?.message).toMatch(/not valid JSON/);
  expect([...s.all()]).toEqual([['b', 2]]);
  expect([...s.snapshot()].map(([k, v]) => [k.toString(), v.toString()])).toEqual([['b', '2']]);
  expect(s.dirtyCount).toBe(0);
});
