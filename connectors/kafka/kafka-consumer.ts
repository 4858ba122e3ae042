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
import { FetchedBuffer, tpKey } from './fetched-buffer';

export interface KafkaConsumerOptions {
  readonly groupId: string;
  /** Records fetched ahead of the reader before fetching pauses (default 5000). */
  readonly maxBufferedRecords?: number;
  readonly sessionTimeoutMs?: number;
  /** Where each assigned partition starts: the group's committed offset, else the earliest. */
  readonly startOffsets: (groupId: string, tps: readonly TopicPartition[]) => Promise<Map<string, number>>;
  /**
   * Per partition of a topic, its high watermark now. kafkajs hands out no
   * empty batches, so a partition with nothing new says nothing of its end:
   * fetchedLag() asks this instead (at most every lagRefreshMs).
   */
  readonly endOffsets: (topic: string) => Promise<{ partition: number; end: number }[]>;
  readonly lagRefreshMs?: number;
}

export function kafkaConsumer(kafka: Kafka, options: KafkaConsumerOptions): LogConsumer {
  const buffer = new FetchedBuffer(options.maxBufferedRecords ?? 5000);
  let consumer: Consumer | undefined;
  let assigned: readonly TopicPartition[] = [];
  const positions = new Map<string, number>();
  /** Bumped by seek: records of an older epoch are dropped. */
  const epochs = new Map<string, number>();
  /** Partitions inside eachBatch now: their end is being learnt from the batch. */
  const inBatch = new Set<string>();
  let closed = false;
  /** kafkajs gave up on the consumer (a crash it does not restart from): reading rejects with it. */
  let crashed: Error | undefined;
  let lastLagRefresh = -Infinity;

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const tp = { topic: batch.topic, partition: batch.partition };
    const key = tpKey(tp);
    const epoch = epochs.get(key) ?? 0;
    inBatch.add(key);
    try {
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
        if (!buffer.full) continue;
        // Full: what is buffered goes to the reader (with what the batch says of the partition's end) before waiting.
        buffer.answered(tp, Number(batch.highWatermark), offset + 1);
        while (buffer.full && isRunning() && !isStale() && !closed) {
          // Wait for the reader, but heartbeat at least every second so the group keeps us.
          await Promise.race([buffer.waitForRoom(), new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]);
          await heartbeat();
        }
      }
      if ((epochs.get(key) ?? 0) === epoch) buffer.answered(tp, Number(batch.highWatermark), positions.get(key) ?? 0);
    } finally {
      inBatch.delete(key);
    }
  }

  /** Learns the end of partitions no batch spoke of lately (nothing new there, or not fetched yet). */
  function refreshEnds(): void {
    const now = Date.now();
    if (now - lastLagRefresh < (options.lagRefreshMs ?? 250)) return;
    lastLagRefresh = now;
    for (const topic of new Set(assigned.map((tp) => tp.topic))) {
      void options
        .endOffsets(topic)
        .then((ends) => {
          for (const e of ends) {
            const tp = { topic, partition: e.partition };
            const key = tpKey(tp);
            const position = positions.get(key);
            if (position === undefined || inBatch.has(key)) continue;
            buffer.answered(tp, e.end, position);
          }
        })
        .catch(() => undefined);
    }
  }

  return {
    async assign(tps) {
      if (consumer) throw new Error('a kafka LogConsumer is assigned once; close it and make another to change partitions');
      assigned = [...tps];
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
        buffer.wakeReaders();
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
      buffer.drop((x) => x.topic !== tp.topic || x.partition !== tp.partition);
      positions.set(key, offset);
      consumer?.seek({ topic: tp.topic, partition: tp.partition, offset: String(offset) });
    },
    position: (tp) => positions.get(tpKey(tp)),
    bufferedRecords: () => buffer.size,
    fetchedLag(tp) {
      const lag = buffer.lag(tp);
      if (lag === undefined || lag === 0) refreshEnds();
      return lag;
    },
    pause(tps) {
      consumer?.pause(byTopic(tps));
    },
    resume(tps) {
      consumer?.resume(byTopic(tps));
    },
    async poll(max, waitMs) {
      if (buffer.size === 0 && crashed) throw crashed;
      return buffer.poll(max, waitMs, () => closed || crashed !== undefined);
    },
    records(): AsyncIterator<LogRecord> {
      return {
        async next() {
          while (buffer.size === 0 && !closed && !crashed) await buffer.waitForReader();
          if (buffer.size === 0 && crashed) throw crashed;
          const r = buffer.take();
          return r === undefined ? { done: true, value: undefined } : { done: false, value: r };
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
      buffer.wakeReaders();
      buffer.wakeFetchers();
      await consumer?.disconnect();
    },
  };
}

function byTopic(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of tps) m.set(tp.topic, [...(m.get(tp.topic) ?? []), tp.partition]);
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}
