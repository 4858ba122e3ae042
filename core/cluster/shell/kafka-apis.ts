// The Kafka APIs a cluster broker serves, answered from its metadata image and
// partition replicas: Metadata lists every registered broker and each
// partition's leader; Produce goes to the partition leader's appendAsLeader
// (acks=all answered once the high watermark passes the batch); Fetch reads up
// to the high watermark; CreateTopics goes to the controller; InitProducerId
// hands out an id of this broker's own block (producer-ids.ts), for idempotent
// producers. The other admin APIs are in kafka-admin-apis.ts, consumer groups
// in group-coordinator.ts.
import { CONSUMER_OFFSETS_TOPIC, FetchBudget } from '../../broker';
import { LogError } from '../../log';
import { apis } from '../../protocol';
import { ClusterErrorCode } from '../errors';
import type { BrokerProcess } from './broker-process';
import { answerAtLeaders, leaderReplica } from './broker-process';
import { ControllerMethod } from './controller-protocol';
import { adminDeadline, adminKafkaApis } from './kafka-admin-apis';
import type { KafkaRequestContext, ServedApi } from './kafka-listener';

type MetadataResponse = apis.MetadataResponse;
type ProduceRequest = apis.ProduceRequest;
type ProduceResponse = apis.ProduceResponse;
type FetchRequest = apis.FetchRequest;
type FetchResponse = apis.FetchResponse;
type ListOffsetsRequest = apis.ListOffsetsRequest;
type ListOffsetsResponse = apis.ListOffsetsResponse;
type CreateTopicsRequest = apis.CreateTopicsRequest;
type CreateTopicsResponse = apis.CreateTopicsResponse;

const LEADER_NOT_AVAILABLE = 5;
const MAX_FETCH_WAIT_MS = 1000;
const CLUSTER_ID = 'rill-cluster';
const EMPTY = Buffer.alloc(0);

function metadata(broker: BrokerProcess, req: apis.MetadataRequest, ctx: KafkaRequestContext): MetadataResponse {
  const image = broker.image;
  const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
  const names = all ? [...image.topics.values()].map((t) => t.name) : req.topics!.map((t) => t.name ?? '');
  return {
    throttleTimeMs: 0,
    // Live (unfenced) brokers, as Kafka lists them: a fenced one leads nothing.
    brokers: image.liveBrokers().map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })),
    clusterId: CLUSTER_ID,
    // Admin requests may go to any broker: each forwards them to the active controller.
    // Named is the active controller when it is also a live broker (a combined node),
    // so every broker names the same one, else this broker.
    controllerId: image.liveBrokers().some((b) => b.brokerId === broker.activeControllerId) ? broker.activeControllerId : broker.nodeId,
    topics: names.map((name) => {
      const t = image.topicByName(name);
      if (t === undefined) return { errorCode: ClusterErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: [] };
      const partitions = [...t.partitions.values()]
        .sort((a, b) => a.partition - b.partition)
        .map((p) => ({
          errorCode: p.leader < 0 ? LEADER_NOT_AVAILABLE : 0,
          partitionIndex: p.partition,
          leaderId: p.leader,
          leaderEpoch: p.leaderEpoch,
          replicaNodes: [...p.replicas],
          isrNodes: [...p.isr],
          offlineReplicas: p.replicas.filter((id) => !image.isUnfenced(id)),
        }));
      return { errorCode: 0, name, isInternal: name === CONSUMER_OFFSETS_TOPIC, partitions };
    }),
  };
}

async function produce(broker: BrokerProcess, req: ProduceRequest): Promise<ProduceResponse | null> {
  const acks = req.acks;
  const timeoutMs = Math.max(1, Math.min(req.timeoutMs > 0 ? req.timeoutMs : 30_000, 60_000));
  const responses = await Promise.all(
    req.topicData.map(async (t) => ({
      name: t.name,
      partitionResponses: await Promise.all(
        t.partitionData.map(async (p) => {
          const answer = (errorCode: number, baseOffset = -1, errorMessage: string | null = null) => ({ index: p.index, errorCode, baseOffset, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage });
          if (acks !== -1 && acks !== 0 && acks !== 1) return answer(ClusterErrorCode.INVALID_REQUIRED_ACKS, -1, `acks must be -1, 0 or 1, not ${acks}.`);
          if (!p.records || p.records.length === 0) return answer(ClusterErrorCode.INVALID_RECORD, -1, 'The Produce request carries no records for this partition.');
          const h = leaderReplica(broker, t.name, p.index);
          if (typeof h === 'number') return answer(h);
          const outcome = h.replica.appendAsLeader(p.records, acks);
          if (!('baseOffset' in outcome)) return answer(outcome.errorCode, -1, outcome.message);
          if (outcome.duplicate) broker.log(`broker ${broker.nodeId}: ${h.name}: a retried idempotent batch (offsets ${outcome.baseOffset}..${outcome.lastOffset}) is answered with its original offsets, not written again`);
          else broker.appended(h);
          if (outcome.acknowledged) return answer(0, outcome.baseOffset);
          const errorCode = await broker.awaitAppend(h, outcome.lastOffset, timeoutMs);
          return answer(errorCode, errorCode === 0 ? outcome.baseOffset : -1);
        }),
      ),
    })),
  );
  return acks === 0 ? null : { responses, throttleTimeMs: 0 };
}

