// LogConsumer over a kafkajs consumer. kafkajs consumers only join groups, so
// assign() joins the group with an assigner that hands this member exactly
// the partitions asked for (exact-assigner.ts), and starts from the group's
// committed offsets, else the earliest. Records flow from kafkajs' eachBatch
// into a bounded buffer; eachBatch waits (heartbeating) while it is full, so a
// slow reader slows fetching. Nothing is committed automatically.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { LogConsumer, LogRecord } from '../../dsl';
import type { TopicPartition } from '../log-types';
import { exactAssigner } from './exact-assigner';

export interface KafkaConsumerOptions {
  readonly groupId: string;
  /** Records fetched ahead of the reader before fetching pauses (default 5000). */
  readonly maxBufferedRecords?: number;
  readonly sessionTimeoutMs?: number;
  /** Where each assigned partition starts: the group's committed offset, else the earliest. */
  readonly startOffsets: (groupId: string, tps: readonly TopicPartition[]) => Promise<Map<string, number>>;
}

export const tpKey = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

export function kafkaConsumer(kafka: Kafka, options: KafkaConsumerOptions): LogConsumer {
  const maxBuffered = options.maxBufferedRecords ?? 5000;
  let consumer: Consumer | undefined;
  let buffer: LogRecord[] = [];
  const positions = new Map<string, number>();
  /** Bumped by seek: records of an older epoch are dropped. */
  const epochs = new Map<string, number>();
  let readerWaiting: (() => void) | undefined;
  let spaceWaiting: (() => void) | undefined;
  let closed = false;
  /** kafkajs gave up on the consumer (a crash it does not restart from): reading rejects with it. */
  let crashed: Error | undefined;

  const wakeReader = () => {
    const w = readerWaiting;
    readerWaiting = undefined;
    w?.();
  };
  const wakeFetcher = () => {
    const w = spaceWaiting;
    spaceWaiting = undefined;
    w?.();
  };

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const key = tpKey({ topic: batch.topic, partition: batch.partition });
    const epoch = epochs.get(key) ?? 0;
    for (const m of batch.messages) {
      if (!isRunning() || isStale() || closed || (epochs.get(key) ?? 0) !== epoch) return;
      const offset = Number(m.offset);
      buffer.push({
        topic: batch.topic,
        partition: batch.partition,
        offset,
        timestamp: Number(m.timestamp),
        key: m.key ?? null,
        value: m.value ?? null,
        headers: Object.entries(m.headers ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => ({ key: k, value: one === undefined ? null : Buffer.from(one) }))),
      });
      positions.set(key, offset + 1);
      resolveOffset(m.offset);
      wakeReader();
      while (buffer.length >= maxBuffered && isRunning() && !isStale() && !closed) {
        // Wait for the reader, but heartbeat at least every second so the group keeps us.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          spaceWaiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        await heartbeat();
      }
    }
  }

  return {
    async assign(tps) {
      if (consumer) throw new Error('a kafka LogConsumer is assigned once; close it and make another to change partitions');
      const c = (consumer = kafka.consumer({
        groupId: options.groupId,
        partitionAssigners: [exactAssigner(tps)],
        sessionTimeout: options.sessionTimeoutMs ?? 30_000,
        maxWaitTimeInMs: 250,
        allowAutoTopicCreation: false,
      }));
      const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
      c.on(c.events.CRASH, ({ payload }) => {
        if (payload.restart) return;
        crashed = new Error(`kafka consumer of group ${options.groupId} stopped: ${payload.error.message}`);
        wakeReader();
      });
      const starts = await options.startOffsets(options.groupId, tps);
      for (const tp of tps) positions.set(tpKey(tp), starts.get(tpKey(tp)) ?? 0);
      await c.connect();
      await c.subscribe({ topics: [...new Set(tps.map((tp) => tp.topic))], fromBeginning: true });
      await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
      await joined;
    },
    async seek(tp, offset) {
      const key = tpKey(tp);
      epochs.set(key, (epochs.get(key) ?? 0) + 1);
      buffer = buffer.filter((r) => r.topic !== tp.topic || r.partition !== tp.partition);
      positions.set(key, offset);
      consumer?.seek({ topic: tp.topic, partition: tp.partition, offset: String(offset) });
      wakeFetcher();
    },
    position: (tp) => positions.get(tpKey(tp)),
    bufferedRecords: () => buffer.length,
    records(): AsyncIterator<LogRecord> {
      return {
        async next() {
          while (buffer.length === 0 && !closed && !crashed) await new Promise<void>((resolve) => (readerWaiting = resolve));
          if (buffer.length === 0 && crashed) throw crashed;
          if (buffer.length === 0) return { done: true, value: undefined };
          const r = buffer.shift()!;
          if (buffer.length < maxBuffered) wakeFetcher();
          return { done: false, value: r };
        },
      };
    },
    async commit(offsets) {
      if (!consumer) throw new Error('commit() before assign()');
      await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
    },
    async close() {
      if (closed) return;
      closed = true;
      wakeReader();
      wakeFetcher();
      await consumer?.disconnect();
    },
  };
}
