// The sink runner's rules: offsets are committed only after the outside
// acknowledged the write; a lost connection is retried with backoff and
// reported, committing nothing meanwhile; bad records follow the policy.
import { jsonSerde } from '../../../core/schema';
import { memoryLogger } from '../../../dsl';
import { SinkTask, unavailable, written, type SinkConnector, type SinkRecord, type SinkWriteOutcome } from '../../../connectors';
import { deferred, headerMap, instantClock, openTempRill, readTopic, type TempRill } from '../support';

let t: TempRill;
beforeEach(async () => {
  t = openTempRill();
  await t.rill.admin.createTopics([{ name: 'orders', partitions: 2 }]);
});
afterEach(async () => {
  await t.close();
});

async function produce(values: readonly (string | null)[], key = (i: number) => `k${i}`): Promise<void> {
  await t.rill.producer().send(
    'orders',
    values.map((value, i) => ({ key: key(i), value })),
  );
}

/** A sink that keeps what it is given; `next` decides each write's outcome. */
function memorySink(next: (batch: readonly SinkRecord<string, unknown>[]) => Promise<SinkWriteOutcome> | SinkWriteOutcome = () => written()) {
  const got: SinkRecord<string, unknown>[] = [];
  const sink: SinkConnector<string, unknown> = {
    name: 'memory',
    async write(batch) {
      const outcome = await next(batch);
      if (outcome.kind === 'written') {
        const rejected = new Set(outcome.rejected.map((r) => r.index));
        batch.forEach((r, i) => rejected.has(i) || got.push(r));
      }
      return outcome;
    },
  };
  return { sink, got };
}

async function committed(groupId = 'connect-memory'): Promise<number> {
  const c = await t.client.committedOffsets(groupId, 'orders');
  return [...c.values()].filter((o) => o > 0).reduce((a, b) => a + b, 0);
}

test('offsets are committed only once the sink acknowledged the write', async () => {
  await produce(['1', '2', '3', '4']);
  const gate = deferred();
  const { sink, got } = memorySink(async () => {
    await gate.promise;
    return written();
  });
  const task = new SinkTask(t.client, sink, { topics: ['orders'], logger: memoryLogger(), clock: instantClock() });
  await task.start();
  // The write is in flight and not acknowledged: nothing may be committed.
  await new Promise((r) => setImmediate(r));
  expect(await committed()).toBe(0);
  gate.resolve();
  await task.waitUntilCaughtUp();
  expect(await committed()).toBe(4);
  expect(got.map((r) => r.value).sort()).toEqual([1, 2, 3, 4]);
  await task.stop();
  expect(task.state).toBe('stopped');
});

test('a restarted sink resumes after the committed offsets', async () => {
  await produce(['1', '2']);
  const first = memorySink();
  const a = new SinkTask(t.client, first.sink, { topics: ['orders'], logger: memoryLogger() });
  await a.start();
  await a.waitUntilCaughtUp();
  await a.stop();
  await produce(['3']);
  const second = memorySink();
  const b = new SinkTask(t.client, second.sink, { topics: ['orders'], logger: memoryLogger() });
  await b.start();
  await b.waitUntilCaughtUp();
  await b.stop();
  expect(second.got.map((r) => r.value)).toEqual([3]);
});

test('an unreachable outside is retried with exponential backoff, reported, and nothing is committed meanwhile', async () => {
  await produce(['1', '2', '3']);
  const clock = instantClock();
  const logger = memoryLogger();
  let tries = 0;
  const commitsSeenWhileDown: number[] = [];
  const { sink, got } = memorySink(async () => {
    tries++;
    if (tries <= 4) {
      commitsSeenWhileDown.push(await committed());
      return unavailable('connection refused');
    }
    return written();
  });
  const task = new SinkTask(t.client, sink, { topics: ['orders'], logger, clock, retry: { initialMs: 100, maxMs: 500 } });
  await task.start();
  await task.waitUntilCaughtUp();
  await task.stop();
  expect(clock.waits.slice(0, 4)).toEqual([100, 200, 400, 500]);
  expect(commitsSeenWhileDown.every((c) => c === 0)).toBe(true);
  expect(task.stats.retries).toBeGreaterThanOrEqual(4);
  expect(logger.lines.filter((l) => l.includes('write failed') && l.includes('connection refused')).length).toBeGreaterThanOrEqual(4);
  expect(got.map((r) => r.value).sort()).toEqual([1, 2, 3]);
});

