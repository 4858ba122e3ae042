// The runtime on the real embedded broker: sinks, changelogs, commits after
// acknowledgement, restore (with and without a local snapshot), backpressure,
// error policies and interactive queries.
import * as fs from 'node:fs';
import { Rill } from '../../../core/client';
import { jsonSerde, stringSerde } from '../../../core/schema';
import {
  StreamsBuilder,
  RillStreams,
  count,
  memoryLogger,
  rillLogClient,
  to,
  mapValues,
  tumbling,
  windowedSerde,
  type LogClient,
  type RestoreProgress,
} from '../../../dsl';
import { tempDirs } from '../../support/tmp-dir';

const str = stringSerde();
const num = jsonSerde<number>();
const dirs = tempDirs('dsl-runtime');
afterAll(() => dirs.removeAll());

function countTopology(app = 'counter') {
  const b = new StreamsBuilder(app);
  b.stream('events', { key: str, value: str }).pipe(count({ store: 'counts', keySerde: str }), to('counts-out', { key: str, value: num }));
  return b.build();
}

async function readAll(rill: Rill, topic: string): Promise<{ key: string | null; value: string | null; headers: Record<string, string> }[]> {
  const offsets = await rill.admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((n, o) => n + o.highWatermark - o.logStartOffset, 0);
  const c = rill.consumer({ autoOffsetReset: 'earliest' });
  await c.assign(offsets.map((o) => ({ topic, partition: o.partition })));
  const out: { key: string | null; value: string | null; headers: Record<string, string> }[] = [];
  if (total > 0) {
    for await (const r of c) {
      out.push({
        key: r.key?.toString() ?? null,
        value: r.value?.toString() ?? null,
        headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ''])),
      });
      if (out.length >= total) break;
    }
  }
  await c.close();
  return out;
}

async function produce(rill: Rill, topic: string, records: { key: string; value: string }[]): Promise<void> {
  await rill.producer().send(topic, records);
}

/** The real client, with acknowledgements held back until the test lets them through. */
function heldAcks(inner: LogClient) {
  const held: (() => void)[] = [];
  let holding = true;
  let maxHeld = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  let heldRecords = 0;
  const hold = async (sent: Promise<void>, records: number) => {
    await sent;
    if (!holding) return;
    await new Promise<void>((resolve) => {
      held.push(resolve);
      heldRecords += records;
      maxHeld = Math.max(maxHeld, heldRecords);
      if (waiter && heldRecords >= waiter.n) waiter.resolve();
    });
  };
  const client: LogClient = {
    ...inner,
    producer() {
      const p = inner.producer();
      return {
        send: (topic, record) => hold(p.send(topic, record), 1),
        sendBatch: (topic, records) => hold(p.sendBatch(topic, records), records.length),
        flush: () => p.flush(),
        close: () => p.close(),
      };
    },
  };
  return {
    client,
    /** Acknowledges everything held and stops holding. */
    letThrough: () => {
      holding = false;
      heldRecords = 0;
      held.splice(0).forEach((r) => r());
    },
    get maxHeld() {
      return maxHeld;
    },
    whenHeld: (n: number) => (heldRecords >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }))),
  };
}

