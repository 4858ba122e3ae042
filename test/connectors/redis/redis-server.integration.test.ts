// Redis connectors against a real redis-server (started here on a free port):
// the sink cases of the mock run again, then what only a server can show —
// refusals (WRONGTYPE), consumer groups (XREADGROUP/XACK), and restarts.
import type { Redis } from 'ioredis';
import { memoryLogger } from '../../../dsl';
import { redisConnection, redisStreamSource, redisTableSink, SinkTask, SourceTask } from '../../../connectors';
import { eventually, headerMap, openTempRill, readTopic, type TempRill } from '../support';
import { hasRedisServer, startRedisServer, type RedisServer } from './redis-server';
import { describeRedisSinkCases } from './sink-cases';

const describeWithServer = hasRedisServer ? describe : describe.skip;
if (!hasRedisServer) {
  console.warn('redis-server not installed: skipping Redis integration tests (apt-get install redis-server)');
  // CI must run them: .ci/apt-packages lists redis-server.
  if (process.env.CI) test('redis-server is installed in CI', () => expect(hasRedisServer).toBe(true));
}

describeWithServer('against redis-server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeRedisSinkCases('redis-server', () => redisConnection(server.url));

  describe('what only a real server shows', () => {
    let t: TempRill;
    let redis: Redis;
    beforeEach(async () => {
      t = openTempRill();
      redis = redisConnection(server.url);
      await redis.flushall().catch(async () => {
        // The offline queue is off: the first command may come before the connection is ready.
        await new Promise((r) => redis.once('ready', r));
        await redis.flushall();
      });
    });
    afterEach(async () => {
      redis.disconnect();
      await t.close();
    });

    test('a write Redis refuses (WRONGTYPE) goes to the dead-letter topic with the reason', async () => {
      await redis.set('user:1', 'a string, not a hash');
      await t.rill.admin.createTopics([
        { name: 'users', partitions: 1 },
        { name: 'users-dlt', partitions: 1 },
      ]);
      await t.rill.producer().send('users', [
        { key: '1', value: JSON.stringify({ name: 'Ada' }) },
        { key: '2', value: JSON.stringify({ name: 'Alan' }) },
      ]);
      const sink = redisTableSink({ redis, mode: 'hash', hashUpdate: 'merge', keyPrefix: 'user:' });
      const task = new SinkTask(t.client, sink, { topics: ['users'], logger: memoryLogger(), badRecords: { deadLetterTopic: 'users-dlt' } });
      await task.start();
      await task.waitUntilCaughtUp();
      await task.stop();
      expect(await redis.hgetall('user:2')).toEqual({ name: 'Alan' });
      const dlt = await readTopic(t.rill, 'users-dlt');
      expect(dlt).toHaveLength(1);
      expect(headerMap(dlt[0])['rill.error']).toMatch(/^redis refused: WRONGTYPE/);
      expect(headerMap(dlt[0])['rill.source.offset']).toBe('0');
    });

    test('the Streams source reads with a consumer group and acknowledges only what the log has', async () => {
      for (let i = 0; i < 5; i++) await redis.xadd('clicks', '*', 'key', `u${i}`, 'value', JSON.stringify({ n: i }));
      const source = redisStreamSource({ redis, stream: 'clicks', group: 'rill', blockMs: 50 });
      const task = new SourceTask(t.client, source, { topic: 'clicks', partitions: 1, logger: memoryLogger(), maxBatch: 2 });
      await task.start();
      await eventually(async () => (await readTopic(t.rill, 'clicks')).length === 5, '5 records in the topic');
      await eventually(async () => ((await redis.xpending('clicks', 'rill')) as [number])[0] === 0, 'no pending entries');
      await task.stop();
      const records = await readTopic(t.rill, 'clicks');
      expect(records.map((r) => r.key!.toString())).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
      expect(records.map((r) => JSON.parse(r.value!.toString()).n)).toEqual([0, 1, 2, 3, 4]);
    });

    test('entries delivered but never acknowledged (a crash) are read again by the next run', async () => {
      await redis.xgroup('CREATE', 'jobs', 'rill', '0', 'MKSTREAM');
      await redis.xadd('jobs', '*', 'value', '"first"');
      await redis.xadd('jobs', '*', 'value', '"second"');
      // A previous run took both and died before the log acknowledged them.
      await redis.xreadgroup('GROUP', 'rill', 'worker', 'COUNT', 10, 'STREAMS', 'jobs', '>');
      const source = redisStreamSource({ redis, stream: 'jobs', group: 'rill', consumer: 'worker', blockMs: 50 });
      const task = new SourceTask(t.client, source, { topic: 'jobs', partitions: 1, logger: memoryLogger() });
      await task.start();
      await eventually(async () => (await readTopic(t.rill, 'jobs')).length === 2, 'both jobs in the topic');
      await eventually(async () => ((await redis.xpending('jobs', 'rill')) as [number])[0] === 0, 'no pending entries');
      await task.stop();
      expect((await readTopic(t.rill, 'jobs')).map((r) => JSON.parse(r.value!.toString()))).toEqual(['first', 'second']);
    });
  });
});

