// TransactionalLogProducer over a kafkajs transactional producer (kafkajs's
// `producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })`
// and its `transaction()`): what the exactly-once runtime writes with on a
// Kafka cluster, or on `rill broker` through kafkajs. Records queue as with
// the plain kafkajs producer and go out as one sendBatch of the open
// transaction. kafkajs's sendOffsets has no member or generation (no KIP-447
// fencing of the offsets): a zombie is fenced by the transactional id alone.
import type { Kafka, Transaction } from 'kafkajs';
import { batchingProducer } from '../batching-producer';
import { ProducerFencedError, type TransactionalLogProducer, type TransactionalLogProducerOptions } from '../log-client';
import { kafkajs } from './kafkajs-module';
import { topicMessages } from './kafkajs-producer';

/** kafkajs's error types that mean a newer producer of the transactional id fenced this one. */
const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']);

export function kafkaTransactionalProducer(kafka: Kafka, options: TransactionalLogProducerOptions): TransactionalLogProducer {
  const producer = kafka.producer({
    createPartitioner: kafkajs().Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    transactionalId: options.transactionalId,
    transactionTimeout: options.transactionTimeoutMs,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  let connected: Promise<void> | undefined;
  let open: Transaction | undefined;
  const batches = batchingProducer({
    name: 'kafka',
    async sendQueued(records) {
      if (open === undefined) throw new Error(`transactional producer "${options.transactionalId}": no transaction is open, call beginTransaction() first`);
      await open.sendBatch({ acks: -1, topicMessages: topicMessages(records) });
    },
  });
  function transaction(): Transaction {
    if (open === undefined) throw new Error(`transactional producer "${options.transactionalId}": no transaction is open, call beginTransaction() first`);
    return open;
  }
  return {
    send: batches.send,
    sendBatch: batches.sendBatch,
    flush: batches.flush,
    beginTransaction: () =>
      fenceAware(async () => {
        await (connected ??= producer.connect());
        open = await producer.transaction();
      }),
    sendOffsetsToTransaction: (groupId, offsets) =>
      fenceAware(async () => {
        const topics = [...new Set(offsets.map((o) => o.topic))].map((topic) => ({
          topic,
          partitions: offsets.filter((o) => o.topic === topic).map((o) => ({ partition: o.partition, offset: String(o.offset) })),
        }));
        await transaction().sendOffsets({ consumerGroupId: groupId, topics });
      }),
    commitTransaction: () =>
      fenceAware(async () => {
        await batches.flush();
        await transaction().commit();
        open = undefined;
      }),
    abortTransaction: () =>
      fenceAware(async () => {
        // What is still queued goes out first (or fails): either way it is aborted with the rest.
        await batches.flush();
        const aborting = transaction();
        open = undefined;
        await aborting.abort();
      }),
    async close() {
      await batches.flush();
      if (open?.isActive()) await open.abort().catch(() => undefined);
      open = undefined;
      await batches.close();
      if (connected) await producer.disconnect();
    },
  };
}

async function fenceAware(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    const type = (e as { type?: string }).type ?? (e as { originalError?: { type?: string } }).originalError?.type;
    if (type !== undefined && FENCED.has(type)) throw new ProducerFencedError((e as Error).message);
    throw e;
  }
}
