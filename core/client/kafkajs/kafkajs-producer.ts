// LogProducer over a kafkajs producer: the queued records go out as one
// kafkajs sendBatch (acks = all) per batch (see batching-producer.ts).
import type { Kafka, Message, TopicMessages } from 'kafkajs';
import { kafkajs } from './kafkajs-module';
import { batchingProducer, type QueuedRecord } from '../batching-producer';
import type { LogProducer, OutgoingRecord } from '../log-client';

export function kafkaProducer(kafka: Kafka): LogProducer {
  // Kafka's default (murmur2) partitioner, the one Rill uses too. Idempotent:
  // kafkajs retries a request that failed or timed out, and when one partition
  // of it fails it sends the whole request to that broker again; without
  // sequence numbers the records already written are written twice. (Seen on
  // Apache Kafka on a loaded machine: an example's input lines written twice,
  // 2 runs in about 10; which error set the retry off was not caught.)
  const producer = kafka.producer({
    createPartitioner: kafkajs().Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  return batchingProducer({
    name: 'kafka',
    open: () => producer.connect(),
    shut: () => producer.disconnect(),
    async sendQueued(records) {
      await producer.sendBatch({ acks: -1, topicMessages: topicMessages(records) });
    },
  });
}

/** Queued records as kafkajs's sendBatch takes them: grouped by topic. */
export function topicMessages(records: readonly QueuedRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, record } of records) {
    const list = byTopic.get(topic) ?? [];
    list.push(toMessage(record));
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function toMessage(r: OutgoingRecord): Message {
  return { key: r.key, value: r.value, timestamp: String(r.timestamp), partition: r.partition, headers: r.headers ? { ...r.headers } : undefined };
}
