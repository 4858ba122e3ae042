import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { isRight } from 'fp-ts/Either';
import { decodeRecordBatches } from '../../../core/log';
import { Broker, BrokerError, ErrorCode } from '../../../core/broker';
import { Producer, ProduceTarget, partitionForKey } from '../../../core/client';
import { tempDir } from '../broker/helpers';

function readAll(broker: Broker, topic: string, partition: number) {
  const out: { offset: number; key: string | null; value: string | null; headers: Record<string, string>; producerId: number; baseSequence: number }[] = [];
  let offset = 0;
  for (;;) {
    const p = broker.topics.partition(topic, partition);
    if (!isRight(p)) throw new Error('no partition');
    const bytes = p.right.read(offset, 1 << 20);
    if (bytes.length === 0) return out;
    const batches = decodeRecordBatches(bytes);
    if (!isRight(batches)) throw new Error(batches.left.message);
    for (const b of batches.right) {
      for (const r of b.records) {
        out.push({
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ''])),
          producerId: b.producerId,
          baseSequence: b.baseSequence,
        });
      }
      offset = b.lastOffset + 1;
    }
  }
}

describe('Producer', () => {
  let t: ReturnType<typeof tempDir>;
  let broker: Broker;
  beforeEach(() => {
    t = tempDir('rill-producer-');
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
    broker.createTopic({ name: 't', partitions: 4 });
  });
  afterEach(async () => {
    await broker.close();
    t.cleanup();
  });

  it('gives each record of one call its own offset when the call goes back and forth between partitions', async () => {
    const producer = new Producer(broker, { lingerMs: 60_000 });
    const sent = producer.send('t', [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 1 },
      { value: 'c', partition: 0 },
      { value: 'd', partition: 1 },
      { value: 'e', partition: 0 },
    ]);
    await producer.flush();
    expect((await sent).map((m) => [m.partition, m.offset])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 2],
    ]);
    expect(readAll(broker, 't', 0).map((r) => r.value)).toEqual(['a', 'c', 'e']);
  });

  it('partitions by key with murmur2, keeps explicit partitions, and carries headers and timestamps', async () => {
    const producer = new Producer(broker);
    const meta = await producer.send('t', [
      { key: 'user-1', value: 'a', headers: { trace: 'x1' }, timestamp: 1234 },
      { key: 'user-2', value: 'b' },
      { key: 'user-1', value: 'c', partition: 3 },
      { value: null, key: 'tomb' },
    ]);
    expect(meta[0].partition).toBe(partitionForKey(Buffer.from('user-1'), 4));
    expect(meta[1].partition).toBe(partitionForKey(Buffer.from('user-2'), 4));
    expect(meta[2].partition).toBe(3);
    expect(meta[0].timestamp).toBe(1234);
    const stored = readAll(broker, 't', meta[0].partition).find((r) => r.value === 'a')!;
    expect(stored.headers).toEqual({ trace: 'x1' });
    expect(stored.offset).toBe(meta[0].offset);
    await producer.close();
  });

  it('sticks keyless records to one partition per batch, moving on after each batch', async () => {
    const producer = new Producer(broker);
    const used: number[] = [];
    for (let i = 0; i < 6; i++) {
      const meta = await producer.send(
        't',
        Array.from({ length: 5 }, () => ({ value: `x${i}` })),
      );
      expect(new Set(meta.map((m) => m.partition)).size).toBe(1);
      used.push(meta[0].partition);
    }
    for (let i = 1; i < used.length; i++) expect(used[i]).not.toBe(used[i - 1]);
  });

  it('batches a burst of records into one batch per partition, and splits by batch size', async () => {
    const producer = new Producer(broker, { batchSize: 1000, idempotent: false });
    const records = Array.from({ length: 100 }, (_, i) => ({ value: `value-${i}`.padEnd(50, '.'), partition: 0 }));
    const meta = await producer.send('t', records);
    expect(meta.map((m) => m.offset)).toEqual(records.map((_, i) => i));
    const p = broker.topics.partition('t', 0);
    if (!isRight(p)) throw new Error();
    const batches = decodeRecordBatches(p.right.read(0, 1 << 20));
    if (!isRight(batches)) throw new Error();
    // 100 records of ~70 bytes with a 1000-byte batch size: several batches, each below ~15 records.
    expect(batches.right.length).toBeGreaterThan(5);
    expect(Math.max(...batches.right.map((b) => b.records.length))).toBeLessThanOrEqual(15);
  });

  it('lingers to gather separate sends into one batch', async () => {
    const batchesIn = (partition: number) => {
      const p = broker.topics.partition('t', partition);
      if (!isRight(p)) throw new Error();
      const batches = decodeRecordBatches(p.right.read(0, 1 << 20));
      return isRight(batches) ? batches.right.length : -1;
    };
    const yieldToLoop = () => new Promise((r) => setImmediate(r));
    // A long linger holds records across turns of the event loop until the batch is due (here: flush).
    const lingering = new Producer(broker, { lingerMs: 60_000, idempotent: false });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      sends.push(lingering.send('t', { value: `v${i}`, partition: 1 }));
      await yieldToLoop();
    }
    expect(batchesIn(1)).toBe(0);
    await lingering.flush();
    await Promise.all(sends);
    expect(batchesIn(1)).toBe(1);
    // linger 0 sends each turn's records at once.
    const eager = new Producer(broker, { idempotent: false });
    for (let i = 0; i < 3; i++) {
      await eager.send('t', { value: `w${i}`, partition: 2 });
    }
    expect(batchesIn(2)).toBe(3);
  });

  it('writes a batch once when its answer is lost and the producer retries (idempotence)', async () => {
    let dropped = 0;
    const lossy: ProduceTarget = {
      describeTopic: (topic) => broker.describeTopic(topic),
      initProducerId: () => broker.initProducerId(),
      produce: (topic, partition, batch) => {
        const result = broker.produce(topic, partition, batch);
        // The first answer of each batch is lost on the way back.
        if (dropped++ % 2 === 0) throw new Error('connection reset');
        return result;
      },
    };
    const producer = new Producer(lossy);
    const meta = await producer.send('t', [
      { value: 'once', partition: 2 },
      { value: 'twice?', partition: 2 },
    ]);
    await producer.send('t', { value: 'third', partition: 2 });
    expect(meta.map((m) => m.offset)).toEqual([0, 1]);
    const stored = readAll(broker, 't', 2);
    expect(stored.map((r) => r.value)).toEqual(['once', 'twice?', 'third']);
    expect(stored[0].producerId).toBeGreaterThanOrEqual(0);
    expect(stored.map((r) => r.baseSequence)).toEqual([0, 0, 2]);
    expect(dropped).toBe(4);
  });

  it('without idempotence the same retry writes a duplicate (what idempotence prevents)', async () => {
    let calls = 0;
    const lossy: ProduceTarget = {
      describeTopic: (topic) => broker.describeTopic(topic),
      initProducerId: () => broker.initProducerId(),
      produce: (topic, partition, batch) => {
        const result = broker.produce(topic, partition, batch);
        if (calls++ === 0) throw new Error('connection reset');
        return result;
      },
    };
    await new Producer(lossy, { idempotent: false }).send('t', { value: 'dup', partition: 0 });
    expect(readAll(broker, 't', 0).map((r) => r.value)).toEqual(['dup', 'dup']);
  });

  it('starts over with a new producer id when the broker does not know it (state lost)', async () => {
    const target: ProduceTarget = {
      describeTopic: (topic) => broker.describeTopic(topic),
      initProducerId: () => broker.initProducerId(),
      produce: (topic, partition, batch) => broker.produce(topic, partition, batch),
    };
    const producer = new Producer(target);
    await producer.send('t', [{ value: 'before', partition: 0 }]);
    const first = readAll(broker, 't', 0)[0];
    // A broker that never saw this producer (its data directory was replaced).
    await broker.close();
    t.cleanup();
    t = tempDir('rill-producer-');
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
    broker.createTopic({ name: 't', partitions: 4 });
    const [m] = await producer.send('t', [{ value: 'after', partition: 0 }]);
    expect(m.offset).toBe(0);
    const stored = readAll(broker, 't', 0);
    expect(stored.map((r) => r.value)).toEqual(['after']);
    expect(stored[0].baseSequence).toBe(0);
    expect(first.baseSequence).toBe(0);
  });

  it('rejects with Kafka error codes', async () => {
    const producer = new Producer(broker);
    await expect(producer.send('missing', { value: 'x' })).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    await expect(producer.send('t', { value: 'x', partition: 9 })).rejects.toBeInstanceOf(BrokerError);
    broker.createTopic({ name: 'small', config: { 'max.message.bytes': 100 } });
    await expect(producer.send('small', { value: 'x'.repeat(500) })).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    expect(() => new Producer(broker, { acks: 2 as never })).toThrow(/acks/);
  });

  it('acks=0 resolves at once and still writes', async () => {
    const producer = new Producer(broker, { acks: 0 });
    const [m] = await producer.send('t', { value: 'fire', partition: 0 });
    expect(m.offset).toBe(-1);
    await producer.flush();
    expect(readAll(broker, 't', 0).map((r) => r.value)).toEqual(['fire']);
  });

  it('sendAll shares a batch with send calls: each call settles with its own records, in order', async () => {
    const producer = new Producer(broker, { lingerMs: 60_000 });
    // One partition's batch gathers three calls: send, sendAll (records batched as they are), send.
    const first = producer.send('t', [{ value: 'a', partition: 0 }]);
    const adopted = [
      { key: Buffer.from('k1'), value: Buffer.from('b'), timestamp: 10, partition: 0 },
      { key: null, value: null, timestamp: 11, partition: 0 },
      { key: 'converted', value: 'c', partition: 0, headers: { h: 'v' } },
    ];
    const all = producer.sendAll('t', adopted);
    const last = producer.send('t', [
      { value: 'd', partition: 0 },
      { value: 'e', partition: 1 },
    ]);
    await producer.flush();
    await expect(all).resolves.toBeUndefined();
    expect((await first).map((m) => m.offset)).toEqual([0]);
    expect((await last).map((m) => [m.partition, m.offset])).toEqual([
      [0, 4],
      [1, 0],
    ]);
    const stored = readAll(broker, 't', 0);
    expect(stored.map((r) => [r.key, r.value])).toEqual([
      [null, 'a'],
      ['k1', 'b'],
      [null, null],
      ['converted', 'c'],
      [null, 'd'],
    ]);
    expect(stored[3].headers).toEqual({ h: 'v' });
  });

  it('sendAll over interleaved partitions: one run per partition, and a send call after it still gets its own offsets', async () => {
    const producer = new Producer(broker, { lingerMs: 60_000 });
    const value = (v: string) => Buffer.from(v);
    // [p0, p1, p0, p1]: each partition's two records are apart in the call but one run of its batch.
    const all = producer.sendAll('t', [
      { key: null, value: value('a0'), timestamp: 1, partition: 0 },
      { key: null, value: value('a1'), timestamp: 1, partition: 1 },
      { key: null, value: value('b0'), timestamp: 1, partition: 0 },
      { key: null, value: value('b1'), timestamp: 1, partition: 1 },
    ]);
    const after = producer.send('t', [
      { value: 'c1', partition: 1 },
      { value: 'c0', partition: 0 },
    ]);
    await producer.flush();
    await expect(all).resolves.toBeUndefined();
    expect((await after).map((m) => [m.partition, m.offset])).toEqual([
      [1, 2],
      [0, 2],
    ]);
    expect(readAll(broker, 't', 0).map((r) => r.value)).toEqual(['a0', 'b0', 'c0']);
    expect(readAll(broker, 't', 1).map((r) => r.value)).toEqual(['a1', 'b1', 'c1']);
  });

  it('sendAll rejects when a record or the broker is refused', async () => {
    const producer = new Producer(broker);
    await expect(producer.sendAll('t', [{ value: Buffer.from('x'), timestamp: 1, partition: 7 }])).rejects.toMatchObject({
      code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    });
    broker.createTopic({ name: 'small', config: { 'max.message.bytes': 100 } });
    await expect(producer.sendAll('small', [{ key: null, value: Buffer.alloc(500), timestamp: 1 }])).rejects.toMatchObject({
      code: ErrorCode.MESSAGE_TOO_LARGE,
    });
    await expect(producer.sendAll('t', [])).resolves.toBeUndefined();
  });

  it('openWrite: records from byte ranges land where sendAll puts the same records, and end() settles once they are acknowledged', async () => {
    broker.createTopic({ name: 'ranged', partitions: 4 });
    const producer = new Producer(broker, { lingerMs: 60_000 });
    const records = Array.from({ length: 40 }, (_, i) => ({ key: i % 7 === 0 ? null : `k${i}`, value: i % 5 === 0 ? null : `v${i}` }));
    const all = producer.sendAll(
      't',
      records.map((r) => ({
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        timestamp: 5,
        partition: r.key === null ? 1 : undefined,
      })),
    );
    const writer = producer.openWrite('ranged');
    const src = Buffer.alloc(64);
    for (const r of records) {
      // One space reused for every record, key then value, overwritten each time.
      src.fill(0xee);
      const keyEnd = r.key === null ? -1 : 3 + src.write(r.key, 3);
      const valueStart = r.key === null ? 10 : keyEnd + 2;
      const valueEnd = r.value === null ? -1 : valueStart + src.write(r.value, valueStart);
      writer.append(src, r.key === null ? -1 : 3, keyEnd, r.value === null ? -1 : valueStart, valueEnd, 5, r.key === null ? 1 : undefined);
    }
    let ended = false;
    const end = writer.end().then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false); // the batches wait for their linger
    await producer.flush();
    await end;
    await all;
    for (let p = 0; p < 4; p++) {
      const want = readAll(broker, 't', p).map((r) => [r.offset, r.key, r.value]);
      expect(readAll(broker, 'ranged', p).map((r) => [r.offset, r.key, r.value])).toEqual(want);
    }
    // Bytes identical too: the same records encode the same batches, but for the producer fields.
    expect(readAll(broker, 'ranged', 1).length).toBeGreaterThan(0);
    // A writer with nothing appended settles at end().
    await expect(producer.openWrite('ranged').end()).resolves.toBeUndefined();
  });

  it('openWrite rejects at end() when a record, the topic or the broker is refused', async () => {
    const produced: string[] = [];
    const target: ProduceTarget = {
      produce: (topic, partition, batch) => {
        produced.push(`${topic}-${partition}`);
        return broker.produce(topic, partition, batch);
      },
      describeTopic: (topic) => broker.describeTopic(topic),
      initProducerId: () => broker.initProducerId(),
    };
    const producer = new Producer(target);
    const src = Buffer.from('kv');
    const bad = producer.openWrite('t');
    bad.append(src, 0, 1, 1, 2, 1, 7);
    bad.append(src, 0, 1, 1, 2, 1, undefined);
    await expect(bad.end()).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    const missing = producer.openWrite('no-such-topic');
    missing.append(src, 0, 1, 1, 2, 1, undefined);
    await expect(missing.end()).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    // Nothing of a refused topic is batched or sent (two turns: a batch's send starts on the next one).
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(produced.filter((p) => p.startsWith('no-such-topic'))).toEqual([]);
    const time = producer.openWrite('t');
    time.append(src, 0, 1, 1, 2, 1.5, undefined);
    await expect(time.end()).rejects.toMatchObject({ code: ErrorCode.INVALID_TIMESTAMP });
    broker.createTopic({ name: 'small', config: { 'max.message.bytes': 100 } });
    const large = producer.openWrite('small');
    large.append(Buffer.alloc(500), -1, -1, 0, 500, 1, undefined);
    await expect(large.end()).rejects.toMatchObject({ code: ErrorCode.MESSAGE_TOO_LARGE });
    await producer.close();
    await expect(producer.openWrite('t').end()).rejects.toThrow(/closed/);
  });

  it('openWrite: a refusal read at end(), turns later, is no unhandled rejection (Node would stop the process)', () => {
    const out = execFileSync(process.execPath, ['-r', './test/support/register-ts.js', 'test/core/client/open-write-refused-child.ts'], {
      cwd: path.resolve(__dirname, '../../..'),
      encoding: 'utf8',
      timeout: 50_000,
    });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.survived).toBe(true);
    expect(result.errors).toEqual([expect.stringMatching(/timestamp must be an integer/), expect.stringMatching(/no-such-topic|unknown/i)]);
  });
});
