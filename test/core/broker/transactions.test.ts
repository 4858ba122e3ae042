// Transactions at the embedded broker's partitions: markers, epoch fencing,
// read_committed fetch and ListOffsets, and a restart that rebuilds it all.
import { Broker, ErrorCode } from '../../../core/broker';
import { decodeRecordBatches, encodeRecordBatch } from '../../../core/log';
import { plainBatch as plain, transactionalBatch } from '../../support/transactional-batches';
import { err, ok, tempDir } from './helpers';

const t = tempDir('rill-txn-broker-');
let broker: Broker;
beforeEach(() => {
  broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
  ok(broker.createTopic({ name: 'tx', partitions: 1 }));
});
afterEach(async () => {
  await broker.close();
  t.cleanup();
});

const txn = (pid: number, values: string[], epoch = 0, sequence = 0) => transactionalBatch(pid, values, { epoch, sequence });
const marker = (pid: number, commit: boolean, epoch = 0, coordinatorEpoch = 0) => ({ producerId: pid, producerEpoch: epoch, coordinatorEpoch, commit });

async function read(isolationLevel: 0 | 1) {
  const [r] = await broker.fetch({ partitions: [{ topic: 'tx', partition: 0, offset: 0, maxBytes: 1 << 20 }], isolationLevel });
  const batches = decodeRecordBatches(r.records);
  if (batches._tag === 'Left') throw new Error(batches.left.message);
  return { ...r, batches: batches.right };
}

test('read_committed stops at the open transaction and lists the aborted one; read_uncommitted reads to the high watermark', async () => {
  ok(broker.produce('tx', 0, plain('before'))); // 0
  ok(broker.produce('tx', 0, txn(1, ['a1', 'a2']))); // 1..2
  ok(broker.writeTxnMarker('tx', 0, marker(1, false))); // 3
  ok(broker.produce('tx', 0, txn(2, ['c1']))); // 4, open
  const later = Date.now() + 3_600_000;
  ok(broker.produce('tx', 0, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('after'), timestamp: later }] }))); // 5
  const committed = await read(1);
  expect(committed.lastStableOffset).toBe(4);
  expect(committed.highWatermark).toBe(6);
  expect(committed.batches.map((b) => b.baseOffset)).toEqual([0, 1, 3]);
  expect(committed.abortedTransactions).toEqual([{ producerId: 1, firstOffset: 1 }]);
  const all = await read(0);
  expect(all.abortedTransactions).toBeNull();
  expect(all.batches.map((b) => b.baseOffset)).toEqual([0, 1, 3, 4, 5]);
  expect(ok(broker.listOffset('tx', 0, -1, 1)).offset).toBe(4);
  expect(ok(broker.listOffset('tx', 0, -1, 0)).offset).toBe(6);
  // A timestamp found at or past the last stable offset is not visible to read_committed.
  expect(ok(broker.listOffset('tx', 0, later, 0)).offset).toBe(5);
  expect(ok(broker.listOffset('tx', 0, later, 1)).offset).toBe(-1);
  ok(broker.writeTxnMarker('tx', 0, marker(2, true)));
  expect(ok(broker.listOffset('tx', 0, -1, 1)).offset).toBe(7);
  expect((await read(1)).batches.map((b) => b.baseOffset)).toEqual([0, 1, 3, 4, 5, 6]);
});

test('a marker with a newer epoch fences the old producer; older epochs and coordinators are refused', () => {
  ok(broker.produce('tx', 0, txn(5, ['x']))); // epoch 0
  // The coordinator aborts with a bumped epoch (a timeout, KIP-360): the old instance is fenced.
  ok(broker.writeTxnMarker('tx', 0, marker(5, false, 1, 3)));
  expect(err(broker.produce('tx', 0, txn(5, ['late'], 0, 1))).code).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  expect(err(broker.writeTxnMarker('tx', 0, marker(5, true, 0, 3))).code).toBe(ErrorCode.PRODUCER_FENCED);
  expect(err(broker.writeTxnMarker('tx', 0, marker(5, true, 1, 2))).code).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  // The new epoch starts its sequence at 0.
  ok(broker.produce('tx', 0, txn(5, ['fresh'], 1, 0)));
  ok(broker.writeTxnMarker('tx', 0, marker(5, true, 1, 3)));
  expect(ok(broker.partitionOffsets('tx', 0)).lastStableOffset).toBe(4);
});

test('a restart keeps the open transactions, the aborted index and the fenced epochs', async () => {
  ok(broker.produce('tx', 0, txn(1, ['a'])));
  ok(broker.writeTxnMarker('tx', 0, marker(1, false, 2)));
  ok(broker.produce('tx', 0, txn(2, ['open'])));
  await broker.close();
  broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0 });
  const r = await read(1);
  expect(r.lastStableOffset).toBe(2);
  expect(r.abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
  expect(err(broker.produce('tx', 0, txn(1, ['late'], 0, 1))).code).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
});
