import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonSerde, stringSerde } from '../../../core/schema';
import { loadSnapshot, snapshotPath, writeSnapshot } from '../../../dsl/runtime/local-snapshot';
import { InMemoryKeyValueStore } from '../../../dsl/state/key-value-store';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-snapshot');
afterAll(() => dirs.removeAll());

test('a snapshot round-trips the entries and its checkpoint; a torn one is ignored', () => {
  const dir = dirs.make();
  const file = snapshotPath(dir, 'app', 3, 'counts');
  expect(file).toBe(path.join(dir, 'app', '3', 'counts.snapshot'));
  const store = new InMemoryKeyValueStore('counts', stringSerde(), jsonSerde<number>(), 'c');
  store.put('a', 1);
  store.put('b', 2);
  writeSnapshot(file, store, 42);
  const loaded = new InMemoryKeyValueStore('counts', stringSerde(), jsonSerde<number>(), 'c');
  expect(loadSnapshot(file, loaded)).toBe(42);
  expect([...loaded.all()]).toEqual([
    ['a', 1],
    ['b', 2],
  ]);
  fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 20));
  const torn = new InMemoryKeyValueStore('counts', stringSerde(), jsonSerde<number>(), 'c');
  expect(loadSnapshot(file, torn)).toBeUndefined();
  expect(torn.size).toBe(0);
  expect(loadSnapshot(path.join(dir, 'missing'), torn)).toBeUndefined();
});