describe('RillStreams on the embedded log', () => {
  test('counts per key to a sink topic and a changelog, and commits the input offsets', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    await rill.admin.createTopics([{ name: 'events', partitions: 2 }]);
    await produce(rill, 'events', [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'a', value: '3' },
    ]);
    const app = new RillStreams(countTopology(), { log: rill, logger: memoryLogger() });
    await app.start();
    await app.waitUntilCaughtUp();
    expect(app.store<string, number>('counts').get('a')).toBe(2);
    expect(app.store<string, number>('counts').get('b')).toBe(1);
    await app.stop();
    const out = await readAll(rill, 'counts-out');
    expect(out.map((r) => `${r.key}=${r.value}`).sort()).toEqual(['a=1', 'a=2', 'b=1']);
    const changelog = await rill.admin.describeTopics(['counter-counts-changelog']);
    expect(changelog[0].config['cleanup.policy']).toBe('compact');
    const committed = await rill.admin.fetchOffsets('counter', 'events');
    expect(committed.reduce((n, c) => n + Math.max(0, c.offset), 0)).toBe(3);
    await rill.close();
  });

  test('offsets are committed only after the sink and changelog writes are acknowledged; in-flight writes stay bounded', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    await rill.admin.createTopics([{ name: 'events', partitions: 1 }]);
    await produce(
      rill,
      'events',
      Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 5}`, value: String(i) })),
    );
    const held = heldAcks(rillLogClient(rill));
    const app = new RillStreams(countTopology(), { log: held.client, logger: memoryLogger(), maxInFlight: 10, commitIntervalMs: 60_000 });
    await app.start();
    await held.whenHeld(11);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    // The source stopped reading: 11 sink writes unacknowledged (> maxInFlight 10), nothing more pulled.
    expect(held.maxHeld).toBe(11);
    const commit = app.commit();
    let committedEarly = false;
    void commit.then(() => (committedEarly = true));
    await new Promise((r) => setImmediate(r));
    expect(committedEarly).toBe(false);
    expect(await rill.admin.fetchOffsets('counter', 'events')).toEqual([expect.objectContaining({ offset: -1 })]);
    held.letThrough();
    await commit;
    await app.waitUntilCaughtUp();
    expect((await rill.admin.fetchOffsets('counter', 'events'))[0].offset).toBe(100);
    await app.stop();
    await rill.close();
  });

  test('a restarted app restores its store from the changelog, with progress, and continues counting', async () => {
    const dir = dirs.make();
    let rill = Rill.open({ dir });
    await rill.admin.createTopics([{ name: 'events', partitions: 2 }]);
    await produce(
      rill,
      'events',
      Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 10}`, value: String(i) })),
    );
    let app = new RillStreams(countTopology(), { log: rill, logger: memoryLogger() });
    await app.start();
    await app.waitUntilCaughtUp();
    await app.stop();
    await rill.close();

    rill = Rill.open({ dir });
    const progress: RestoreProgress[] = [];
    const logger = memoryLogger();
    app = new RillStreams(countTopology(), { log: rill, logger, onRestoreProgress: (p) => progress.push(p) });
    await app.start();
    expect(app.store<string, number>('counts').size).toBe(10);
    expect(app.store<string, number>('counts').get('k3')).toBe(5);
    // One changelog record per key and commit; at least one per key.
    expect(progress.filter((p) => p.done).reduce((n, p) => n + p.restored, 0)).toBeGreaterThanOrEqual(10);
    expect(logger.lines.some((l) => /restoring store counts from counter-counts-changelog-\d: \d+ of up to \d+ records \(done\)/.test(l))).toBe(true);
    await produce(rill, 'events', [{ key: 'k3', value: 'again' }]);
    await app.waitUntilCaughtUp();
    expect(app.store<string, number>('counts').get('k3')).toBe(6);
    await app.stop();
    await rill.close();
  });

  test('with a local snapshot, restore replays only the changelog after its checkpoint', async () => {
    const dir = dirs.make();
    const stateDir = dirs.make();
    const rill = Rill.open({ dir });
    await rill.admin.createTopics([{ name: 'events', partitions: 1 }]);
    await produce(
      rill,
      'events',
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: String(i) })),
    );
    const first = new RillStreams(countTopology(), { log: rill, logger: memoryLogger(), stateDir });
    await first.start();
    await first.waitUntilCaughtUp();
    await first.stop();
    expect(fs.existsSync(`${stateDir}/counter/0/counts.snapshot`)).toBe(true);

    const progress: RestoreProgress[] = [];
    const logger = memoryLogger();
    const second = new RillStreams(countTopology(), { log: rill, logger, stateDir, onRestoreProgress: (p) => progress.push(p) });
    await second.start();
    expect(progress).toEqual([]); // nothing after the checkpoint to replay
    expect(logger.lines.some((l) => /loaded local snapshot \(4 entries\) at changelog offset/.test(l))).toBe(true);
    expect(second.store<string, number>('counts').get('k1')).toBe(5);
    await second.stop();
    await rill.close();
  });

  test('bad records: dead-letter policy keeps them with their origin; fail policy stops without committing them', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    await rill.admin.createTopics([{ name: 'nums', partitions: 1 }]);
    await rill.producer().send('nums', [
      { key: 'a', value: '1' },
      { key: 'a', value: 'not json' },
      { key: 'a', value: '3' },
    ]);
    const topology = () => {
      const b = new StreamsBuilder('summer');
      b.stream('nums', { key: str, value: num }).pipe(
        mapValues((n) => {
          if (n === 3) throw new Error('three is unlucky');
          return n * 10;
        }),
        to('tens', { key: str, value: num }),
      );
      return b.build();
    };
    const logger = memoryLogger();
    const app = new RillStreams(topology(), {
      log: rill,
      logger,
      deserializationErrors: { deadLetterTopic: 'bad' },
      processingErrors: { deadLetterTopic: 'bad' },
    });
    await app.start();
    await app.waitUntilCaughtUp();
    await app.stop();
    expect((await readAll(rill, 'tens')).map((r) => r.value)).toEqual(['10']);
    const bad = await readAll(rill, 'bad');
    expect(bad.map((r) => r.value)).toEqual(['not json', '3']);
    expect(bad[0].headers['rill.source.offset']).toBe('1');
    expect(bad[1].headers['rill.error']).toMatch(/mapValues threw on the record at topic nums, partition 0, offset 2: three is unlucky/);
    expect(logger.lines.some((l) => l.startsWith('WARN cannot read the record at topic nums, partition 0, offset 1'))).toBe(true);

    const failing = new RillStreams(topology(), { log: rill, logger: memoryLogger(), deserializationErrors: 'skip', processingErrors: 'fail' });
    await rill.admin.deleteGroups(['summer']);
    await failing.start();
    await expect(failing.done).rejects.toThrow(/mapValues threw on the record at topic nums, partition 0, offset 2/);
    expect(failing.state).toBe('failed');
    expect((await rill.admin.fetchOffsets('summer', 'nums'))[0].offset).toBe(2);
    await rill.close();
  });

  test('interactive queries of a window store by key and time range; clear errors for wrong stores, missing sources, exactly-once', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    await rill.admin.createTopics([{ name: 'hits', partitions: 2 }]);
    await rill.producer().send(
      'hits',
      [0, 15, 17, 31].map((t) => ({ key: 'p', value: 'x', timestamp: t * 1000 })),
    );
    const b = new StreamsBuilder('hits-app');
    b.stream('hits', { key: str, value: str }).pipe(count({ store: 'per-10s', window: tumbling(10_000) }));
    const app = new RillStreams(b.build(), { log: rill, logger: memoryLogger() });
    await app.start();
    await app.waitUntilCaughtUp();
    expect(app.windowStore<string, number>('per-10s').fetch('p', 10_000, 40_000)).toEqual([
      { window: { start: 10_000, end: 20_000 }, value: 2 },
      { window: { start: 30_000, end: 40_000 }, value: 1 },
    ]);
    expect(() => app.store('per-10s')).toThrow(/is a window store; query it with windowStore\(\)/);
    expect(() => app.store('nope')).toThrow(/No store "nope" in application hits-app \(stores: per-10s, per-10s-stream-time\)/);
    await app.stop();

    const missing = new StreamsBuilder('m');
    missing.stream('no-such-topic').to('x');
    await expect(new RillStreams(missing.build(), { log: rill, logger: memoryLogger() }).start()).rejects.toThrow(
      /Source topic "no-such-topic" of application m does not exist; create it first/,
    );
    // Exactly-once needs transactional producers: a log client without them is refused at start, saying so.
    const withoutTransactions = { ...rillLogClient(rill), transactionalLogProducer: undefined };
    await expect(new RillStreams(missing.build(), { log: withoutTransactions, processingGuarantee: 'exactly-once' }).start()).rejects.toThrow(
      /exactly-once' needs a log client with transactional producers; this one has none/,
    );
    await rill.close();
  });

  test('emit-final windows still open at a restart are emitted after it, from the restored store', async () => {
    const dir = dirs.make();
    const topology = () => {
      const b = new StreamsBuilder('final-app');
      b.stream('ticks', { key: str, value: str }).pipe(
        count({ store: 'per-10s', window: tumbling(10_000), emit: 'final' }),
        to('closed', { key: windowedSerde(str), value: num }),
      );
      return b.build();
    };
    let rill = Rill.open({ dir });
    await rill.admin.createTopics([{ name: 'ticks', partitions: 1 }]);
    await rill.producer().send(
      'ticks',
      [1, 2, 12].map((s) => ({ key: 'k', value: 'x', timestamp: s * 1000 })),
    );
    let app = new RillStreams(topology(), { log: rill, logger: memoryLogger() });
    await app.start();
    await app.waitUntilCaughtUp();
    await app.stop();
    expect((await readAll(rill, 'closed')).map((r) => r.value)).toEqual(['2']); // [0,10s) closed by the record at 12 s
    await rill.close();

    rill = Rill.open({ dir });
    app = new RillStreams(topology(), { log: rill, logger: memoryLogger() });
    await app.start();
    await rill.producer().send('ticks', [{ key: 'k', value: 'x', timestamp: 25_000 }]);
    await app.waitUntilCaughtUp();
    await app.stop();
    // [10s,20s) was open at the restart: emitted once the record at 25 s closes it; [0,10s) is not emitted again.
    expect((await readAll(rill, 'closed')).map((r) => r.value)).toEqual(['2', '1']);
    await rill.close();
  });
});
