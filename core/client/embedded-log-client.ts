// LogClient over the embedded Rill: this module's own Admin, Producer and
// Consumer on the in-process broker. The one the examples and the runtime
// tests use.
import { BrokerError } from '../broker';
import { tpKey } from './assignor';
import { coPartitionedAssignor } from './co-partitioned-assignor';
import { REFUSED_BY_REBALANCE } from './commit-refusal';
import { Consumer, type ConsumerOptions } from './consumer';
import { fetchedRecords } from './fetched-records';
import {
  CommitRefusedError,
  type LogClient,
  type LogConsumer,
  type LogProducer,
  type LogRecord,
  type LogRebalanceListener,
  type TopicPartition,
  type TopicSpec,
} from './log-client';
import type { Producer } from './producer';
import type { Rill } from './rill';
import { transactionalLogProducer } from './transactional-log-producer';

/** The LogClient of an embedded Rill (Rill.open({ dir })). */
export function rillLogClient(rill: Rill): LogClient {
  return {
    async ensureTopics(topics: readonly TopicSpec[]) {
      const existing = new Set(await rill.admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      const replicated = missing.find((t) => (t.replicationFactor ?? -1) > 1);
      if (replicated)
        throw new Error(
          `topic ${replicated.name}: replication factor ${replicated.replicationFactor} needs a cluster; the embedded log keeps one copy of each partition (use -1 or 1).`,
        );
      if (missing.length) await rill.admin.createTopics(missing.map((t) => ({ name: t.name, partitions: t.partitions, config: t.config })));
    },
    async partitionCount(topic) {
      const existing = await rill.admin.listTopics();
      if (!existing.includes(topic)) return undefined;
      const [d] = await rill.admin.describeTopics([topic]);
      return d.partitions;
    },
    async offsets(topic) {
      const o = await rill.admin.fetchTopicOffsets(topic);
      return o.map((p) => ({ partition: p.partition, start: p.logStartOffset, end: p.highWatermark }));
    },
    async committedOffsets(groupId, topic) {
      const c = await rill.admin.fetchOffsets(groupId, topic);
      return new Map(c.map((o) => [o.partition, o.offset]));
    },
    async fetch(tp, offset, maxBytes) {
      // Committed data only (read_committed): a restore never sees an aborted or unfinished transaction.
      const [response] = await rill.broker.fetch({
        partitions: [{ topic: tp.topic, partition: tp.partition, offset, maxBytes }],
        maxWaitMs: 0,
        maxBytes,
        isolationLevel: 1,
      });
      if (response.errorCode !== 0)
        throw (
          response.error ??
          new BrokerError(response.errorCode, `fetch of ${tp.topic}-${tp.partition} at ${offset} failed with Kafka error ${response.errorCode}`)
        );
      return fetchedRecords(tp, offset, response.records, response.abortedTransactions);
    },
    producer: () => rillProducer(rill.producer({ acks: -1 })),
    transactionalLogProducer: ({ transactionalId, transactionTimeoutMs }) => transactionalLogProducer(rill.producer({ transactionalId, transactionTimeoutMs })),
    async groupMembers(groupId) {
      const g = await rill.admin.describeGroup(groupId);
      return g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, groupInstanceId: m.groupInstanceId, partitions: m.assignment }));
    },
    consumer: ({ groupId, clientId, groupInstanceId, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, isolationLevel, recordSpans }) =>
      rillConsumer(
        new RevocationHookConsumer(rill.broker, {
          groupId,
          clientId,
          groupInstanceId,
          sessionTimeoutMs,
          heartbeatIntervalMs,
          rebalanceTimeoutMs,
          autoOffsetReset: 'earliest',
          isolationLevel: isolationLevel ?? 'read_committed',
          assignors: [coPartitionedAssignor],
          // Only so that revocation awaits commit() (see RevocationHookConsumer); nothing is committed automatically.
          autoCommit: groupId !== undefined,
          autoCommitIntervalMs: 2 ** 30,
          recordSpans,
        }),
      ),
  };
}

