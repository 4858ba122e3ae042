// A broker restarted mid-transaction: its coordinator reloads __transaction_state
// and the pending offsets of __consumer_offsets, completes the transaction that
// was in PrepareCommit (markers written again, offsets made visible) and aborts
// the Ongoing one once its timeout passes.
import { Broker, TRANSACTION_STATE_TOPIC, TxnStatus, encodeTxnKey, encodeTxnValue } from '../../../core/broker';
import { decodeRecordBatches, encodeRecordBatch } from '../../../core/log';
import { FakeClock, ok, tempDir } from './helpers';

function open(dir: string, clock: FakeClock): Broker {
  return Broker.open({ dir, clock, scheduler: false, groupTickIntervalMs: 0, transactions: { tickIntervalMs: 0 } });
}

/** 'COMMIT'/'ABORT' for the partition's control batches, the values for its data. */
async function story(broker: Broker, topic: string, partition: number): Promise<(string | string[])[]> {
  const [r] = await broker.fetch({ partitions: [{ topic, partition, offset: 0, maxBytes: 1 << 20 }] });
  return ok(decodeRecordBatches(r.records)).map((b) =>
    b.isControl ? (b.records[0].key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT') : b.records.map((x) => x.value!.toString()),
  );
}

test('restart: PrepareCommit completes with its offsets, Ongoing aborts on its timeout', async () => {
  const { dir, cleanup } = tempDir();
  const clock = new FakeClock();
  try {
    const before = open(dir, clock);
    ok(before.createTopic({ name: 'out', partitions: 2 }));
    const tx = before.transactions;
    const committing = ok(await tx.initProducerId('committing', 30_000));
    ok(await tx.addPartitions('committing', committing.producerId, committing.producerEpoch, [{ topic: 'out', partition: 0 }]));
    ok(await tx.addOffsets('committing', committing.producerId, committing.producerEpoch, 'wc'));
    const data = (value: string, p: { producerId: number; producerEpoch: number }) =>
      encodeRecordBatch({
        records: [{ key: null, value: Buffer.from(value) }],
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        baseSequence: 0,
        transactional: true,
      });
    ok(before.produce('out', 0, data('kept', committing)));
    const results = before.commitTxnOffsets({ transactionalId: 'committing', ...committing, groupId: 'wc', memberId: '', generationId: -1 }, [
      { topic: 'out', partition: 1, offset: 7 },
    ]);
    expect(results.map((r) => r.errorCode)).toEqual([0]);
    expect(before.fetchOffsets('wc', [{ topic: 'out', partition: 1 }])[0].offset).toBe(-1);

    const openTxn = ok(await tx.initProducerId('open', 30_000));
    ok(await tx.addPartitions('open', openTxn.producerId, openTxn.producerEpoch, [{ topic: 'out', partition: 1 }]));
    ok(before.produce('out', 1, data('lost', openTxn)));

    // The crash: PrepareCommit is durable, no marker was written.
    const prepare = { ...tx.describe('committing')!, state: TxnStatus.PrepareCommit };
    const partition = ok(before.topics.partition(TRANSACTION_STATE_TOPIC, tx.partitionFor('committing')));
    partition.produce(encodeRecordBatch({ records: [{ key: encodeTxnKey('committing'), value: encodeTxnValue(prepare) }] }));
    await before.close();

    const after = open(dir, clock);
    try {
      await after.transactions.resume();
      expect(after.transactions.describe('committing')?.state).toBe(TxnStatus.CompleteCommit);
      expect(await story(after, 'out', 0)).toEqual([['kept'], 'COMMIT']);
      expect(after.fetchOffsets('wc', [{ topic: 'out', partition: 1 }])[0].offset).toBe(7);

      expect(after.transactions.describe('open')?.state).toBe(TxnStatus.Ongoing);
      clock.advance(30_000);
      await after.transactions.tick();
      expect(after.transactions.describe('open')?.state).toBe(TxnStatus.CompleteAbort);
      expect(await story(after, 'out', 1)).toEqual([['lost'], 'ABORT']);
    } finally {
      await after.close();
    }
    // Reopened once more, the completed states are what the log holds, and the offsets stay committed.
    const again = open(dir, clock);
    try {
      expect(again.transactions.describe('committing')?.state).toBe(TxnStatus.CompleteCommit);
      expect(again.transactions.describe('open')?.state).toBe(TxnStatus.CompleteAbort);
      expect(again.fetchOffsets('wc', [{ topic: 'out', partition: 1 }])[0].offset).toBe(7);
      // Rebuilt from the log, the producer state does not take the marker for the producer's last batch: sequence 1 follows its data.
      const next = encodeRecordBatch({
        records: [{ key: null, value: Buffer.from('next') }],
        producerId: committing.producerId,
        producerEpoch: committing.producerEpoch,
        baseSequence: 1,
        transactional: true,
      });
      ok(again.produce('out', 0, next));
      expect(await story(again, 'out', 0)).toEqual([['kept'], 'COMMIT', ['next']]);
    } finally {
      await again.close();
    }
  } finally {
    cleanup();
  }
});
