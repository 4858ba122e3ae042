// The embedded LogClient under transactions: fetch() (what restores read with)
// and read_committed consumers never see an aborted record nor one past the
// last stable offset; read_uncommitted consumers see every data record; no
// reader sees a transaction marker.
import { AbortedTransactionFilter, Rill, rillLogClient } from '../../../core/client';
import { decodeRecordBatches, encodeTxnMarker, PartitionLog } from '../../../core/log';
import { plainBatch, transactionalBatch } from '../../support/transactional-batches';
import { tempDir } from '../broker/helpers';

const t = tempDir('rill-rc-client-');
let rill: Rill;
beforeEach(async () => {
  rill = Rill.open({ dir: t.dir });
  await rill.admin.createTopics([{ name: 'rc', partitions: 1 }]);
  const produce = (records: Buffer) => {
    const r = rill.broker.produce('rc', 0, records);
    if (r._tag === 'Left') throw r.left;
  };
  const mark = (producerId: number, commit: boolean) => {
    const r = rill.broker.writeTxnMarker('rc', 0, { producerId, producerEpoch: 0, coordinatorEpoch: 0, commit });
    if (r._tag === 'Left') throw r.left;
  };
  produce(plain('before')); // 0
  produce(txn(1, 0, 'a1')); // 1
  produce(txn(2, 0, 'b1')); // 2: aborted below
  produce(txn(1, 1, 'a2')); // 3
  mark(1, true); // 4
  mark(2, false); // 5
  produce(plain('middle')); // 6
  produce(txn(3, 0, 'open')); // 7: still open
  produce(plain('after')); // 8
});
afterEach(async () => {
  await rill.close();
  t.cleanup();
});

const txn = (pid: number, sequence: number, value: string) => transactionalBatch(pid, [value], { sequence, key: 'k' });
const plain = (value: string) => plainBatch(value, 'k');

test('LogClient.fetch reads committed data only, up to the last stable offset', async () => {
  const client = rillLogClient(rill);
  const { records, nextOffset } = await client.fetch({ topic: 'rc', partition: 0 }, 0, 1 << 20);
  expect(records.map((r) => String(r.value))).toEqual(['before', 'a1', 'a2', 'middle']);
  expect(nextOffset).toBe(7);
});

test.each([
  ['read_committed' as const, false, ['before', 'a1', 'a2', 'middle']],
  ['read_uncommitted' as const, false, ['before', 'a1', 'b1', 'a2', 'middle', 'open', 'after']],
  // Records left as ranges of the fetched bytes (what the DSL runtime reads): the same records skipped and delivered.
  ['read_committed' as const, true, ['before', 'a1', 'a2', 'middle']],
  ['read_uncommitted' as const, true, ['before', 'a1', 'b1', 'a2', 'middle', 'open', 'after']],
])('a LogClient consumer with isolationLevel %s (recordSpans %s)', async (isolationLevel, recordSpans, expected) => {
  const consumer = rillLogClient(rill).consumer({ isolationLevel, recordSpans });
  try {
    await consumer.assign([{ topic: 'rc', partition: 0 }]);
    const seen: string[] = [];
    while (seen.length < expected.length) for (const r of await consumer.poll(100, 1000)) seen.push(String(r.value));
    expect(seen).toEqual(expected);
    // A read_committed consumer's lag counts to the last stable offset: it has all it may read.
    if (isolationLevel === 'read_committed') expect(consumer.fetchedLag({ topic: 'rc', partition: 0 })).toBe(0);
  } finally {
    await consumer.close();
  }
});

test('AbortedTransactionFilter follows Kafka: a producer’s aborted range starts at its first offset and ends at its ABORT marker', () => {
  const dir = tempDir('rill-rc-filter-');
  const log = PartitionLog.open(dir.dir);
  try {
    log.append(txn(9, 0, 'x1')); // 0: aborted
    log.append(encodeTxnMarker({ producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, commit: false }, 0), { origin: 'coordinator' }); // 1
    log.append(txn(9, 1, 'x2')); // 2: the same producer's next transaction, committed
    log.append(encodeTxnMarker({ producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, 0), { origin: 'coordinator' }); // 3
    const batches = decodeRecordBatches(log.read(0, 1 << 20));
    if (batches._tag === 'Left') throw new Error(batches.left.message);
    const filter = new AbortedTransactionFilter(log.abortedTransactions(0, 4));
    expect(batches.right.map((b) => filter.delivers(b))).toEqual([false, false, true, false]);
  } finally {
    log.close();
    dir.cleanup();
  }
});
