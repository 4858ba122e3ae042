// A transactional producer over the Kafka protocol (the Rill protocol client):
// core/protocol's TransactionPort answered by the transactional id's
// coordinator (FindCoordinator key type 1, followed when it moves) and, for
// TxnOffsetCommit, the group's coordinator; and a ProduceTarget that produces
// at each partition's leader and answers with the batch's offset.
import * as E from 'fp-ts/Either';
import { BrokerError, type ProduceResult } from '../../broker';
import { apis, type KafkaConnection, type PortError, type TransactionPort } from '../../protocol';
import type { ProduceTarget } from '../producer';
import { COORDINATOR_MOVED, GroupCoordinator } from './group-coordinator';
import type { BrokerConnections } from './broker-connections';
import type { RetryPolicy } from './retry-policy';
import { kafkaError, STALE_METADATA, type PartitionLeaders } from './partition-leaders';

/** The coordinator calls of one transactional id, over `brokers`. */
export function protocolTransactionPort(
  brokers: BrokerConnections,
  transactionalId: string,
  groupCoordinator: (groupId: string) => GroupCoordinator,
  retry: RetryPolicy,
): TransactionPort {
  const coordinator = new GroupCoordinator(brokers, transactionalId, retry, 1);
  /** One request at the transaction coordinator; its error code as a refusal. */
  async function ask<R extends { errorCode: number }>(api: Parameters<KafkaConnection['request']>[0], body: object): Promise<E.Either<PortError, R>> {
    const r = await coordinator.call(
      (c) => c.request<R>(api, body),
      (answer) => COORDINATOR_MOVED.has(answer.errorCode),
    );
    return r.errorCode === 0 ? E.right(r) : E.left(kafkaError(r.errorCode, `transactional id "${transactionalId}": ${api.name}`));
  }
  return {
    async initProducerId(id, transactionTimeoutMs, producerId, producerEpoch) {
      const r = await ask<apis.InitProducerIdResponse>(apis.initProducerId, { transactionalId: id, transactionTimeoutMs, producerId, producerEpoch });
      return E.map((g: apis.InitProducerIdResponse) => ({ producerId: g.producerId, producerEpoch: g.producerEpoch }))(r);
    },
    async addPartitions(txn, partitions) {
      const topics = [...new Set(partitions.map((p) => p.topic))].map((name) => ({
        name,
        partitions: partitions.filter((p) => p.topic === name).map((p) => p.partition),
      }));
      const r = await coordinator.call(
        (c) =>
          c.request<{ resultsByTopicV3AndBelow: { resultsByPartition: { partitionErrorCode: number }[] }[] }>(apis.addPartitionsToTxn, {
            v3AndBelowTransactionalId: txn.transactionalId,
            v3AndBelowProducerId: txn.producerId,
            v3AndBelowProducerEpoch: txn.producerEpoch,
            v3AndBelowTopics: topics,
          }),
        (answer) => firstError(answer) !== 0 && COORDINATOR_MOVED.has(firstError(answer)),
      );
      const code = firstError(r);
      return code === 0 ? E.right(undefined) : E.left(kafkaError(code, `transactional id "${txn.transactionalId}": AddPartitionsToTxn`));
    },
    async addOffsets(txn, groupId) {
      return E.map(() => undefined)(await ask<{ errorCode: number }>(apis.addOffsetsToTxn, { ...txn, groupId }));
    },
    async endTxn(txn, commit) {
      return E.map(() => undefined)(await ask<{ errorCode: number }>(apis.endTxn, { ...txn, committed: commit }));
    },
    async commitOffsets(params, commits) {
      const topics = [...new Set(commits.map((c) => c.topic))].map((name) => ({
        name,
        partitions: commits
          .filter((c) => c.topic === name)
          .map((c) => ({ partitionIndex: c.partition, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, committedMetadata: c.metadata })),
      }));
      const r = await groupCoordinator(params.groupId).call(
        (c) =>
          c.request<{ topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }>(apis.txnOffsetCommit, {
            ...params,
            groupInstanceId: null,
            topics,
          }),
        (answer) => answer.topics.some((t) => t.partitions.some((p) => COORDINATOR_MOVED.has(p.errorCode))),
      );
      return r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
    },
  };
}

function firstError(answer: { resultsByTopicV3AndBelow: { resultsByPartition: { partitionErrorCode: number }[] }[] }): number {
  return answer.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition).find((p) => p.partitionErrorCode !== 0)?.partitionErrorCode ?? 0;
}

/**
 * Produce at each partition's leader for the producer core/client's Producer
 * drives, with the transactional id in the request. Partition counts come from
 * the leaders' Metadata: `prepareTopic` fetches them before a send.
 */
export function protocolProduceTarget(
  transactionalId: string,
  leaders: (topic: string) => Promise<PartitionLeaders>,
): ProduceTarget & { prepareTopic(topic: string): Promise<void> } {
  const known = new Map<string, PartitionLeaders>();
  return {
    async prepareTopic(topic) {
      const l = await leaders(topic);
      if (l.partitions === 0) await l.refresh();
      known.set(topic, l);
    },
    describeTopic(topic) {
      const partitions = known.get(topic)?.partitions ?? 0;
      return partitions > 0 ? E.right({ partitions }) : E.left(kafkaError(3, `cannot produce to topic "${topic}"`, 'it does not exist'));
    },
    async produce(topic, partition, batch): Promise<E.Either<BrokerError, ProduceResult>> {
      const l = known.get(topic) ?? (await leaders(topic));
      const what = `cannot produce to ${topic}-${partition}`;
      return l.withLeader(partition, what, async (c) => {
        const r = await c.request<apis.ProduceResponse>(apis.produce, {
          transactionalId,
          acks: -1,
          timeoutMs: 30000,
          topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
        });
        const p = r.responses[0].partitionResponses[0];
        if (STALE_METADATA.has(p.errorCode)) return l.movedTo(partition, p.currentLeader, r.nodeEndpoints);
        if (p.errorCode !== 0) return E.left(kafkaError(p.errorCode, what, p.errorMessage));
        return E.right({ baseOffset: p.baseOffset, lastOffset: -1, logAppendTime: p.logAppendTimeMs, logStartOffset: p.logStartOffset, duplicate: false });
      });
    },
    initProducerId() {
      throw new BrokerError(35, 'A transactional producer gets its producer id from its transaction coordinator.');
    },
  };
}
