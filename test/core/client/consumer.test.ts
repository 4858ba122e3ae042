import { firstValueFrom, take, toArray } from 'rxjs';
import { Broker } from '../../../core/broker';
import { Consumer, ConsumerRecord, Producer, SpanRecord } from '../../../core/client';
import { tempDir } from '../broker/helpers';

async function take$(consumer: Consumer, n: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  if (n === 0) return out;
  for await (const r of consumer) {
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}

const values = (rs: ConsumerRecord[]) => rs.map((r) => r.value!.toString());

describe('Consumer', () => {
  let t: ReturnType<typeof tempDir>;
  let broker: Broker;
  let producer: Producer;
  const consumers: Consumer[] = [];
  const open = (options: ConstructorParameters<typeof Consumer>[1] = {}) => {
    const c = new Consumer(broker, { fetchMaxWaitMs: 50, ...options });
    consumers.push(c);
    return c;
  };

  beforeEach(() => {
    t = tempDir('rill-consumer-');
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
    broker.createTopic({ name: 't', partitions: 2 });
    producer = new Producer(broker);
  });
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.close();
    await broker.close();
    t.cleanup();
  });

  it('reads assigned partitions as an async iterator, from earliest', async () => {
    await producer.send(
      't',
      Array.from({ length: 5 }, (_, i) => ({ value: `p0-${i}`, partition: 0 })),
    );
    const c = open({ autoOffsetReset: 'earliest' });
    await c.assign([{ topic: 't', partition: 0 }]);
    expect(values(await take$(c, 5))).toEqual(['p0-0', 'p0-1', 'p0-2', 'p0-3', 'p0-4']);
  });

  it('an empty assignment followed by partitions: the waiting reader gets their records', async () => {
    await producer.send(
      't',
      Array.from({ length: 3 }, (_, i) => ({ value: `p0-${i}`, partition: 0 })),
    );
    const c = open({ autoOffsetReset: 'earliest' });
    await c.assign([]);
    const reading = take$(c, 3); // parks the fetch loop: nothing is assigned
    await new Promise((r) => setImmediate(r));
    await c.assign([{ topic: 't', partition: 0 }]);
    expect(values(await reading)).toEqual(['p0-0', 'p0-1', 'p0-2']);
  });

  it('starts at the end with autoOffsetReset latest and sees new records', async () => {
    await producer.send('t', { value: 'old', partition: 1 });
    const c = open();
    await c.assign([{ topic: 't', partition: 1 }]);
    const next = take$(c, 1);
    await producer.send('t', { value: 'new', partition: 1 });
    expect(values(await next)).toEqual(['new']);
  });

  it('seeks to an offset, a timestamp, earliest and latest', async () => {
    await producer.send(
      't',
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: 0, timestamp: 10_000 + i * 100 })),
    );
    const c = open({ autoOffsetReset: 'earliest' });
    const tp = { topic: 't', partition: 0 };
    await c.assign([tp]);
    expect(await c.seek(tp, { timestamp: 10_450 })).toBe(5);
    expect(values(await take$(c, 2))).toEqual(['v5', 'v6']);
    await c.seek(tp, 2);
    expect(values(await take$(c, 1))).toEqual(['v2']);
    await c.seek(tp, 'earliest');
    expect(values(await take$(c, 1))).toEqual(['v0']);
    expect(await c.seek(tp, 'latest')).toBe(10);
    expect(await c.seek(tp, { timestamp: 99_999 })).toBe(10);
  });

  it('emits records through an RxJS Observable', async () => {
    await producer.send(
      't',
      Array.from({ length: 4 }, (_, i) => ({ value: `o${i}`, partition: 1 })),
    );
    const c = open({ autoOffsetReset: 'earliest' });
    await c.assign([{ topic: 't', partition: 1 }]);
    const got = await firstValueFrom(c.observable().pipe(take(4), toArray()));
    expect(values(got)).toEqual(['o0', 'o1', 'o2', 'o3']);
  });

  it('keeps its buffer bounded while a slow reader works through many records', async () => {
    const value = Buffer.alloc(1000, 1);
    for (let i = 0; i < 20; i++)
      await producer.send(
        't',
        Array.from({ length: 100 }, () => ({ value, partition: 0 })),
      );
    const c = open({ autoOffsetReset: 'earliest', maxBufferedBytes: 20_000, maxBytesPerPartition: 8_000 });
    await c.assign([{ topic: 't', partition: 0 }]);
    let maxBuffered = 0;
    let n = 0;
    for await (const r of c) {
      maxBuffered = Math.max(maxBuffered, c.buffered.bytes);
      expect(r.offset).toBe(n);
      n++;
      if (n % 100 === 0) await new Promise((resolve) => setImmediate(resolve)); // a slow reader
      if (n === 2000) break;
    }
    // At most the bound plus one fetch response (per-partition budget, whole batches).
    expect(maxBuffered).toBeLessThanOrEqual(20_000 + 8_000 + 100 * 1100);
    expect(maxBuffered).toBeLessThan(2000 * 1000);
  });

  it('poll() across partitions and batches: at the next poll, each partition counts as processed up to the last record handed out', async () => {
    // Two batches per partition, so polls end inside batches and move from one partition's to the other's.
    for (const partition of [0, 1])
      for (const batch of [0, 1])
        await producer.send(
          't',
          Array.from({ length: 3 }, (_, i) => ({ value: `p${partition}-${batch * 3 + i}`, partition })),
        );
    const c = open({ groupId: 'g-poll', autoOffsetReset: 'earliest', autoCommit: false });
    const tps = [0, 1].map((partition) => ({ topic: 't', partition }));
    await c.assign(tps);
    const handed: ConsumerRecord[] = [];
    const committed = () => broker.fetchOffsets('g-poll', tps).map((o) => o.offset);
    const processed = (rs: ConsumerRecord[]) => [0, 1].map((p) => Math.max(-1, ...rs.filter((r) => r.partition === p).map((r) => r.offset + 1)));
    while (handed.length < 12) {
      // What a poll hands out counts as processed at the next poll.
      const before = [...handed];
      handed.push(...(await c.poll(4, 5_000)));
      await c.commit();
      expect(committed()).toEqual(processed(before));
    }
    await c.poll(1, 0);
    await c.commit();
    expect(committed()).toEqual([6, 6]);
    for (const p of [0, 1]) expect(values(handed.filter((r) => r.partition === p))).toEqual(Array.from({ length: 6 }, (_, i) => `p${p}-${i}`));
    expect(c.buffered).toEqual({ records: 0, bytes: 0 });
  });

  it('commits processed offsets and resumes there after a restart', async () => {
    await producer.send(
      't',
      Array.from({ length: 6 }, (_, i) => ({ value: `c${i}`, partition: 0 })),
    );
    const c = open({ groupId: 'g', autoOffsetReset: 'earliest', autoCommit: false });
    await c.assign([{ topic: 't', partition: 0 }]);
    expect(values(await take$(c, 3))).toEqual(['c0', 'c1', 'c2']);
    await c.commit();
    expect(broker.fetchOffsets('g', [{ topic: 't', partition: 0 }])[0].offset).toBe(3);
    await c.close();
    await producer.close();
    await broker.close();

    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
    const again = open({ groupId: 'g', autoOffsetReset: 'earliest' });
    await again.assign([{ topic: 't', partition: 0 }]);
    expect(values(await take$(again, 3))).toEqual(['c3', 'c4', 'c5']);
    await again.close(); // auto-commit on close
    expect(broker.fetchOffsets('g', [{ topic: 't', partition: 0 }])[0].offset).toBe(6);
  });

  it('recordSpans: the same records as SpanRecords, key and value read from their ranges, compressed batches too', async () => {
    const gzip = new Producer(broker, { compression: 'gzip' });
    const records = [
      { key: 'k0', value: 'v0', partition: 0, headers: { h: 'x' } },
      { key: null, value: 'v1', partition: 0 },
      { key: 'k2', value: null, partition: 0 },
    ];
    await producer.send('t', records);
    await gzip.send('t', records);
    await gzip.close();
    const read = async (recordSpans: boolean) => {
      const c = open({ autoOffsetReset: 'earliest', recordSpans });
      await c.assign([{ topic: 't', partition: 0 }]);
      return take$(c, 6);
    };
    const plain = await read(false);
    const spans = await read(true);
    expect(spans.every((r) => r instanceof SpanRecord)).toBe(true);
    expect(plain.some((r) => r instanceof SpanRecord)).toBe(false);
    const fields = (r: ConsumerRecord) => [r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, r.headers];
    expect(spans.map(fields)).toEqual(plain.map(fields));
    expect(spans.map((r) => r.value?.toString() ?? null)).toEqual(['v0', 'v1', null, 'v0', 'v1', null]);
  });
});