/**
 * core/client's Consumer calls its rebalance listener's onRevoked without
 * awaiting it, so a listener cannot finish (flush, commit) before the
 * partitions go to their new owner. What revocation does await, with
 * auto-commit on, is the consumer's own commit(offsets) of the revoked
 * partitions it delivered records from. This consumer turns that commit into
 * the awaited revocation hook: a stream task has work to hand over only for
 * partitions it read from, and those are exactly the ones passed. The
 * automatic commits themselves are dropped: the runtime commits through
 * commitOffsets() after its writes are acknowledged. To be replaced by an
 * awaited listener once core/client has one.
 */
class RevocationHookConsumer extends Consumer {
  private listener: LogRebalanceListener | undefined;
  /** Revoked partitions whose revocation was awaited in this rebalance. */
  private handed: Set<string> | undefined;

  constructor(broker: Rill['broker'], options: ConsumerOptions) {
    const relay: { to?: RevocationHookConsumer } = {};
    super(broker, {
      ...options,
      rebalanceListener: {
        onRevoked: (revoked) => relay.to?.revokedRest(revoked),
        onAssigned: (all, added) => {
          // core/client's Consumer does not wake a fetch loop that went idle while it had no
          // partitions (a member whose first assignment was empty): resume() does.
          relay.to?.resume(all);
          relay.to?.listener?.onAssigned(added);
        },
      },
    });
    relay.to = this;
  }

  override async commit(offsets?: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    // Without offsets: the auto-commit timer, or close() without a group. Nothing to do.
    if (offsets === undefined || !this.listener || offsets.length === 0) return;
    const revoked = offsets.map(({ topic, partition }) => ({ topic, partition }));
    this.handed ??= new Set();
    for (const tp of revoked) this.handed.add(tpKey(tp));
    await this.listener.onRevoked(revoked);
  }

  async commitOffsets(offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    try {
      await super.commit(offsets);
    } catch (e) {
      if (e instanceof BrokerError && REFUSED_BY_REBALANCE.has(e.code)) throw new CommitRefusedError(e.message);
      throw e;
    }
  }

  subscribeWith(topics: readonly string[], listener: LogRebalanceListener): Promise<void> {
    this.listener = listener;
    return this.subscribe(topics);
  }

  /** After the awaited part: partitions no record was read from since they were assigned have nothing to commit. */
  private revokedRest(revoked: TopicPartition[]): void {
    const handed = this.handed;
    this.handed = undefined;
    const rest = handed ? revoked.filter((tp) => !handed.has(tpKey(tp))) : revoked;
    if (rest.length > 0) void this.listener?.onRevoked(rest).catch(() => undefined);
  }
}

function rillProducer(p: Producer): LogProducer {
  return {
    send: (topic, r) => p.send(topic, { key: r.key, value: r.value, timestamp: r.timestamp, partition: r.partition, headers: r.headers }).then(() => undefined),
    // The records (the runtime's, fresh per write) are batched as they are: no copy, no metadata per record.
    sendBatch: (topic, records) => p.sendAll(topic, records),
    flush: () => p.flush(),
    close: () => p.close(),
    openWrite: (topic) => p.openWrite(topic),
  };
}

function rillConsumer(c: RevocationHookConsumer): LogConsumer {
  return {
    assign: async (tps) => {
      await c.assign(tps);
      // As in onAssigned: wake the fetch loop, idle if the consumer had no partitions before.
      c.resume(tps);
    },
    subscribe: (topics, listener) => c.subscribeWith(topics, listener),
    seek: async (tp, offset) => {
      await c.seek(tp, offset);
    },
    position: (tp: TopicPartition) => c.position(tp),
    bufferedRecords: () => c.buffered.records,
    groupMetadata: () => c.groupMetadata(),
    records: () => c[Symbol.asyncIterator]() as AsyncIterator<LogRecord>,
    poll: (max, waitMs) => c.poll(max, waitMs),
    fetchedLag: (tp) => c.fetchedLag(tp),
    pause: (tps) => c.pause(tps),
    resume: (tps) => c.resume(tps),
    commit: (offsets) => c.commitOffsets(offsets),
    close: () => c.close(),
  };
}
