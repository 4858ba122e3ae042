// Rill's own transactional producer on the embedded log: records and offsets
// committed or aborted together, fencing by a newer producer of the same
// transactional id, and the states it refuses. The logs are read as stored:
// each partition of a transaction ends with its COMMIT or ABORT control batch.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode, Rill } from '../../../core/client';
import { decodeRecordBatches } from '../../../core/log';

let dir: string;
let rill: Rill;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-txn-client-'));
  rill = Rill.open({ dir, scheduler: false, groupTickIntervalMs: 0, transactions: { tickIntervalMs: 0 } });
  for (const [name, partitions] of [
    ['out', 2],
    ['in', 1],
  ] as const) {
    const created = rill.broker.createTopic({ name, partitions });
    if (created._tag === 'Left') throw created.left;
  }
});

afterEach(async () => {
  await rill.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The partition's batches: the values of data batches, 'COMMIT'/'ABORT' for markers. */
async function story(topic: string, partition: number): Promise<(string | string[])[]> {
  const [r] = await rill.broker.fetch({ partitions: [{ topic, partition, offset: 0, maxBytes: 1 << 20 }] });
  const batches = decodeRecordBatches(r.records);
  if (batches._tag === 'Left') throw new Error(batches.left.message);
  return batches.right.map((b) => {
    expect(b.isTransactional).toBe(true);
    return b.isControl ? (b.records[0].key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT') : b.records.map((x) => x.value!.toString());
  });
}

const offsetOf = (group: string) => rill.broker.fetchOffsets(group, [{ topic: 'in', partition: 0 }])[0].offset;

test('commit: records on two partitions and the group offset become visible together', async () => {
  const p = rill.producer({ transactionalId: 'wc-1' });
  await p.beginTransaction();
  await p.send('out', [
    { value: 'a', partition: 0 },
    { value: 'b', partition: 1 },
  ]);
  await p.sendOffsets('wc', [{ topic: 'in', partition: 0, offset: 3 }]);
  expect(offsetOf('wc')).toBe(-1);
  await p.commit();
  expect(await story('out', 0)).toEqual([['a'], 'COMMIT']);
  expect(await story('out', 1)).toEqual([['b'], 'COMMIT']);
  expect(offsetOf('wc')).toBe(3);

  // The next transaction continues the producer's sequences on the same epoch.
  await p.beginTransaction();
  await p.send('out', { value: 'c', partition: 0 });
  await p.commit();
  expect(await story('out', 0)).toEqual([['a'], 'COMMIT', ['c'], 'COMMIT']);
});

test('abort: markers are ABORT and the offsets sent are dropped', async () => {
  const p = rill.producer({ transactionalId: 'wc-2' });
  await p.beginTransaction();
  await p.send('out', { value: 'x', partition: 1 });
  await p.sendOffsets('wc', [{ topic: 'in', partition: 0, offset: 8 }]);
  await p.abort();
  expect(await story('out', 1)).toEqual([['x'], 'ABORT']);
  expect(offsetOf('wc')).toBe(-1);
  // A transaction that wrote nothing ends without the coordinator.
  await p.beginTransaction();
  await p.commit();
  expect(await story('out', 1)).toEqual([['x'], 'ABORT']);
});

test('a newer producer of the same transactional id fences the older one', async () => {
  const old = rill.producer({ transactionalId: 'shared' });
  await old.beginTransaction();
  await old.send('out', { value: 'zombie', partition: 0 });
  const fresh = rill.producer({ transactionalId: 'shared' });
  await fresh.beginTransaction();
  expect(fresh.producerIds.producerEpoch).toBe(old.producerIds.producerEpoch + 2);
  expect(await story('out', 0)).toEqual([['zombie'], 'ABORT']);
  await expect(old.commit()).rejects.toMatchObject({ code: ErrorCode.PRODUCER_FENCED });
  await expect(old.beginTransaction()).rejects.toMatchObject({ code: ErrorCode.PRODUCER_FENCED });
  await fresh.send('out', { value: 'new', partition: 0 });
  await fresh.commit();
  expect(await story('out', 0)).toEqual([['zombie'], 'ABORT', ['new'], 'COMMIT']);
});

test('refused states: send before a transaction, commit after a failed send (abort still works)', async () => {
  const p = rill.producer({ transactionalId: 'states' });
  await expect(p.send('out', { value: 'early' })).rejects.toMatchObject({ code: ErrorCode.INVALID_TXN_STATE });
  await p.beginTransaction();
  await expect(p.beginTransaction()).rejects.toMatchObject({ code: ErrorCode.INVALID_TXN_STATE });
  await p.send('out', { value: 'ok', partition: 0 });
  await expect(p.send('missing', { value: 'lost' })).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  await expect(p.commit()).rejects.toMatchObject({ code: ErrorCode.INVALID_TXN_STATE });
  await p.abort();
  expect(await story('out', 0)).toEqual([['ok'], 'ABORT']);
  expect(() => rill.producer({ transactionalId: 'acks', acks: 1 })).toThrow(/acks=all/);
});