async function fetch(broker: BrokerProcess, req: FetchRequest, ctx: KafkaRequestContext): Promise<FetchResponse> {
  const deadline = Date.now() + Math.min(Math.max(0, req.maxWaitMs), MAX_FETCH_WAIT_MS);
  for (;;) {
    let bytes = 0;
    const budget = new FetchBudget(req.maxBytes, broker.fetchMaxBytes);
    const responses = req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const none = (errorCode: number) => ({ partitionIndex: p.partition, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: EMPTY });
        const h = leaderReplica(broker, t.topic, p.partition);
        if (typeof h === 'number') return none(h);
        const hw = h.replica.highWatermark;
        if (p.fetchOffset > h.replica.logEndOffset || p.fetchOffset < h.log.logStartOffset) return none(ClusterErrorCode.OFFSET_OUT_OF_RANGE);
        let records: Buffer;
        try {
          records = p.fetchOffset >= hw ? EMPTY : budget.take(p.partitionMaxBytes, (max) => h.replica.readCommitted(p.fetchOffset, max), EMPTY);
        } catch (e) {
          // Damage met on disk (KAFKA_STORAGE_ERROR): this partition answers it, the others are served.
          if (e instanceof LogError) return none(e.code);
          throw e;
        }
        bytes += records.length;
        return { partitionIndex: p.partition, errorCode: 0, highWatermark: hw, lastStableOffset: hw, logStartOffset: h.log.logStartOffset, abortedTransactions: [], preferredReadReplica: -1, records };
      }),
    }));
    const wait = deadline - Date.now();
    if (bytes >= Math.max(1, req.minBytes) || wait <= 0 || ctx.signal.aborted) return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
    await broker.nextChange(wait, ctx.signal);
  }
}

function listOffsets(broker: BrokerProcess, req: ListOffsetsRequest): ListOffsetsResponse {
  return {
    throttleTimeMs: 0,
    topics: answerAtLeaders(broker, req.topics, (p, h) => {
      const answer = (errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1) => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: offset >= 0 ? [offset] : [], timestamp, offset, leaderEpoch });
      if (typeof h === 'number') return answer(h);
      const hw = h.replica.highWatermark;
      const epoch = h.replica.leaderEpoch;
      if (p.timestamp === -2) return answer(0, h.log.logStartOffset, -1, epoch);
      if (p.timestamp === -1) return answer(0, hw, -1, epoch);
      const found = h.log.offsetForTimestamp(p.timestamp);
      return found === undefined || found.offset >= hw ? answer(0, hw, -1, epoch) : answer(0, found.offset, found.timestamp, epoch);
    }),
  };
}

async function createTopics(broker: BrokerProcess, req: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const deadline = adminDeadline(req.timeoutMs);
  const topics = await Promise.all(
    req.topics.map(async (t) => {
      const result = (errorCode: number, errorMessage: string | null) => ({ name: t.name, topicId: '', errorCode, errorMessage, numPartitions: errorCode === 0 ? Math.max(1, t.numPartitions) : -1, replicationFactor: errorCode === 0 ? Math.max(1, t.replicationFactor) : -1, configs: null });
      if (t.assignments.length > 0) return result(ClusterErrorCode.INVALID_REQUEST, 'Manual replica assignments are not supported; give num_partitions and replication_factor.');
      if (req.validateOnly) return result(ClusterErrorCode.INVALID_REQUEST, 'validate_only is not supported by a cluster broker yet.');
      const config: Record<string, string> = {};
      for (const c of t.configs) if (c.value !== null) config[c.name] = c.value;
      const request = { name: t.name, partitions: t.numPartitions < 1 ? 1 : t.numPartitions, replicationFactor: t.replicationFactor < 1 ? 1 : t.replicationFactor, config };
      const a = await broker.askController(ControllerMethod.createTopic, request, deadline);
      if (a.errorCode !== 0) return result(a.errorCode, a.message ?? null);
      // Answer once this broker's image has the topic, so the client's next Metadata shows it.
      while (broker.image.topicByName(t.name) === undefined && Date.now() < deadline) await broker.nextChange(deadline - Date.now());
      return result(0, null);
    }),
  );
  return { throttleTimeMs: 0, topics };
}

export function clusterKafkaApis(broker: BrokerProcess): ServedApi[] {
  const served: ServedApi[] = [
    { api: apis.apiVersions, minVersion: 0, maxVersion: 3, handle: () => ({ errorCode: 0, apiKeys: broker.kafkaApiVersions, throttleTimeMs: 0 }) },
    { api: apis.metadata, minVersion: 0, maxVersion: apis.metadata.versions.max, handle: (r, ctx) => metadata(broker, r, ctx) },
    { api: apis.produce, minVersion: apis.produce.versions.min, maxVersion: apis.produce.versions.max, handle: (r) => produce(broker, r) },
    { api: apis.fetch, minVersion: apis.fetch.versions.min, maxVersion: apis.fetch.versions.max, handle: (r, ctx) => fetch(broker, r, ctx) },
    { api: apis.listOffsets, minVersion: apis.listOffsets.versions.min, maxVersion: apis.listOffsets.versions.max, handle: (r) => listOffsets(broker, r) },
    { api: apis.createTopics, minVersion: apis.createTopics.versions.min, maxVersion: apis.createTopics.versions.max, handle: (r) => createTopics(broker, r) },
    {
      api: apis.initProducerId,
      minVersion: apis.initProducerId.versions.min,
      maxVersion: apis.initProducerId.versions.max,
      handle: (r: apis.InitProducerIdRequest) => apis.answerInitProducerId(r, (m) => broker.log(`broker ${broker.nodeId}: ${m}`), () => broker.initProducerId()),
    },
    ...adminKafkaApis(broker),
  ];
  return served;
}
