// LogConsumer over a kafkajs consumer. kafkajs consumers only join groups, so
// assign() joins the group with an assigner that hands this member exactly
// the partitions asked for (exact-assigner.ts), and subscribe() joins it with
// the co-partitioned assigner (co-partitioned-assigner.ts); both start from
// the group's committed offsets, else the earliest. Records flow from kafkajs'
// eachBatch into a bounded buffer; eachBatch waits (heartbeating) while it is
// full, so a slow reader slows fetching. Nothing is committed automatically.
//
// kafkajs rebalances eagerly and has no rebalance listener: a member learns
// its new assignment when it has rejoined (GROUP_JOIN). The listener's
// onRevoked therefore runs after the rebalance; the commits it makes still
// count (Kafka accepts a current member's commits for any partition), but the
// partition's new owner may already have started from the previous commit,
// so records between the two are processed twice (at-least-once). Static
// membership (groupInstanceId) is not available in kafkajs and is ignored.
import type { Consumer, EachBatchPayload, Kafka, PartitionAssigner } from 'kafkajs';
import { commitRefusal, REFUSED_BY_REBALANCE } from '../commit-refusal';
import { tpKey } from '../assignor';
import { FetchedBuffer } from '../fetched-buffer';
import type { LogConsumer, LogRebalanceListener, LogRecord, TopicPartition } from '../log-client';
import { coPartitionedAssigner } from './co-partitioned-assigner';
import { exactAssigner } from './exact-assigner';

