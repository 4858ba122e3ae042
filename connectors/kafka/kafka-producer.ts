// LogProducer over a kafkajs producer. send() queues; one loop sends what is
// queued as one sendBatch (acks = all) and settles each record's promise, one
// batch in flight at a time so records of a partition stay in order.
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { LogProducer, OutgoingRecord } from '../../dsl';

interface Pending {
  topic: string;
  message: Message;
  resolve: () => void;
  reject: (e: Error) => void;
}

export function kafkaProducer(kafka: Kafka): LogProducer {
  // Kafka's default (murmur2) partitioner, the one Rill uses too.
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  let connected: Promise<void> | undefined;
  let queue: Pending[] = [];
  let sending: Promise<void> | undefined;
  let closed = false;

  async function drain(): Promise<void> {
    await (connected ??= producer.connect());
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const byTopic = new Map<string, Message[]>();
      for (const p of batch) {
        const list = byTopic.get(p.topic) ?? [];
        list.push(p.message);
        byTopic.set(p.topic, list);
      }
      try {
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        for (const p of batch) p.resolve();
      } catch (e) {
        const error = new Error(`kafka: sending ${batch.length} records failed: ${(e as Error).message}`);
        for (const p of batch) p.reject(error);
      }
    }
  }

  function kick(): void {
    sending ??= drain()
      .catch((e: Error) => {
        connected = undefined;
        for (const p of queue.splice(0)) p.reject(new Error(`kafka: cannot connect the producer: ${e.message}`));
      })
      .finally(() => {
        sending = undefined;
        if (queue.length > 0) kick();
      });
  }

  function enqueue(topic: string, r: OutgoingRecord): Promise<void> {
    if (closed) return Promise.reject(new Error('kafka producer is closed'));
    return new Promise((resolve, reject) => {
      queue.push({ topic, message: toMessage(r), resolve, reject });
      // Let a burst of synchronous sends gather into one batch.
      if (!sending) setImmediate(kick);
    });
  }

  return {
    send: enqueue,
    sendBatch: (topic, records) => Promise.all(records.map((r) => enqueue(topic, r))).then(() => undefined),
    async flush() {
      while (queue.length > 0 || sending) {
        if (!sending) kick();
        await sending;
      }
    },
    async close() {
      await this.flush();
      closed = true;
      if (connected) await producer.disconnect();
    },
  };
}

function toMessage(r: OutgoingRecord): Message {
  return { key: r.key, value: r.value, timestamp: String(r.timestamp), partition: r.partition, headers: r.headers ? { ...r.headers } : undefined };
}
