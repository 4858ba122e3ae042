// Transactions at the log: open transactions and the last stable offset from
// every append (a producer's, a follower's copy, a marker), the aborted-transaction
// index per segment, and their rebuild on recovery and after a truncation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog, LogCleaner, InvalidRecordError, encodeRecordBatch, encodeTxnMarker, decodeRecordBatches } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('txlog');
afterEach(() => dirs.removeAll());

/** A transactional batch of producer `pid` (records keyed k0..), as a transactional producer sends it. */
function txnBatch(pid: number, count: number, epoch = 0, sequence = 0, keyPrefix = 'k'): Buffer {
  return encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${keyPrefix}${i}`), value: Buffer.from(`p${pid}-${i}`), timestamp: 1000 })),
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: sequence,
    transactional: true,
  });
}

const plain = (n = 1) =>
  encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`p${i}`), value: Buffer.from('x'), timestamp: 1000 })) });
const marker = (pid: number, commit: boolean, epoch = 0) => encodeTxnMarker({ producerId: pid, producerEpoch: epoch, coordinatorEpoch: 1, commit }, 1000);
const asCoordinator = { origin: 'coordinator' as const };

test('an open transaction holds the last stable offset at its first offset; its marker releases it', () => {
  const log = PartitionLog.open(dirs.make());
  log.append(plain(2)); // 0..1
  expect(log.lastStableOffset).toBe(2);
  log.append(txnBatch(7, 3)); // 2..4
  log.append(plain()); // 5
  expect(log.highWatermark).toBe(6);
  expect(log.lastStableOffset).toBe(2);
  log.append(txnBatch(8, 1)); // 6
  log.append(txnBatch(7, 1, 0, 3)); // 7: the same transaction goes on
  expect(log.openTransactionCount).toBe(2);
  log.append(marker(7, true), asCoordinator); // 8
  expect(log.lastStableOffset).toBe(6); // producer 8's transaction is still open
  log.append(marker(8, false), asCoordinator); // 9
  expect(log.lastStableOffset).toBe(10);
  expect(log.openTransactionCount).toBe(0);
  expect(log.abortedTransactions(0, 10)).toEqual([{ producerId: 8, firstOffset: 6, lastOffset: 9, lastStableOffset: 10 }]);
  log.close();
});

test('clients cannot write control batches; the coordinator origin can, one record each', () => {
  const log = PartitionLog.open(dirs.make());
  expect(() => log.append(marker(1, true))).toThrow(InvalidRecordError);
  expect(log.logEndOffset).toBe(0);
  log.append(marker(1, true), asCoordinator);
  expect(log.logEndOffset).toBe(1);
  const [batch] = decodeBatches(log.read(0, 1000));
  expect(batch.isControl).toBe(true);
  expect(batch.isTransactional).toBe(true);
  expect(batch.records[0].key).toEqual(Buffer.from([0, 0, 0, 1])); // version 0, COMMIT
  expect(batch.records[0].value).toEqual(Buffer.from([0, 0, 0, 0, 0, 1])); // version 0, coordinator epoch 1
  log.close();
});

/** Every stored batch, segment by segment (a read stops at a segment's end). */
function allBatches(log: PartitionLog) {
  const out: ReturnType<typeof decodeBatches> = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const batches = decodeBatches(log.read(offset, 1 << 20, log.logEndOffset));
    if (batches.length === 0) break;
    out.push(...batches);
    offset = batches[batches.length - 1].lastOffset + 1;
  }
  return out;
}

function decodeBatches(buf: Buffer) {
  const d = decodeRecordBatches(buf);
  if (d._tag === 'Left') throw new Error(d.left.message);
  return d.right;
}

test('aborted transactions are listed for a read range: marker at or after its start, data before its end', () => {
  const log = PartitionLog.open(dirs.make(), { 'segment.bytes': 300 });
  log.append(txnBatch(1, 2)); // 0..1
  log.append(marker(1, false), asCoordinator); // 2
  log.append(plain(3)); // 3..5
  log.append(txnBatch(2, 2)); // 6..7
  log.append(marker(2, false), asCoordinator); // 8
  log.append(txnBatch(3, 1)); // 9
  log.append(marker(3, true), asCoordinator); // 10
  expect(log.segmentCount).toBeGreaterThan(1);
  expect(log.abortedTransactions(0, 11).map((t) => t.producerId)).toEqual([1, 2]);
  expect(log.abortedTransactions(3, 6).map((t) => t.producerId)).toEqual([]);
  expect(log.abortedTransactions(3, 7).map((t) => t.producerId)).toEqual([2]);
  expect(log.abortedTransactions(9, 11).map((t) => t.producerId)).toEqual([]);
  // Each segment's index is on disk, named like its segment.
  const indexes = fs.readdirSync(log.dir).filter((n) => n.endsWith('.txnindex'));
  expect(indexes.length).toBeGreaterThanOrEqual(1);
  const size = indexes.reduce((sum, n) => sum + fs.statSync(path.join(log.dir, n)).size, 0);
  expect(size).toBe(2 * 34);
  log.close();
});

test('a follower copying the bytes computes the same open transactions and aborted index', () => {
  const leader = PartitionLog.open(dirs.make());
  const follower = PartitionLog.open(dirs.make(), {}, { replicated: true });
  leader.append(txnBatch(4, 2));
  leader.append(plain());
  leader.append(marker(4, false), asCoordinator);
  leader.append(txnBatch(5, 1));
  follower.append(leader.read(0, 1 << 20, leader.logEndOffset), { assignOffsets: false });
  follower.updateHighWatermark(follower.logEndOffset);
  expect(follower.lastStableOffset).toBe(leader.lastStableOffset);
  expect(follower.lastStableOffset).toBe(4);
  expect(follower.abortedTransactions(0, 5)).toEqual(leader.abortedTransactions(0, 5));
  leader.close();
  follower.close();
});

test('recovery after a crash rebuilds open transactions and the aborted index from the log', () => {
  const dir = dirs.make();
  const log = PartitionLog.open(dir, { 'segment.bytes': 250 });
  log.append(txnBatch(1, 2));
  log.append(marker(1, false), asCoordinator);
  for (let i = 0; i < 5; i++) log.append(plain());
  log.append(txnBatch(2, 2));
  log.append(txnBatch(3, 1));
  log.append(marker(3, false), asCoordinator);
  const lso = log.lastStableOffset;
  const aborted = log.abortedTransactions(0, log.logEndOffset);
  expect(aborted).toHaveLength(2);
  log.flush(); // no close: a crash, the transaction state checkpoint is the last roll's
  for (const n of fs.readdirSync(dir).filter((f) => f.endsWith('.txnindex'))) fs.rmSync(path.join(dir, n));
  fs.rmSync(path.join(dir, 'transaction-state-checkpoint'), { force: true });
  const reopened = PartitionLog.open(dir, { 'segment.bytes': 250 });
  expect(reopened.lastStableOffset).toBe(lso);
  expect(reopened.openTransactionCount).toBe(1);
  expect(reopened.abortedTransactions(0, reopened.logEndOffset)).toEqual(aborted);
  reopened.close();
  // After a clean close the checkpoint at the log end restores the same.
  const again = PartitionLog.open(dir, { 'segment.bytes': 250 });
  expect(again.lastStableOffset).toBe(lso);
  expect(again.abortedTransactions(0, again.logEndOffset)).toEqual(aborted);
  again.close();
});

test('a crash after a roll replays from the checkpoint the roll wrote', () => {
  const dir = dirs.make();
  const log = PartitionLog.open(dir, { 'segment.bytes': 200 });
  log.append(txnBatch(9, 3)); // open across the roll
  for (let i = 0; i < 6; i++) log.append(plain());
  expect(log.segmentCount).toBeGreaterThan(1);
  log.append(marker(9, false), asCoordinator);
  log.append(txnBatch(10, 1));
  const aborted = log.abortedTransactions(0, log.logEndOffset);
  log.flush();
  const reopened = PartitionLog.open(dir, { 'segment.bytes': 200 });
  expect(reopened.abortedTransactions(0, reopened.logEndOffset)).toEqual(aborted);
  expect(reopened.lastStableOffset).toBe(log.logEndOffset - 1);
  reopened.close();
});

test('a truncation below a marker opens its transaction again', () => {
  const log = PartitionLog.open(dirs.make(), {}, { replicated: true });
  log.append(txnBatch(1, 2)); // 0..1
  log.append(marker(1, false), asCoordinator); // 2
  log.append(plain()); // 3
  log.updateHighWatermark(2);
  expect(log.abortedTransactions(0, 4)).toHaveLength(1);
  log.truncateTo(2);
  expect(log.abortedTransactions(0, 4)).toEqual([]);
  expect(log.openTransactionCount).toBe(1);
  expect(log.lastStableOffset).toBe(0);
  log.close();
});

test('retention deletes a segment with its .txnindex; compaction keeps markers and their index entries', () => {
  const dir = dirs.make();
  const log = PartitionLog.open(dir, { 'cleanup.policy': 'compact', 'segment.bytes': 300, 'min.cleanable.dirty.ratio': 0 });
  log.append(txnBatch(1, 2)); // k0 k1 aborted
  log.append(marker(1, false), asCoordinator);
  for (let i = 0; i < 8; i++) log.append(encodeRecordBatch({ records: [{ key: Buffer.from(`k${i % 2}`), value: Buffer.from(`v${i}`), timestamp: 0 }] }));
  const aborted = log.abortedTransactions(0, log.logEndOffset);
  new LogCleaner().clean(log, 0);
  const batches = allBatches(log);
  expect(batches.filter((b) => b.isControl)).toHaveLength(1);
  expect(log.abortedTransactions(0, log.logEndOffset)).toEqual(aborted);
  log.close();

  const deleting = PartitionLog.open(dirs.make(), { 'segment.bytes': 200, 'retention.bytes': 0 });
  deleting.append(txnBatch(1, 2));
  deleting.append(marker(1, false), asCoordinator);
  for (let i = 0; i < 6; i++) deleting.append(plain());
  const first = deleting.segmentBaseOffsets[0];
  expect(fs.existsSync(path.join(deleting.dir, `${String(first).padStart(20, '0')}.txnindex`))).toBe(true);
  expect(deleting.deleteOldSegments()).toBeGreaterThan(0);
  expect(fs.existsSync(path.join(deleting.dir, `${String(first).padStart(20, '0')}.txnindex`))).toBe(false);
  expect(deleting.abortedTransactions(0, deleting.logEndOffset)).toEqual([]);
  deleting.close();
});

test('the cleaner leaves segments holding an open transaction alone', () => {
  const log = PartitionLog.open(dirs.make(), { 'cleanup.policy': 'compact', 'segment.bytes': 200, 'min.cleanable.dirty.ratio': 0 });
  log.append(txnBatch(1, 1));
  for (let i = 0; i < 8; i++) log.append(encodeRecordBatch({ records: [{ key: Buffer.from('k0'), value: Buffer.from(`v${i}`), timestamp: 0 }] }));
  expect(log.segmentCount).toBeGreaterThan(2);
  expect(log.closedSegments()).toEqual([]);
  log.append(marker(1, true), asCoordinator);
  expect(log.closedSegments().length).toBeGreaterThan(0);
  log.close();
});

test('compaction drops aborted records and never lets one shadow the committed value of its key', () => {
  const log = PartitionLog.open(dirs.make(), { 'cleanup.policy': 'compact', 'segment.bytes': 200, 'min.cleanable.dirty.ratio': 0 });
  log.append(encodeRecordBatch({ records: [{ key: Buffer.from('k0'), value: Buffer.from('committed'), timestamp: 0 }] })); // 0
  log.append(txnBatch(1, 1)); // 1: k0 -> p1-0, aborted below
  log.append(marker(1, false), asCoordinator); // 2
  for (let i = 0; i < 6; i++) log.append(encodeRecordBatch({ records: [{ key: Buffer.from(`pad${i}`), value: Buffer.from('x'), timestamp: 0 }] }));
  const result = new LogCleaner().clean(log, 10_000); // after every record's timestamp (min.compaction.lag.ms 0)
  expect(result.recordsRemoved).toBeGreaterThanOrEqual(1);
  const batches = allBatches(log);
  const k0 = batches.flatMap((b) => b.records.filter((r) => r.key?.toString() === 'k0').map((r) => r.value!.toString()));
  expect(k0).toEqual(['committed']);
  expect(batches.filter((b) => b.isControl).map((b) => b.baseOffset)).toEqual([2]);
  log.close();
});

test('an aborted transaction is listed for a read of its data even when its marker is segments later', () => {
  const log = PartitionLog.open(dirs.make(), { 'segment.bytes': 200 });
  log.append(txnBatch(3, 1)); // 0
  for (let i = 0; i < 8; i++) log.append(plain()); // 1..8, several segments
  log.append(marker(3, false), asCoordinator); // 9
  expect(Math.max(...log.segmentBaseOffsets.filter((b) => b <= 9))).toBeGreaterThan(1); // the marker is segments after the data
  expect(log.abortedTransactions(0, 1)).toEqual([{ producerId: 3, firstOffset: 0, lastOffset: 9, lastStableOffset: 10 }]);
  log.close();
});

test('a truncation through the batch holding the log start offset leaves the log empty at the log start, never ending below it', () => {
  const log = PartitionLog.open(dirs.make(), {}, { replicated: true });
  log.append(plain(2)); // 0..1
  log.append(plain(2)); // 2..3
  log.updateHighWatermark(3);
  log.deleteRecordsBefore(3); // inside the second batch
  log.truncateTo(3); // drops the batch holding 3: offsets 2..3
  expect(log.logStartOffset).toBe(3);
  expect(log.logEndOffset).toBe(3);
  expect(log.read(3, 100).length).toBe(0);
  log.close();
});

test('after a truncation below the checkpoint and new appends past it, a crash recovers the new log’s transactions', () => {
  const dir = dirs.make();
  const log = PartitionLog.open(dir, {}, { replicated: true });
  for (let i = 0; i < 3; i++) log.append(plain()); // 0, 1, 2
  log.close(); // checkpoint at 3: nothing open
  const reopened = PartitionLog.open(dir, {}, { replicated: true });
  reopened.truncateTo(1);
  reopened.append(txnBatch(4, 1)); // 1: open, below the old checkpoint's offset
  for (let i = 0; i < 3; i++) reopened.append(plain()); // 2..4: the log grows past it
  reopened.flush(); // a crash: no close
  const recovered = PartitionLog.open(dir, {}, { replicated: true });
  expect(recovered.openTransactionCount).toBe(1);
  recovered.updateHighWatermark(recovered.logEndOffset);
  expect(recovered.lastStableOffset).toBe(1);
  recovered.close();
});
