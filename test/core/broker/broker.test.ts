import * as fc from 'fast-check';
import { decodeRecordBatches, encodeRecordBatch } from '../../../core/log';
import { Broker, ErrorCode, MAX_TOPIC_NAME_LENGTH } from '../../../core/broker';
import { FakeClock, err, ok, tempDir } from './helpers';

function records(n: number, from = 0, timestamp?: (i: number) => number) {
  return Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.from(`v${from + i}`), timestamp: timestamp?.(from + i) }));
}

describe('Broker topics', () => {
  let t: ReturnType<typeof tempDir>;
  let broker: Broker;
  beforeEach(() => {
    t = tempDir();
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
  });
  afterEach(async () => {
    await broker.close();
    t.cleanup();
  });

  it('creates, describes, lists and deletes topics', () => {
    const d = ok(broker.createTopic({ name: 'orders', partitions: 3, config: { 'retention.ms': 1000 } }));
    expect(d.partitions).toBe(3);
    expect(d.config['retention.ms']).toBe(1000);
    expect(d.configOverrides).toEqual({ 'retention.ms': '1000' });
    expect(broker.listTopics()).toEqual(['orders']);
    expect(err(broker.createTopic({ name: 'orders' })).code).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    ok(broker.deleteTopic('orders'));
    expect(broker.listTopics()).toEqual([]);
    expect(err(broker.describeTopic('orders')).code).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('validates topic names as Kafka does', () => {
    for (const bad of ['', '.', '..', 'a/b', 'héllo', 'with space', 'x'.repeat(MAX_TOPIC_NAME_LENGTH + 1)]) {
      const e = err(broker.createTopic({ name: bad }));
      expect(e.code).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
      expect(e.message).toMatch(/Invalid topic name/);
    }
    ok(broker.createTopic({ name: 'a.b' }));
    expect(err(broker.createTopic({ name: 'a_b' })).message).toMatch(/collides with existing topic "a.b"/);
    ok(broker.createTopic({ name: 'x'.repeat(MAX_TOPIC_NAME_LENGTH) }));
    expect(err(broker.createTopic({ name: '__consumer_offsets' })).message).toMatch(/internal topic/);
  });

  it('validates configs, partitions and replication factor with clear errors', () => {
    const unknown = err(broker.createTopic({ name: 't', config: { 'retention.msec': 5 } }));
    expect(unknown.code).toBe(ErrorCode.INVALID_CONFIG);
    expect(unknown.message).toMatch(/Unknown log config "retention.msec"/);
    expect(err(broker.createTopic({ name: 't', config: { 'cleanup.policy': 'shred' } })).code).toBe(ErrorCode.INVALID_CONFIG);
    expect(err(broker.createTopic({ name: 't', partitions: 0 })).code).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(err(broker.createTopic({ name: 't', replicationFactor: 3 })).code).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(broker.listTopics()).toEqual([]);
  });

  it('alters config (set and reset) and adds partitions', () => {
    ok(broker.createTopic({ name: 't', partitions: 1 }));
    const altered = ok(broker.alterTopicConfig('t', { set: { 'retention.ms': '5000', 'cleanup.policy': 'compact' } }));
    expect(altered.config['retention.ms']).toBe(5000);
    const reset = ok(broker.alterTopicConfig('t', { delete: ['retention.ms'] }));
    expect(reset.config['retention.ms']).toBe(7 * 24 * 3600 * 1000);
    expect(reset.configOverrides).toEqual({ 'cleanup.policy': 'compact' });
    expect(err(broker.alterTopicConfig('t', { set: { 'segment.bytes': -3 } })).code).toBe(ErrorCode.INVALID_CONFIG);
    expect(ok(broker.createPartitions('t', 4)).partitions).toBe(4);
    expect(err(broker.createPartitions('t', 2)).code).toBe(ErrorCode.INVALID_PARTITIONS);
    ok(broker.produce('t', 3, encodeRecordBatch({ records: records(1) })));
  });

  it('persists topics, configs and data across a restart', async () => {
    ok(broker.createTopic({ name: 'keep', partitions: 2, config: { 'cleanup.policy': 'compact' } }));
    ok(broker.produce('keep', 1, encodeRecordBatch({ records: records(5) })));
    await broker.close();
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
    const d = ok(broker.describeTopic('keep'));
    expect(d.partitions).toBe(2);
    expect(d.config['cleanup.policy']).toBe('compact');
    expect(ok(broker.partitionOffsets('keep', 1)).logEndOffset).toBe(5);
  });
});

describe('Broker produce and fetch', () => {
  let t: ReturnType<typeof tempDir>;
  let broker: Broker;
  const clock = new FakeClock();
  beforeEach(() => {
    t = tempDir();
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0, clock });
    ok(broker.createTopic({ name: 't', partitions: 2 }));
  });
  afterEach(async () => {
    await broker.close();
    t.cleanup();
  });

  it('appends raw batches and fetches the stored bytes', async () => {
    const r1 = ok(broker.produce('t', 0, encodeRecordBatch({ records: records(3) })));
    const r2 = ok(broker.produce('t', 0, encodeRecordBatch({ records: records(2, 3) })));
    expect([r1.baseOffset, r1.lastOffset, r2.baseOffset, r2.lastOffset]).toEqual([0, 2, 3, 4]);
    const [res] = await broker.fetch({ partitions: [{ topic: 't', partition: 0, offset: 3, maxBytes: 1 << 20 }] });
    expect(res.errorCode).toBe(0);
    expect(res.highWatermark).toBe(5);
    const batches = ok(decodeRecordBatches(res.records));
    expect(batches.flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(['v3', 'v4']);
  });

  it('answers errors with Kafka codes instead of throwing', async () => {
    expect(err(broker.produce('nope', 0, encodeRecordBatch({ records: records(1) }))).code).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(err(broker.produce('t', 9, encodeRecordBatch({ records: records(1) }))).code).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const corrupt = encodeRecordBatch({ records: records(1) });
    corrupt[corrupt.length - 1] ^= 0xff;
    expect(err(broker.produce('t', 0, corrupt)).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(err(broker.produce('t', 0, Buffer.from('garbage'))).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    const [res] = await broker.fetch({ partitions: [{ topic: 't', partition: 0, offset: 7, maxBytes: 100 }] });
    expect(res.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('answers any bytes with a result, never an exception (random and mutated batches)', () => {
    const valid = encodeRecordBatch({ records: records(3), producerId: 7, producerEpoch: 0, baseSequence: 0 });
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length)).map(([at, byte, cut]) => {
      const b = Buffer.from(valid);
      b[at] = byte;
      return b.subarray(0, Math.max(cut, 1));
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
          mutated,
        ),
        (bytes) => {
          const result = broker.produce('t', 1, bytes);
          expect(['Left', 'Right']).toContain(result._tag);
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it('long-polls until data arrives', async () => {
    const pending = broker.fetch({ partitions: [{ topic: 't', partition: 1, offset: 0, maxBytes: 1 << 20 }], maxWaitMs: 30_000 });
    ok(broker.produce('t', 1, encodeRecordBatch({ records: records(1) })));
    const [res] = await pending;
    expect(res.records.length).toBeGreaterThan(0);
  });

  it('finds the offset for a timestamp, earliest and latest', () => {
    ok(broker.produce('t', 0, encodeRecordBatch({ records: records(10, 0, (i) => 1000 + i * 10) })));
    ok(broker.produce('t', 0, encodeRecordBatch({ records: records(10, 10, (i) => 1000 + i * 10) })));
    expect(ok(broker.listOffset('t', 0, 1055))).toEqual({ offset: 6, timestamp: 1060 });
    expect(ok(broker.listOffset('t', 0, 1150)).offset).toBe(15);
    expect(ok(broker.listOffset('t', 0, 99_999)).offset).toBe(-1);
    expect(ok(broker.listOffset('t', 0, -2)).offset).toBe(0);
    expect(ok(broker.listOffset('t', 0, -1)).offset).toBe(20);
  });

  it('writes a retried idempotent batch once and refuses sequence gaps', () => {
    const { producerId, producerEpoch } = broker.initProducerId();
    const batch = (baseSequence: number, from: number) => encodeRecordBatch({ records: records(2, from), producerId, producerEpoch, baseSequence });
    const first = ok(broker.produce('t', 0, batch(0, 0)));
    const retry = ok(broker.produce('t', 0, batch(0, 0)));
    expect(retry.baseOffset).toBe(first.baseOffset);
    expect(retry.duplicate).toBe(true);
    expect(ok(broker.partitionOffsets('t', 0)).logEndOffset).toBe(2);
    expect(err(broker.produce('t', 0, batch(5, 2))).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    ok(broker.produce('t', 0, batch(2, 2)));
    expect(err(broker.produce('t', 0, encodeRecordBatch({ records: records(1), producerId, producerEpoch: -1 + producerEpoch, baseSequence: 4 }))).code).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    expect(broker.initProducerId().producerId).not.toBe(producerId);
  });

  it('compacts compacted topics in the maintenance pass', async () => {
    ok(broker.createTopic({ name: 'table', config: { 'cleanup.policy': 'compact', 'segment.bytes': 300, 'min.cleanable.dirty.ratio': 0.01 } }));
    for (let round = 0; round < 10; round++) {
      ok(
        broker.produce(
          'table',
          0,
          encodeRecordBatch({ records: [0, 1].map((k) => ({ key: Buffer.from(`key${k}`), value: Buffer.from(`round${round}`), timestamp: clock.now() })) }),
        ),
      );
    }
    await broker.runMaintenance();
    const values: string[] = [];
    for (let offset = 0; offset < 20; ) {
      const [res] = await broker.fetch({ partitions: [{ topic: 'table', partition: 0, offset, maxBytes: 1 << 20 }] });
      const batches = ok(decodeRecordBatches(res.records));
      values.push(...batches.flatMap((b) => b.records.map((r) => `${r.key}=${r.value}`)));
      offset = batches[batches.length - 1].lastOffset + 1;
    }
    expect(values.length).toBeLessThan(20);
    expect(values.slice(-2)).toEqual(['key0=round9', 'key1=round9']);
  });

  it('recognises a retried idempotent batch after a restart (producer state rebuilt from the log)', async () => {
    const { producerId } = broker.initProducerId();
    const batch = (baseSequence: number, from: number) => encodeRecordBatch({ records: records(2, from), producerId, producerEpoch: 0, baseSequence });
    ok(broker.produce('t', 1, batch(0, 0)));
    ok(broker.produce('t', 1, batch(2, 2)));
    await broker.close();
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0, clock });
    const retry = ok(broker.produce('t', 1, batch(2, 2)));
    expect(retry).toMatchObject({ duplicate: true, baseOffset: 2 });
    expect(ok(broker.produce('t', 1, batch(4, 4))).baseOffset).toBe(4);
    expect(err(broker.produce('t', 1, batch(9, 9))).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('runs retention in the maintenance pass', async () => {
    ok(broker.createTopic({ name: 'short', config: { 'retention.ms': 1000, 'segment.bytes': 200 } }));
    for (let i = 0; i < 5; i++) ok(broker.produce('short', 0, encodeRecordBatch({ records: records(2, i * 2, () => clock.now()) })));
    const before = ok(broker.partitionOffsets('short', 0));
    expect(before.logStartOffset).toBe(0);
    clock.advance(5000);
    await broker.runMaintenance();
    expect(ok(broker.partitionOffsets('short', 0)).logStartOffset).toBeGreaterThan(0);
  });
});

describe('Broker committed offsets', () => {
  it('survive a restart and are refused for unknown members', async () => {
    const t = tempDir();
    let broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
    try {
      ok(broker.createTopic({ name: 't', partitions: 2 }));
      const res = broker.commitOffsets('g', '', -1, [
        { topic: 't', partition: 0, offset: 42 },
        { topic: 't', partition: 1, offset: 7, metadata: 'm' },
      ]);
      expect(res.map((r) => r.errorCode)).toEqual([0, 0]);
      expect(broker.commitOffsets('g', 'ghost', 3, [{ topic: 't', partition: 0, offset: 1 }])[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect(broker.commitOffsets('g', '', -1, [{ topic: 'missing', partition: 0, offset: 1 }])[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      broker.commitOffsets('g', '', -1, [{ topic: 't', partition: 0, offset: 43 }]);
      await broker.close();
      broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
      const fetched = broker.fetchOffsets('g', [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
        { topic: 'x', partition: 0 },
      ]);
      expect(fetched.map((o) => o.offset)).toEqual([43, 7, -1]);
      expect(fetched[1].metadata).toBe('m');
      expect(broker.listGroups().map((g) => g.groupId)).toEqual(['g']);
      expect(broker.listTopics()).toEqual(['t']);
      expect(broker.listTopics({ includeInternal: true })).toContain('__consumer_offsets');
      ok(broker.deleteGroup('g'));
      await broker.close();
      broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
      expect(broker.fetchOffsets('g')).toEqual([]);
    } finally {
      await broker.close();
      t.cleanup();
    }
  });
});