test('a sink that stays unreachable past maxAttempts fails without committing', async () => {
  await produce(['1']);
  const { sink } = memorySink(() => unavailable('down'));
  const task = new SinkTask(t.client, sink, { topics: ['orders'], logger: memoryLogger(), clock: instantClock(), retry: { maxAttempts: 3 } });
  await task.start();
  await expect(task.done).rejects.toThrow(/gave up writing after 3 tries: down/);
  expect(task.state).toBe('failed');
  expect(await committed()).toBe(0);
});

test('stopping while retrying commits nothing that was not written', async () => {
  await produce(['1']);
  const { sink } = memorySink(() => unavailable('down'));
  const clock = instantClock();
  const task = new SinkTask(t.client, sink, { topics: ['orders'], logger: memoryLogger(), clock });
  await task.start();
  while (clock.waits.length < 3) await new Promise((r) => setImmediate(r));
  await task.stop();
  expect(task.state).toBe('stopped');
  expect(await committed()).toBe(0);
});

describe('bad records', () => {
  // Record 1 (on its partition) is not JSON; the sink refuses value 3.
  async function setUp() {
    await t.rill.producer().send('orders', [
      { key: 'a', value: '1', partition: 0 },
      { key: 'b', value: '{not json', partition: 0 },
      { key: 'c', value: '3', partition: 0 },
      { key: 'd', value: '4', partition: 0 },
    ]);
    return memorySink((batch) => written(batch.flatMap((r, index) => (r.value === 3 ? [{ index, reason: 'remote says no to 3' }] : []))));
  }

  test("'skip' logs each with topic/partition/offset and goes on", async () => {
    const { sink, got } = await setUp();
    const logger = memoryLogger();
    const task = new SinkTask(t.client, sink, { topics: ['orders'], logger, badRecords: 'skip', valueSerde: jsonSerde<unknown>() });
    await task.start();
    await task.waitUntilCaughtUp();
    await task.stop();
    expect(got.map((r) => r.value)).toEqual([1, 4]);
    expect(task.stats).toMatchObject({ written: 2, skipped: 2 });
    expect(logger.lines.some((l) => /WARN .*topic orders, partition 0, offset 1: value does not deserialize as json/.test(l))).toBe(true);
    expect(logger.lines.some((l) => /WARN .*topic orders, partition 0, offset 2: remote says no to 3/.test(l))).toBe(true);
  });

  test('a dead-letter topic keeps the raw records with the reason and origin', async () => {
    const { sink, got } = await setUp();
    await t.rill.admin.createTopics([{ name: 'orders-dlt', partitions: 1 }]);
    const task = new SinkTask(t.client, sink, { topics: ['orders'], logger: memoryLogger(), badRecords: { deadLetterTopic: 'orders-dlt' } });
    await task.start();
    await task.waitUntilCaughtUp();
    await task.stop();
    expect(got.map((r) => r.value)).toEqual([1, 4]);
    const dlt = await readTopic(t.rill, 'orders-dlt');
    expect(dlt.map((r) => r.value!.toString())).toEqual(['{not json', '3']);
    expect(headerMap(dlt[0])).toMatchObject({
      'rill.source.topic': 'orders',
      'rill.source.partition': '0',
      'rill.source.offset': '1',
      'rill.connector': 'memory',
    });
    expect(headerMap(dlt[1])['rill.error']).toBe('remote says no to 3');
    expect(dlt[1].key!.toString()).toBe('c');
  });

  test("'fail' stops the connector, committing only what precedes the bad record", async () => {
    const { sink } = await setUp();
    const logger = memoryLogger();
    const task = new SinkTask(t.client, sink, { topics: ['orders'], logger, badRecords: 'fail' });
    await task.start();
    await expect(task.done).rejects.toThrow(/bad record at topic orders, partition 0, offset 1: value does not deserialize/);
    expect((await t.client.committedOffsets('connect-memory', 'orders')).get(0)).toBe(1);
    expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes('offset 1'))).toBe(true);
  });
});

test('a missing topic is a clear start error', async () => {
  const { sink } = memorySink();
  const task = new SinkTask(t.client, sink, { topics: ['nope'], logger: memoryLogger() });
  await expect(task.start()).rejects.toThrow(/topic nope does not exist/);
});
