// Hand-built record batches as a transactional producer and a plain one send
// them (core/log's encoder with the transactional attribute, producer id, epoch
// and sequence), for tests of transactions at the log, the broker and the clients.
import { encodeRecordBatch } from '../../core/log';

export function transactionalBatch(producerId: number, values: readonly string[], options: { epoch?: number; sequence?: number; key?: string } = {}): Buffer {
  return encodeRecordBatch({
    records: values.map((v) => ({ key: options.key === undefined ? null : Buffer.from(options.key), value: Buffer.from(v) })),
    producerId,
    producerEpoch: options.epoch ?? 0,
    baseSequence: options.sequence ?? 0,
    transactional: true,
  });
}

export function plainBatch(value: string, key?: string): Buffer {
  return encodeRecordBatch({ records: [{ key: key === undefined ? null : Buffer.from(key), value: Buffer.from(value) }] });
}
