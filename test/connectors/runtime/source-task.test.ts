// The source runner's rules: the outside position is acknowledged only after
// the log acknowledged the records; bad input follows the policy; an
// unreachable outside is retried with backoff.
import { memoryLogger } from '../../../dsl';
import { ConnectorRunner, SourceTask, type SourceConnector, type SourceEntry, type SourcePoll } from '../../../connectors';
import { headerMap, instantClock, openTempRill, readTopic, type TempRill } from '../support';

let t: TempRill;
beforeEach(() => {
  t = openTempRill();
});
afterEach(async () => {
  await t.close();
});

type Entry = SourceEntry<string, unknown, number>;

/** A source over a fixed list of polls; records what was acknowledged and what the log held at that moment. */
function scriptedSource(polls: SourcePoll<string, unknown, number>[]) {
  const acknowledged: number[] = [];
  const logSizeAtAck: number[] = [];
  const source: SourceConnector<string, unknown, number> = {
    name: 'scripted',
    async poll() {
      return polls.shift() ?? { kind: 'entries', entries: [], end: true };
    },
    async acknowledge(entries) {
      const offsets = await t.client.offsets('in');
      logSizeAtAck.push(offsets.reduce((n, o) => n + o.end, 0));
      acknowledged.push(...entries.map((e) => e.position));
    },
  };
  return { source, acknowledged, logSizeAtAck };
}

const rec = (n: number, value: unknown = n): Entry => ({ kind: 'record', record: { key: `k${n}`, value }, position: n });
const bad = (n: number): Entry => ({ kind: 'bad', reason: `line ${n} is not JSON`, raw: Buffer.from(`garbage ${n}`), position: n });

test('positions are acknowledged after the log has the records, in order', async () => {
  const { source, acknowledged, logSizeAtAck } = scriptedSource([
    { kind: 'entries', entries: [rec(1), rec(2)] },
    { kind: 'entries', entries: [rec(3)], end: true },
  ]);
  const task = new SourceTask(t.client, source, { topic: 'in', partitions: 1, logger: memoryLogger() });
  await task.start();
  await task.done;
  expect(task.reachedEnd).toBe(true);
  expect(acknowledged).toEqual([1, 2, 3]);
  expect(logSizeAtAck).toEqual([2, 3]);
  const records = await readTopic(t.rill, 'in');
  expect(records.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString())])).toEqual([
    ['k1', 1],
    ['k2', 2],
    ['k3', 3],
  ]);
});

test('bad input goes to the dead-letter topic and is acknowledged with its batch', async () => {
  await t.rill.admin.createTopics([{ name: 'in-dlt', partitions: 1 }]);
  const { source, acknowledged } = scriptedSource([{ kind: 'entries', entries: [rec(1), bad(2), rec(3)], end: true }]);
  const task = new SourceTask(t.client, source, { topic: 'in', partitions: 1, logger: memoryLogger(), badRecords: { deadLetterTopic: 'in-dlt' } });
  await task.start();
  await task.done;
  expect(acknowledged).toEqual([1, 2, 3]);
  expect((await readTopic(t.rill, 'in')).length).toBe(2);
  const dlt = await readTopic(t.rill, 'in-dlt');
  expect(dlt.map((r) => r.value!.toString())).toEqual(['garbage 2']);
  expect(headerMap(dlt[0])).toMatchObject({ 'rill.error': 'line 2 is not JSON', 'rill.source.position': '2', 'rill.connector': 'scripted' });
});

test("'fail' acknowledges what precedes the bad input and stops", async () => {
  const { source, acknowledged } = scriptedSource([{ kind: 'entries', entries: [rec(1), bad(2), rec(3)] }]);
  const logger = memoryLogger();
  const task = new SourceTask(t.client, source, { topic: 'in', partitions: 1, logger });
  await task.start();
  await expect(task.done).rejects.toThrow(/bad record at source scripted, position 2: line 2 is not JSON/);
  expect(acknowledged).toEqual([1]);
  expect((await readTopic(t.rill, 'in')).length).toBe(1);
});

test('a value the serde refuses is a bad record', async () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const { source, acknowledged } = scriptedSource([{ kind: 'entries', entries: [rec(1, circular), rec(2)], end: true }]);
  const logger = memoryLogger();
  const task = new SourceTask(t.client, source, { topic: 'in', partitions: 1, logger, badRecords: 'skip' });
  await task.start();
  await task.done;
  expect(acknowledged).toEqual([1, 2]);
  expect(logger.lines.some((l) => l.includes('value does not serialize as json'))).toBe(true);
});

test('an unreachable source is retried with backoff and reported', async () => {
  const clock = instantClock();
  const logger = memoryLogger();
  const { source, acknowledged } = scriptedSource([
    { kind: 'unavailable', reason: 'ECONNREFUSED' },
    { kind: 'unavailable', reason: 'ECONNREFUSED' },
    { kind: 'entries', entries: [rec(1)], end: true },
  ]);
  const task = new SourceTask(t.client, source, { topic: 'in', partitions: 1, logger, clock });
  await task.start();
  await task.done;
  expect(clock.waits).toEqual([100, 200]);
  expect(acknowledged).toEqual([1]);
  expect(logger.lines.filter((l) => l.includes('poll failed') && l.includes('ECONNREFUSED'))).toHaveLength(2);
});

test('the runner stops sources, then sinks, gracefully', async () => {
  const never: SourceConnector<string, unknown, number> = {
    name: 'idle',
    poll: (_max, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({ kind: 'entries', entries: [] }))),
    acknowledge: async () => undefined,
  };
  const runner = new ConnectorRunner({ log: t.rill, logger: memoryLogger() });
  const source = runner.source(never, { topic: 'in', partitions: 1 });
  await runner.start();
  expect(source.state).toBe('running');
  await runner.stop();
  await runner.done;
  expect(source.state).toBe('stopped');
});