export interface KafkaConsumerOptions {
  readonly groupId: string;
  /** Records fetched ahead of the reader before fetching pauses (default 5000). */
  readonly maxBufferedRecords?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /** kafkajs' readUncommitted (default false: read_committed). */
  readonly readUncommitted?: boolean;
  /** Where each assigned partition starts: the group's committed offset, else the earliest. */
  readonly startOffsets: (groupId: string, tps: readonly TopicPartition[]) => Promise<Map<string, number>>;
  /**
   * Per partition of a topic, its high watermark now. kafkajs hands out no
   * empty batches, so a partition with nothing new says nothing of its end:
   * fetchedLag() asks this instead (at most every lagRefreshMs).
   */
  readonly endOffsets: (topic: string) => Promise<{ partition: number; end: number }[]>;
  readonly lagRefreshMs?: number;
  /** Carried in the member's subscription when it subscribes (the LogClient consumer's clientId). */
  readonly userData?: Buffer;
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
          headers: Object.entries(m.headers ?? {}).flatMap(([k, v]) =>
            (Array.isArray(v) ? v : [v]).map((one) => ({ key: k, value: one === undefined ? null : Buffer.from(one) })),
          ),
        });
        positions.set(key, offset + 1);
        resolveOffset(m.offset);
        if (!buffer.full) continue;
        // Full: what is buffered goes to the reader (with what the batch says of the partition's end) before waiting.
        buffer.answered(tp, Number(batch.highWatermark), offset + 1);
        while (buffer.full && isRunning() && !isStale() && !closed) {
          // Wait for the reader, but heartbeat at least every second so the group keeps us.
          await buffer.waitForRoom(1000);
          await heartbeat();
        }
      }
      if ((epochs.get(key) ?? 0) !== epoch) return;
      // Past what kafkajs never hands out at the batch's end too (a transaction marker, aborted records).
      positions.set(key, Math.max(positions.get(key) ?? 0, Number(batch.lastOffset()) + 1));
      buffer.answered(tp, Number(batch.highWatermark), positions.get(key)!);
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

  /** A kafkajs consumer of the group with `assigner`, not running yet. */
  function newConsumer(assigner: PartitionAssigner): Consumer {
    if (consumer) throw new Error('a kafka LogConsumer is assigned or subscribed once; close it and make another to change partitions');
    const c = (consumer = kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [assigner],
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      maxWaitTimeInMs: 250,
      readUncommitted: options.readUncommitted ?? false,
      allowAutoTopicCreation: false,
    }));
    // A batch of transaction markers or aborted records only never reaches eachBatch, but kafkajs reads on past it:
    // so does the position (else the partition would look unread up to its end for ever).
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0) return;
      const tp = { topic: payload.topic, partition: payload.partition };
      const key = tpKey(tp);
      const position = positions.get(key);
      const last = Number(payload.lastOffset);
      if (position === undefined || inBatch.has(key) || position < Number(payload.firstOffset ?? last) || position > last) return;
      positions.set(key, last + 1);
      buffer.answered(tp, Number(payload.highWatermark), last + 1);
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      crashed = new Error(`kafka consumer of group ${options.groupId} stopped: ${payload.error.message}`);
      buffer.wakeReaders();
    });
    return c;
  }

  async function run(c: Consumer, topics: readonly string[]): Promise<void> {
    await c.connect();
    await c.subscribe({ topics: [...new Set(topics)], fromBeginning: true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  }

  /**
   * Positions of newly assigned partitions: the group's committed offsets, else
   * the earliest. kafkajs starts fetching as soon as it has joined, so a batch
   * of a partition may come while the offsets are asked for: its position is
   * then ahead of the start, and is kept. (Setting it back made fetchedLag()
   * report the partition's first records as not fetched for ever: the task
   * waited for them and the app never caught up.)
   */
  async function startAt(tps: readonly TopicPartition[]): Promise<void> {
    if (tps.length === 0) return;
    const starts = await options.startOffsets(options.groupId, tps);
    for (const tp of tps) if (!positions.has(tpKey(tp))) positions.set(tpKey(tp), starts.get(tpKey(tp)) ?? 0);
  }

  return {
    async assign(tps) {
      const c = newConsumer(exactAssigner(tps));
      assigned = [...tps];
      const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
      await startAt(tps);
      await run(
        c,
        tps.map((tp) => tp.topic),
      );
      await joined;
    },
    async subscribe(topics: readonly string[], listener: LogRebalanceListener) {
      const c = newConsumer(coPartitionedAssigner(options.userData));
      let rebalanced: Promise<void> = Promise.resolve();
      let firstJoin: () => void = () => undefined;
      const joined = new Promise<void>((resolve) => (firstJoin = resolve));
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        const now = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
        const keep = new Set(now.map(tpKey));
        const had = new Set(assigned.map(tpKey));
        const revoked = assigned.filter((tp) => !keep.has(tpKey(tp)));
        const added = now.filter((tp) => !had.has(tpKey(tp)));
        // kafkajs starts every partition of a new generation at the committed offset: one kept goes on where the reader is.
        for (const tp of assigned) {
          const position = positions.get(tpKey(tp));
          if (keep.has(tpKey(tp)) && position !== undefined) c.seek({ topic: tp.topic, partition: tp.partition, offset: String(position) });
        }
        for (const tp of revoked) {
          epochs.set(tpKey(tp), (epochs.get(tpKey(tp)) ?? 0) + 1);
          positions.delete(tpKey(tp));
        }
        buffer.drop((tp) => keep.has(tpKey(tp)));
        assigned = now;
        rebalanced = rebalanced
          .then(async () => {
            if (revoked.length > 0) await listener.onRevoked(revoked);
            await startAt(added);
            listener.onAssigned(added);
          })
          .catch((e: Error) => {
            crashed = new Error(`kafka consumer of group ${options.groupId}: a rebalance failed: ${e.message}`);
            buffer.wakeReaders();
          })
          .finally(firstJoin);
      });
      await run(c, topics);
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
      if (!consumer) throw new Error('commit() before assign() or subscribe()');
      try {
        await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
      } catch (e) {
        // kafkajs' protocol errors carry the Kafka code (a retry gave up: on its cause).
        const err = e as { code?: number; cause?: { code?: number } };
        const code = err.code ?? err.cause?.code;
        if (code !== undefined && REFUSED_BY_REBALANCE.has(code)) throw commitRefusal(options.groupId, code);
        throw e;
      }
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
