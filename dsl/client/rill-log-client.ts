// LogClient over the embedded Rill (core/client): the one the examples and the
// runtime tests use.
import type { Consumer, Producer, Rill } from '../../core/client';
import { decodeRecordBatches } from '../../core/log';
import type { FetchedRecord, LogClient, LogConsumer, LogProducer, LogRecord, TopicPartition, TopicSpec } from './log-client';

export function rillLogClient(rill: Rill): LogClient {
  return {
    async ensureTopics(topics: readonly TopicSpec[]) {
      const existing = new Set(await rill.admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
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
      const [response] = await rill.broker.fetch({ partitions: [{ topic: tp.topic, partition: tp.partition, offset, maxBytes }], maxWaitMs: 0, maxBytes });
      if (response.errorCode !== 0) throw response.error ?? new Error(`fetch of ${tp.topic}-${tp.partition} at ${offset} failed with Kafka error ${response.errorCode}`);
      const batches = decodeRecordBatches(response.records);
      if (batches._tag === 'Left') throw new Error(`${tp.topic}-${tp.partition} at ${offset}: ${batches.left.message}`);
      const records: FetchedRecord[] = [];
      let nextOffset = offset;
      for (const batch of batches.right) {
        nextOffset = Math.max(nextOffset, batch.lastOffset + 1);
        if (batch.isControl) continue;
        for (const r of batch.records) if (r.offset >= offset) records.push(r);
      }
      return { records, nextOffset };
    },
    producer: () => rillProducer(rill.producer({ acks: -1 })),
    consumer: ({ groupId }) => rillConsumer(rill.consumer({ groupId, autoCommit: false, autoOffsetReset: 'earliest' })),
  };
}

function rillProducer(p: Producer): LogProducer {
  return {
    send: (topic, r) => p.send(topic, { key: r.key, value: r.value, timestamp: r.timestamp, partition: r.partition, headers: r.headers }).then(() => undefined),
    sendBatch: (topic, records) => p.send(topic, records).then(() => undefined),
    flush: () => p.flush(),
    close: () => p.close(),
  };
}

function rillConsumer(c: Consumer): LogConsumer {
  return {
    assign: (tps) => c.assign(tps),
    seek: async (tp, offset) => {
      await c.seek(tp, offset);
    },
    position: (tp: TopicPartition) => c.position(tp),
    bufferedRecords: () => c.buffered.records,
    records: () => c[Symbol.asyncIterator]() as AsyncIterator<LogRecord>,
    commit: (offsets) => c.commit(offsets),
    close: () => c.close(),
  };
}
