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

test("a restored record supersedes the unflushed change of its windowed key only; other keys' changes still wait", () => {
  const s = new InMemoryWindowStore('w', stringSerde(), jsonSerde<number>(), 'c');
  const wk = windowedSerde(stringSerde());
  const changelogKey = (key: string, start: number, end: number) => {
    const k = wk.serialize({ key, window: { start, end } });
    if (k._tag === 'Left') throw new Error(k.left.message);
    return k.right;
  };
  s.put('a', { start: 0, end: 10 }, 1);
  s.put('b', { start: 0, end: 10 }, 2);
  // A record of another key: 'a' and 'b' still wait for the changelog (a restore once dropped every pending change).
  expect(s.restore(changelogKey('c', 0, 10), Buffer.from('3'))).toBeUndefined();
  expect(s.dirtyCount).toBe(2);
  // A record of 'b''s own window: the changelog holds it, so 'b''s change no longer waits.
  expect(s.restore(changelogKey('b', 0, 10), Buffer.from('9'))).toBeUndefined();
  expect(s.get('b', 0)?.value).toBe(9);
  expect(s.restore(changelogKey('c', 0, 10), null)).toBeUndefined();
  expect(s.size).toBe(2);
  const written: [unknown, string | null][] = [];
  s.flushChangelog(
    (k, v) => written.push([(wk.deserialize(k) as { right: unknown }).right, v?.toString() ?? null]),
    () => undefined,
  );
  expect(written).toEqual([[{ key: 'a', window: { start: 0, end: 10 } }, '1']]);
  expect(s.dirtyCount).toBe(0);
});
