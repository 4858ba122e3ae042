import { jsonSerde, stringSerde } from '../../../core/schema';
import { InMemoryWindowStore } from '../../../dsl/state/window-store';
import { windowedSerde } from '../../../dsl';

test('windows by key and start; changelog keys carry the window; expiry writes tombstones; restore round-trips', () => {
  const s = new InMemoryWindowStore('w', stringSerde(), jsonSerde<number>(), 'app-w-changelog');
  s.put('k', { start: 0, end: 10 }, 1);
  s.put('k', { start: 10, end: 20 }, 2);
  s.put('j', { start: 0, end: 10 }, 3);
  expect(s.fetch('k', 0, 10)).toEqual([
    { window: { start: 0, end: 10 }, value: 1 },
    { window: { start: 10, end: 20 }, value: 2 },
  ]);
  const log: [unknown, string | null][] = [];
  const wk = windowedSerde(stringSerde());
  const flush = () =>
    s.flushChangelog(
      (k, v) => log.push([(wk.deserialize(k) as { right: unknown }).right, v?.toString() ?? null]),
      () => undefined,
    );
  flush();
  expect(s.expireBefore(15)).toBe(2);
  flush();
  expect(log).toEqual([
    [{ key: 'k', window: { start: 0, end: 10 } }, '1'],
    [{ key: 'k', window: { start: 10, end: 20 } }, '2'],
    [{ key: 'j', window: { start: 0, end: 10 } }, '3'],
    [{ key: 'k', window: { start: 0, end: 10 } }, null],
    [{ key: 'j', window: { start: 0, end: 10 } }, null],
  ]);
  const copy = new InMemoryWindowStore('w', stringSerde(), jsonSerde<number>(), 'app-w-changelog');
  for (const [k, v] of s.snapshot()) copy.restore(k, v);
  expect([...copy.all()]).toEqual([[{ key: 'k', window: { start: 10, end: 20 } }, 2]]);
  expect(copy.dirtyCount).toBe(0);
});

test('a session that grows keeps its start; the old (start, end) is tombstoned', () => {
  const s = new InMemoryWindowStore('sess', stringSerde(), jsonSerde<number>(), 'c');
  s.put('u', { start: 0, end: 5 }, 1);
  s.flushChangelog(
    () => undefined,
    () => undefined,
  );
  s.put('u', { start: 0, end: 9 }, 2);
  const log: string[] = [];
  s.flushChangelog(
    (k, v) => log.push(`${Number(k.readBigInt64BE(k.length - 8))}=${v?.toString() ?? null}`),
    () => undefined,
  );
  expect(log.sort()).toEqual(['5=null', '9=2']);
});
