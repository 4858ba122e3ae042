// Writes records to a topic of another log: how records move between Rill's
// own log and a Kafka or Redpanda cluster, in either direction. Run it as a
// sink task on the log read from, with bytes serdes, and give it the LogClient
// written to: the batch is acknowledged once the target log has it, and only
// then are the source offsets committed (a retried batch may repeat records
// in the target: at-least-once).
import type { LogClient, LogProducer } from '../core/client';
import { unavailable, written, type SinkConnector, type SinkRecord } from './connector';

export interface TopicSinkOptions {
  /** The log written to. */
  readonly log: LogClient;
  /** The target topic (default: the same name as the source topic). */
  readonly topic?: string | ((record: SinkRecord<Buffer, Buffer>) => string);
  /** Keep each record's partition number (default false: Kafka's key partitioner). */
  readonly keepPartition?: boolean;
  readonly name?: string;
}

export function topicSink(options: TopicSinkOptions): SinkConnector<Buffer, Buffer> {
  let producer: LogProducer | undefined;
  const topicOf = (r: SinkRecord<Buffer, Buffer>) => (typeof options.topic === 'function' ? options.topic(r) : (options.topic ?? r.topic));
  return {
    name: options.name ?? `topic-${typeof options.topic === 'string' ? options.topic : 'mirror'}`,
    async write(batch) {
      producer ??= options.log.producer();
      const p = producer;
      try {
        await Promise.all(
          batch.map((r) =>
            p.send(topicOf(r), {
              key: r.key,
              value: r.value,
              timestamp: r.timestamp,
              partition: options.keepPartition ? r.partition : undefined,
              headers: r.headers,
            }),
          ),
        );
        await p.flush();
        return written();
      } catch (e) {
        // A producer that failed may hold a broken connection: start a fresh one for the retry.
        await p.close().catch(() => undefined);
        producer = undefined;
        return unavailable(`target log: ${(e as Error).message}`);
      }
    },
    async stop() {
      await producer?.close();
    },
  };
}
