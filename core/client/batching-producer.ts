// A LogProducer made of one "send these records" function: send() queues; one
// loop hands what is queued to `sendQueued` as one batch and settles each
// record's promise, one batch in flight at a time so records of a partition
// stay in order. Shared by the kafkajs producer and the Kafka protocol one.
import type { LogProducer, OutgoingRecord } from './log-client';

export interface QueuedRecord {
  readonly topic: string;
  readonly record: OutgoingRecord;
}

export interface BatchingProducerOptions {
  /** Sends the records (acks = all); resolves once all are acknowledged. */
  readonly sendQueued: (records: readonly QueuedRecord[]) => Promise<void>;
  /** Called once before the first send (connects). */
  readonly open?: () => Promise<void>;
  /** Called by close() after the last send. */
  readonly shut?: () => Promise<void>;
  /** Names the producer in errors ("kafka", "rill"). */
  readonly name: string;
}

interface Pending extends QueuedRecord {
  resolve: () => void;
  reject: (e: Error) => void;
}

export function batchingProducer(options: BatchingProducerOptions): LogProducer {
  let opened: Promise<void> | undefined;
  let queue: Pending[] = [];
  let sending: Promise<void> | undefined;
  let closed = false;

  async function drain(): Promise<void> {
    await (opened ??= options.open?.() ?? Promise.resolve());
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await options.sendQueued(batch);
        for (const p of batch) p.resolve();
      } catch (e) {
        const error = new Error(`${options.name}: sending ${batch.length} records failed: ${(e as Error).message}`);
        for (const p of batch) p.reject(error);
      }
    }
  }

  function kick(): void {
    sending ??= drain()
      .catch((e: Error) => {
        opened = undefined;
        for (const p of queue.splice(0)) p.reject(new Error(`${options.name}: cannot connect the producer: ${e.message}`));
      })
      .finally(() => {
        sending = undefined;
        if (queue.length > 0) kick();
      });
  }

  function enqueue(topic: string, record: OutgoingRecord): Promise<void> {
    if (closed) return Promise.reject(new Error(`${options.name} producer is closed`));
    return new Promise((resolve, reject) => {
      queue.push({ topic, record, resolve, reject });
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
      if (opened) await options.shut?.();
    },
  };
}
