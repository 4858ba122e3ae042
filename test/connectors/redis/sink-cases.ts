// The Redis sink cases, run twice: against ioredis-mock (unit, no server) and
// against a real redis-server (integration). Each case runs a SinkTask on an
// embedded Rill and checks what Redis holds afterwards.
import type { Redis } from 'ioredis';
import { memoryLogger, type Logger } from '../../../dsl';
import { redisStreamSink, redisTableSink, SinkTask, type SinkConnector } from '../../../connectors';
import { openTempRill, type TempRill } from '../support';

export function describeRedisSinkCases(where: string, connect: () => Redis): void {
  describe(`redis sinks (${where})`, () => {
    let t: TempRill;
    let redis: Redis;
    beforeEach(async () => {
      t = openTempRill();
      await t.rill.admin.createTopics([{ name: 'table', partitions: 2 }]);
      redis = connect();
      await redis.flushall();
    });
    afterEach(async () => {
      redis.disconnect();
      await t.close();
    });

    async function drain(
      sink: SinkConnector<string, unknown>,
      rows: readonly [string, unknown][],
      logger: Logger = memoryLogger(),
      badRecords: 'skip' | 'fail' = 'fail',
      maxBatch = 3,
    ) {
      await t.rill.producer().send(
        'table',
        rows.map(([key, value]) => ({ key, value: value === null ? null : JSON.stringify(value) })),
      );
      const task = new SinkTask(t.client, sink, { topics: ['table'], logger, badRecords, maxBatch });
      await task.start();
      await task.waitUntilCaughtUp();
      await task.stop();
      return task;
    }

    test('a table materializes as string keys: updates overwrite, tombstones delete', async () => {
      await drain(redisTableSink({ redis, keyPrefix: 'count:' }), [
        ['apple', 1],
        ['pear', 1],
        ['apple', 2],
        ['plum', 7],
        ['pear', null],
        ['fig', 'dried'],
      ]);
      expect((await redis.keys('count:*')).sort()).toEqual(['count:apple', 'count:fig', 'count:plum']);
      expect(await redis.mget('count:apple', 'count:plum', 'count:fig')).toEqual(['2', '7', 'dried']);
    });

    test('within one batch only the last update of a key counts (one MSET, one DEL)', async () => {
      await redis.set('gone', 'before');
      await drain(
        redisTableSink({ redis }),
        [
          ['a', 1],
          ['a', null],
          ['b', 1],
          ['b', null],
          ['b', 2],
          ['gone', null],
        ],
        memoryLogger(),
        'fail',
        1000,
      );
      expect(await redis.exists('a', 'gone')).toBe(0);
      expect(await redis.get('b')).toBe('2');
    });

    test('hashes: one field per property, an update replaces the fields, a tombstone deletes', async () => {
      await drain(redisTableSink({ redis, mode: 'hash', keyPrefix: 'user:' }), [
        ['1', { name: 'Ada', city: 'London' }],
        ['2', { name: 'Alan', tags: ['a', 'b'] }],
        ['1', { name: 'Ada L.' }],
        ['3', { name: 'Grace' }],
        ['3', null],
      ]);
      expect(await redis.hgetall('user:1')).toEqual({ name: 'Ada L.' });
      expect(await redis.hgetall('user:2')).toEqual({ name: 'Alan', tags: '["a","b"]' });
      expect(await redis.exists('user:3')).toBe(0);
    });

    test('merging hash updates keeps fields the update lacks', async () => {
      await drain(redisTableSink({ redis, mode: 'hash', hashUpdate: 'merge' }), [
        ['1', { a: 1, b: 2 }],
        ['1', { b: 3 }],
      ]);
      expect(await redis.hgetall('1')).toEqual({ a: '1', b: '3' });
    });

    test('a TTL expires keys after their last update', async () => {
      await drain(redisTableSink({ redis, ttlMs: 60_000 }), [['k', 1]]);
      // The hash sink reads the whole topic: the first row (not an object) is skipped.
      await drain(redisTableSink({ redis, mode: 'hash', keyPrefix: 'h:', ttlMs: 60_000 }), [['k', { a: 1 }]], memoryLogger(), 'skip');
      for (const key of ['k', 'h:k']) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
    });

    test('a value of the wrong shape for a hash is a bad record, named in the log', async () => {
      const logger = memoryLogger();
      const task = await drain(
        redisTableSink({ redis, mode: 'hash' }),
        [
          ['1', { a: 1 }],
          ['2', 5],
          ['3', { a: 3 }],
        ],
        logger,
        'skip',
      );
      expect(task.stats).toMatchObject({ written: 2, skipped: 1 });
      expect(await redis.exists('2')).toBe(0);
      expect(await redis.hgetall('3')).toEqual({ a: '3' });
      expect(logger.lines.some((l) => /topic table, partition \d, offset \d: a hash needs an object value, got number \(skipped\)/.test(l))).toBe(true);
    });

    test('a record without a key cannot be a table row', async () => {
      await t.rill.producer().send('table', [{ key: null, value: '1' }]);
      const logger = memoryLogger();
      const task = new SinkTask(t.client, redisTableSink({ redis }), { topics: ['table'], logger, badRecords: 'skip' });
      await task.start();
      await task.waitUntilCaughtUp();
      await task.stop();
      expect(logger.lines.some((l) => l.includes('a table record needs a key'))).toBe(true);
    });

    test('a non-transactional pipeline writes the same table', async () => {
      await drain(redisTableSink({ redis, transactional: false }), [
        ['a', 1],
        ['b', 2],
        ['a', null],
      ]);
      expect(await redis.exists('a')).toBe(0);
      expect(await redis.get('b')).toBe('2');
    });

    test('the Streams sink appends one entry per record, with its origin', async () => {
      await drain(redisStreamSink({ redis, stream: 'events' }), [
        ['a', { n: 1 }],
        ['b', 'two'],
        ['a', null],
      ]);
      const entries = await redis.xrange('events', '-', '+');
      const fields = entries.map(([, flat]) => {
        const o: Record<string, string> = {};
        for (let i = 0; i < flat.length; i += 2) o[flat[i]] = flat[i + 1];
        return o;
      });
      expect(fields).toHaveLength(3);
      expect(fields.map((f) => f.value)).toEqual(expect.arrayContaining(['{"n":1}', 'two', undefined]));
      for (const f of fields) expect(f['rill-origin']).toMatch(/^table\/\d\/\d$/);
    });
  });
}
