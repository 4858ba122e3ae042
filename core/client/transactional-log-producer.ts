// Rill's own TransactionalProducer (embedded, or over the Kafka protocol) as
// the LogClient's TransactionalLogProducer: the exactly-once runtime's one
// producer per instance. Fencing errors become ProducerFencedError, which the
// runtime tells apart from failures it can recover from by aborting.
import { BrokerError, ErrorCode } from '../broker';
import { ProducerFencedError, type TransactionalLogProducer } from './log-client';
import type { TransactionalProducer } from './transactional-producer';

const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);

export function transactionalLogProducer(p: TransactionalProducer): TransactionalLogProducer {
  return {
    // An OutgoingRecord is a ProducerRecord: handed on as it is, not copied record by record.
    send: (topic, r) => fenceAware(p.send(topic, r)),
    sendBatch: (topic, records) => fenceAware(p.sendAll(topic, records)),
    // Nothing waits in a batch: each send goes out at once (linger 0) and settles on acknowledgement; commit flushes anyway.
    flush: async () => undefined,
    close: () => p.close(),
    beginTransaction: () => fenceAware(p.beginTransaction()),
    sendOffsetsToTransaction: (groupId, offsets, member) => fenceAware(p.sendOffsets(groupId, offsets, member)),
    commitTransaction: () => fenceAware(p.commit()),
    abortTransaction: () => fenceAware(p.abort()),
  };
}

async function fenceAware(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (e) {
    if (e instanceof BrokerError && FENCED.has(e.code)) throw new ProducerFencedError(e.message);
    throw e;
  }
}