describeWithServer('a Redis restart', () => {
  let server: RedisServer;
  let t: TempRill;
  beforeAll(async () => {
    // Durable (AOF, fsync always): what Redis acknowledged survives its crash, so the test can check nothing acknowledged is lost.
    server = await startRedisServer({ durable: true });
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    t = openTempRill();
  });
  afterEach(async () => {
    await t.close();
  });

  test('the table sink retries through a crash and restart; every committed update is in Redis', async () => {
    const redis = redisConnection(server.url);
    await t.rill.admin.createTopics([{ name: 'counts', partitions: 2 }]);
    const send = (from: number, to: number) =>
      t.rill.producer().send(
        'counts',
        Array.from({ length: to - from }, (_, i) => ({ key: `k${(from + i) % 50}`, value: String(from + i) })),
      );
    await send(0, 200);
    const logger = memoryLogger();
    const task = new SinkTask(t.client, redisTableSink({ redis, keyPrefix: 'c:' }), {
      topics: ['counts'],
      logger,
      maxBatch: 20,
      retry: { initialMs: 20, maxMs: 200 },
    });
    await task.start();
    await task.waitUntilCaughtUp();
    await server.kill();
    await send(200, 400);
    await eventually(() => task.stats.retries > 0, 'the sink to report a failed write');
    expect(logger.lines.some((l) => l.startsWith('WARN sink redis-table-c: write failed'))).toBe(true);
    // Nothing written while Redis is down may be committed.
    const committedWhileDown = [...(await t.client.committedOffsets('connect-redis-table-c', 'counts')).values()].reduce((a, b) => a + b, 0);
    expect(committedWhileDown).toBe(200);
    await server.restart();
    await task.waitUntilCaughtUp();
    await task.stop();
    const check = redisConnection(server.url);
    await new Promise((r) => (check.status === 'ready' ? r(undefined) : check.once('ready', r)));
    // The last value of each key is from the second half (200..399).
    const values = await check.mget(...Array.from({ length: 50 }, (_, i) => `c:k${i}`));
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => String(350 + i)));
    check.disconnect();
    redis.disconnect();
  });

  test('the Streams source resumes after a restart, re-reading what it had not acknowledged', async () => {
    const redis = redisConnection(server.url);
    await new Promise((r) => (redis.status === 'ready' ? r(undefined) : redis.once('ready', r)));
    await redis.del('orders');
    for (let i = 0; i < 3; i++) await redis.xadd('orders', '*', 'value', String(i));
    const logger = memoryLogger();
    const source = redisStreamSource({ redis, stream: 'orders', group: 'rill', blockMs: 50 });
    const task = new SourceTask(t.client, source, { topic: 'orders', partitions: 1, logger, retry: { initialMs: 20, maxMs: 200 } });
    await task.start();
    await eventually(async () => (await readTopic(t.rill, 'orders')).length === 3, 'the first 3 entries in the topic');
    await server.kill();
    await eventually(() => task.stats.retries > 0, 'the source to report a failed read');
    await server.restart();
    await eventually(() => redis.status === 'ready', 'the connection to come back');
    for (let i = 3; i < 6; i++) await redis.xadd('orders', '*', 'value', String(i));
    await eventually(async () => (await readTopic(t.rill, 'orders')).length >= 6, 'entries added after the restart in the topic');
    await task.stop();
    const values = (await readTopic(t.rill, 'orders')).map((r) => Number(r.value!.toString()));
    // At-least-once: every entry is there, in order; a re-read after the crash may repeat one.
    expect([...new Set(values)]).toEqual([0, 1, 2, 3, 4, 5]);
    redis.disconnect();
  });
});
