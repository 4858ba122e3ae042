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

test('dirty tracking lives in the entries: each changed key once, in first-change order, across put, delete and put again', () => {
  const s = new InMemoryKeyValueStore('s', stringSerde(), jsonSerde<number>(), 'c');
  s.put('x', 1);
  s.put('y', 1);
  s.delete('x');
  s.put('x', 2);
  s.delete('x');
  s.put('y', 3);
  s.put('z', 1);
  expect(s.dirtyCount).toBe(3);
  expect(changes(s)).toEqual([
    ['x', null],
    ['y', '3'],
    ['z', '1'],
  ]);
  // Flushed entries are clean: only what changes after the flush is written next.
  s.put('z', 2);
  s.delete('y');
  expect(s.dirtyCount).toBe(2);
  expect(changes(s)).toEqual([
    ['z', '2'],
    ['y', null],
  ]);
  expect([...s.all()]).toEqual([['z', 2]]);
  s.clear();
  expect(s.dirtyCount).toBe(0);
  expect(changes(s)).toEqual([]);
});

test('a key whose value did not serialize is not written again at the next flush unless it changes again', () => {
  const s = new InMemoryKeyValueStore<string, unknown>('s', stringSerde(), jsonSerde(), 'c');
  s.put('bad', () => 1);
  s.put('ok', 1);
  expect(changes(s)).toEqual([
    ['error', expect.stringMatching(/cannot be written as JSON/)],
    ['ok', '1'],
  ]);
  expect(changes(s)).toEqual([]);
});

test('a flush whose writer throws part way leaves the keys it did not write for the next flush', () => {
  const s = new InMemoryKeyValueStore<string, string>('s', stringSerde(), stringSerde(), 'cl');
  s.put('a', '1');
  s.put('b', '1');
  s.delete('a');
  s.put('c', '1');
  let calls = 0;
  expect(() =>
    s.flushChangelog(
      () => {
        if (++calls === 2) throw new Error('send failed');
      },
      () => undefined,
    ),
  ).toThrow('send failed');
  // 'a' (its tombstone) was written; 'b' failed and 'c' was never tried.
  s.put('b', '2');
  expect(changes(s)).toEqual([
    ['b', '2'],
    ['c', '1'],
  ]);
  expect(changes(s)).toEqual([]);
});

describe("a restored record supersedes its key's unflushed change", () => {
  const store = () => new InMemoryKeyValueStore<string, number>('s', stringSerde(), jsonSerde<number>(), 'c');
  const restore = (s: InMemoryKeyValueStore<string, number>, key: string, value: number | null) =>
    expect(s.restore(Buffer.from(key), value === null ? null : Buffer.from(JSON.stringify(value)))).toBeUndefined();

  test('a restore that deletes a dirty key, then a put of it: the key is listed once and written once', () => {
    const s = store();
    s.put('a', 1);
    s.put('b', 1);
    restore(s, 'a', null);
    expect(s.dirtyCount).toBe(1);
    s.put('a', 2);
    expect(s.dirtyCount).toBe(2);
    expect(changes(s)).toEqual([
      ['b', '1'],
      ['a', '2'],
    ]);
    expect(s.dirtyCount).toBe(0);
  });

  test('a restored value over a dirty key: the store holds it and nothing waits for the changelog', () => {
    const s = store();
    s.put('a', 1);
    restore(s, 'a', 7);
    expect(s.get('a')).toBe(7);
    expect(s.dirtyCount).toBe(0);
    expect(changes(s)).toEqual([]);
    s.put('a', 8);
    expect(changes(s)).toEqual([['a', '8']]);
  });

  test('a restored value over a pending delete: no tombstone follows it, and a later put is written once', () => {
    const s = store();
    s.put('a', 1);
    expect(changes(s)).toEqual([['a', '1']]);
    s.delete('a');
    restore(s, 'a', 5);
    expect(s.get('a')).toBe(5);
    expect(s.dirtyCount).toBe(0);
    expect(changes(s)).toEqual([]);
    s.put('a', 6);
    expect(s.dirtyCount).toBe(1);
    expect(changes(s)).toEqual([['a', '6']]);
  });

  test('a restore that deletes a key whose delete is pending: its tombstone no longer waits, a put after is written once', () => {
    const s = store();
    s.put('a', 1);
    changes(s);
    s.delete('a');
    restore(s, 'a', null);
    expect(s.dirtyCount).toBe(0);
    s.put('a', 3);
    expect(changes(s)).toEqual([['a', '3']]);
  });

  test("a record that does not decode leaves the key's change pending", () => {
    const s = store();
    s.put('a', 1);
    expect(s.restore(Buffer.from('a'), Buffer.from('{'))?.message).toMatch(/not valid JSON/);
    expect(s.dirtyCount).toBe(1);
    expect(changes(s)).toEqual([['a', '1']]);
  });
});

test('update reads and writes a key in one call: same values and changelog as get then put', () => {
  const s = new InMemoryKeyValueStore('s', stringSerde(), jsonSerde<number>(), 'app-s-changelog');
  const add = (n: number | undefined, by: number) => (n ?? 0) + by;
  expect(s.update('a', add, 2)).toBe(2); // a new key
  expect(s.update('a', add, 3)).toBe(5); // an existing one
  expect(s.get('a')).toBe(5);
  expect(changes(s)).toEqual([['a', '5']]);
  expect(s.update('a', add, 1)).toBe(6); // clean again, then changed: written once more
  s.delete('b');
  s.put('b', 1);
  s.delete('b');
  expect(s.update('b', add, 7)).toBe(7); // deleted before the flush, then updated: its value, not a tombstone
  expect(changes(s)).toEqual([
    ['a', '6'],
    ['b', '7'],
  ]);
});

test('update whose function throws writes nothing', () => {
  const s = new InMemoryKeyValueStore('s', stringSerde(), jsonSerde<number>(), 'c');
  s.put('a', 1);
  changes(s);
  const fail = () => {
    throw new Error('adder failed');
  };
  expect(() => s.update('a', fail, undefined)).toThrow('adder failed');
  expect(() => s.update('new', fail, undefined)).toThrow('adder failed');
  expect(s.get('a')).toBe(1);
  expect(s.get('new')).toBeUndefined();
  expect(s.size).toBe(1);
  expect(changes(s)).toEqual([]);
});
