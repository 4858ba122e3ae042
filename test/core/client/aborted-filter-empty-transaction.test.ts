// A read_committed reader and an aborted transaction that wrote nothing to the
// partition: its producer added the partition, then died before writing there,
// and the next incarnation's InitProducerId aborted it. The log lists that
// transaction as beginning at its own ABORT marker (as Kafka's does), and the
// producer's next, committed transaction must still be delivered. Found by
// test/cli/worker-exactly-once-cluster.test.ts with three kills: every count
// a restarted worker committed after such an abort was invisible.
import { AbortedTransactionFilter } from '../../../core/client';
import { decodeRecordBatches, encodeTxnMarker, PartitionLog } from '../../../core/log';
import { transactionalBatch } from '../../support/transactional-batches';
import { tempDir } from '../broker/helpers';

test('an aborted transaction that begins at its ABORT marker ends there: the producer’s later committed records are delivered', () => {
  const dir = tempDir('rill-rc-empty-abort-');
  const log = PartitionLog.open(dir.dir);
  try {
    const marker = (commit: boolean, epoch: number) =>
      log.append(encodeTxnMarker({ producerId: 9, producerEpoch: epoch, coordinatorEpoch: 0, commit }, 0), { origin: 'coordinator' });
    log.append(transactionalBatch(9, ['a'])); // 0: committed
    marker(true, 0); // 1
    marker(false, 1); // 2: the abort of a transaction with nothing here
    log.append(transactionalBatch(9, ['b'], { epoch: 2 })); // 3: the next incarnation's, committed
    marker(true, 2); // 4
    expect(log.abortedTransactions(0, 5)).toEqual([expect.objectContaining({ producerId: 9, firstOffset: 2 })]);
    const batches = decodeRecordBatches(log.read(0, 1 << 20));
    if (batches._tag === 'Left') throw new Error(batches.left.message);
    const filter = new AbortedTransactionFilter(log.abortedTransactions(0, 5));
    expect(batches.right.map((b) => filter.delivers(b))).toEqual([true, false, false, true, false]);
  } finally {
    log.close();
    dir.cleanup();
  }
});
