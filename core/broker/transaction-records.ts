// Records of `__transaction_state` in Kafka's own format (TransactionLogKey.json
// and TransactionLogValue.json, version 0), so Kafka's tools read Rill's
// transaction log:
//
//   key   = version int16 (0) | TransactionalId string
//   value = version int16 (0) | ProducerId int64 | ProducerEpoch int16 | TransactionTimeoutMs int32
//           | TransactionStatus int8 | TransactionPartitions [Topic string, PartitionIds []int32] (nullable)
//           | TransactionLastUpdateTimestampMs int64 | TransactionStartTimestampMs int64
//
// A null value (tombstone) removes the transactional id. The epoch before the
// last bump is not in Kafka's v0 value; a reloaded coordinator knows none (-1),
// as Kafka's does.
import { Either, left, right } from 'fp-ts/Either';
import { DecodeError, Reader, Writer, array, decodeMessage, encodeMessage, field, message } from '../wire';
import { TxnStatus, type TxnMetadata, type TxnPartition } from './transaction-state';

const VERSION = 0;

const TransactionLogKey = message('none', [field('transactionalId', 'string', '0')]);
const TransactionLogValue = message('none', [
  field('producerId', 'int64', '0'),
  field('producerEpoch', 'int16', '0'),
  field('transactionTimeoutMs', 'int32', '0'),
  field('transactionStatus', 'int8', '0'),
  field('transactionPartitions', array([field('topic', 'string', '0'), field('partitionIds', array('int32'), '0')]), '0', { nullable: '0' }),
  field('transactionLastUpdateTimestampMs', 'int64', '0'),
  field('transactionStartTimestampMs', 'int64', '0'),
]);

interface ValueFields {
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: number;
  transactionPartitions: { topic: string; partitionIds: number[] }[] | null;
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
}

export function encodeTxnKey(transactionalId: string): Buffer {
  return encodeMessage(TransactionLogKey, 0, { transactionalId }, new Writer(32).int16(VERSION)).toBuffer();
}

export function encodeTxnValue(m: TxnMetadata): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const p of m.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const value: ValueFields = {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    transactionStatus: m.state,
    // Kafka writes null where a transaction holds no partitions.
    transactionPartitions: byTopic.size === 0 ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: m.txnLastUpdateTimestamp,
    transactionStartTimestampMs: m.txnStartTimestamp,
  };
  return encodeMessage(TransactionLogValue, 0, value, new Writer(64).int16(VERSION)).toBuffer();
}

export function decodeTxnKey(buf: Buffer): Either<string, string> {
  return decoded('key', () => {
    const r = new Reader(buf);
    const version = r.int16();
    if (version !== VERSION) return left(`unknown __transaction_state key version ${version}`);
    return right((decodeMessage(TransactionLogKey, 0, r) as { transactionalId: string }).transactionalId);
  });
}

export function decodeTxnValue(transactionalId: string, buf: Buffer): Either<string, TxnMetadata> {
  return decoded('value', () => {
    const r = new Reader(buf);
    const version = r.int16();
    // Version 1 (Kafka 4) only adds tagged fields after these; Rill writes and reads version 0.
    if (version !== VERSION) return left(`unknown __transaction_state value version ${version}`);
    const v = decodeMessage(TransactionLogValue, 0, r) as unknown as ValueFields;
    if (!Object.values(TxnStatus).includes(v.transactionStatus as TxnStatus)) return left(`unknown transaction status ${v.transactionStatus}`);
    const partitions: TxnPartition[] = (v.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((partition) => ({ topic: t.topic, partition })));
    return right({
      transactionalId,
      producerId: v.producerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: -1,
      timeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnStatus,
      partitions,
      txnStartTimestamp: v.transactionStartTimestampMs,
      txnLastUpdateTimestamp: v.transactionLastUpdateTimestampMs,
    });
  });
}

function decoded<T>(what: string, decode: () => Either<string, T>): Either<string, T> {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DecodeError) return left(`truncated or malformed __transaction_state ${what}: ${e.message}`);
    throw e;
  }
}
