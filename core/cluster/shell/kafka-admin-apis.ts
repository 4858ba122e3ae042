// The Kafka admin APIs of a cluster broker beyond CreateTopics. A change is
// decided by the active controller (any broker forwards it, retrying while the
// controller moves) and answered once this broker's own image shows the
// result, so the client's next request to this broker sees it; validate_only
// runs the same decision on this broker's image without proposing it.
// DescribeConfigs answers from this broker's image, DeleteRecords at the
// partition's leader.
import * as E from 'fp-ts/Either';
import { apis } from '../../protocol';
import { alterTopicConfig, createPartitions as decideCreatePartitions, replicationFactorOf, type AlterTopicConfigRequest } from '../controller/topic-admin';
import { REPLICATION_CONFIG_DEFAULTS, validateTopicConfig } from '../controller/topic-config';
import { ClusterErrorCode } from '../errors';
import { answerAtLeaders, type BrokerProcess } from './broker-process';
import { ControllerMethod } from './controller-protocol';
import type { ServedApi } from './kafka-listener';

type DeleteTopicsRequest = apis.DeleteTopicsRequest;
type DeleteTopicsResponse = apis.DeleteTopicsResponse;
type CreatePartitionsRequest = apis.CreatePartitionsRequest;
type CreatePartitionsResponse = apis.CreatePartitionsResponse;
type DescribeConfigsRequest = apis.DescribeConfigsRequest;
type DescribeConfigsResponse = apis.DescribeConfigsResponse;
type AlterConfigsRequest = apis.AlterConfigsRequest;
type AlterConfigsResponse = apis.AlterConfigsResponse;
type IncrementalAlterConfigsRequest = apis.IncrementalAlterConfigsRequest;
type IncrementalAlterConfigsResponse = apis.IncrementalAlterConfigsResponse;
type DeleteRecordsRequest = apis.DeleteRecordsRequest;
type DeleteRecordsResponse = apis.DeleteRecordsResponse;

const MAX_ADMIN_WAIT_MS = 10_000;
const NO_TOPIC_ID = '00000000000000000000000000000000';

/** When an admin request with the client's timeout gives up: at least 1 s, at most 10 s from now. */
export function adminDeadline(timeoutMs: number): number {
  return Date.now() + Math.min(Math.max(timeoutMs, 1000), MAX_ADMIN_WAIT_MS);
}

/** Waits until `done` holds on this broker's image (true), or the deadline passes (false). */
async function untilImage(broker: BrokerProcess, deadline: number, done: () => boolean): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await broker.nextChange(deadline - Date.now());
  }
  return true;
}

async function deleteTopics(broker: BrokerProcess, req: DeleteTopicsRequest, apiVersion: number): Promise<DeleteTopicsResponse> {
  const deadline = adminDeadline(req.timeoutMs);
  const targets = apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: NO_TOPIC_ID }));
  const responses = await Promise.all(
    targets.map(async (t) => {
      const result = (errorCode: number, errorMessage: string | null) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage });
      if (t.name === null) return result(ClusterErrorCode.UNKNOWN_TOPIC_ID, 'Deleting a topic by id is not supported; give its name.');
      const name = t.name;
      const a = await broker.askController<{ topicId: number }>(ControllerMethod.deleteTopic, { name }, deadline);
      if (a.errorCode !== 0 || a.response === undefined) return result(a.errorCode, a.message ?? null);
      const topicId = a.response.topicId;
      const gone = await untilImage(broker, deadline, () => broker.image.topics.get(topicId) === undefined);
      return gone ? result(0, null) : result(ClusterErrorCode.REQUEST_TIMED_OUT, `Topic ${name} is deleted, but broker ${broker.nodeId} has not seen it yet; it will shortly.`);
    }),
  );
  return { throttleTimeMs: 0, responses };
}

async function createPartitions(broker: BrokerProcess, req: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const deadline = adminDeadline(req.timeoutMs);
  const results = await Promise.all(
    req.topics.map(async (t) => {
      const result = (errorCode: number, errorMessage: string | null) => ({ name: t.name, errorCode, errorMessage });
      if (t.assignments !== null && t.assignments.length > 0) return result(ClusterErrorCode.INVALID_REQUEST, 'Manual replica assignments are not supported; give only the new partition count.');
      const request = { name: t.name, count: t.count };
      if (req.validateOnly) {
        // The same decision on this broker's image, not proposed.
        const d = decideCreatePartitions(broker.image, request);
        return E.isLeft(d) ? result(d.left.code, d.left.message) : result(0, null);
      }
      const a = await broker.askController<{ topicId: number }>(ControllerMethod.createPartitions, request, deadline);
      if (a.errorCode !== 0 || a.response === undefined) return result(a.errorCode, a.message ?? null);
      const topicId = a.response.topicId;
      const shown = await untilImage(broker, deadline, () => (broker.image.topics.get(topicId)?.partitions.size ?? 0) >= t.count);
      return shown ? result(0, null) : result(ClusterErrorCode.REQUEST_TIMED_OUT, `Topic ${t.name} has ${t.count} partitions now, but broker ${broker.nodeId} has not seen them yet; it will shortly.`);
    }),
  );
  return { throttleTimeMs: 0, results };
}

/** DescribeConfigs from this broker's image: a topic's every setting (log and replication), its overrides marked. */
function describeConfigs(broker: BrokerProcess, req: DescribeConfigsRequest): DescribeConfigsResponse {
  return {
    throttleTimeMs: 0,
    results: req.resources.map((r) => {
      const result = (errorCode: number, errorMessage: string | null, configs: DescribeConfigsResponse['results'][number]['configs'] = []) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage, configs });
      // Brokers have no settings to show yet (kafkajs and Kafka tools ask for them anyway).
      if (r.resourceType === apis.ResourceType.BROKER) return result(0, null);
      if (r.resourceType !== apis.ResourceType.TOPIC) return result(ClusterErrorCode.INVALID_REQUEST, `Resource type ${r.resourceType} is not supported; describe a topic (2).`);
      const topic = broker.image.topicByName(r.resourceName);
      if (topic === undefined) return result(ClusterErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${r.resourceName} does not exist.`);
      const valid = validateTopicConfig(topic.name, topic.config, replicationFactorOf(topic));
      if (E.isLeft(valid)) return result(valid.left.code, valid.left.message);
      const effective: Record<string, unknown> = { ...valid.right.log };
      for (const [key, value] of Object.entries(REPLICATION_CONFIG_DEFAULTS)) effective[key] = topic.config[key] ?? value;
      return result(0, null, apis.topicConfigEntries(effective, topic.config, r.configurationKeys, req.includeSynonyms));
    }),
  };
}

/** AlterConfigs of topics: the given settings become the topic's overrides (as Kafka's non-incremental AlterConfigs). */
function alterConfigs(broker: BrokerProcess, req: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  return changeTopicConfigs(broker, req.resources, req.validateOnly, (r) => {
    const config: Record<string, string> = {};
    for (const c of r.configs) if (c.value !== null) config[c.name] = c.value;
    return { name: r.resourceName, config };
  });
}

/** IncrementalAlterConfigs of topics: the operations apply to the overrides the controller holds (one decision, so concurrent changes do not undo each other). */
function incrementalAlterConfigs(broker: BrokerProcess, req: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
  return changeTopicConfigs(broker, req.resources, req.validateOnly, (r) => ({ name: r.resourceName, ops: apis.operationsOf(r.configs) }));
}

/** A topic config change per resource, decided by the controller; answered once this broker's image shows it. */
async function changeTopicConfigs<R extends { resourceType: number; resourceName: string }>(
  broker: BrokerProcess,
  resources: readonly R[],
  validateOnly: boolean,
  requestOf: (r: R) => AlterTopicConfigRequest,
): Promise<AlterConfigsResponse> {
  const deadline = adminDeadline(MAX_ADMIN_WAIT_MS);
  const responses = await Promise.all(
    resources.map(async (r) => {
      const result = (errorCode: number, errorMessage: string | null) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage });
      const wrongType = apis.notATopic(r.resourceType);
      if (wrongType) return result(wrongType.errorCode, wrongType.errorMessage);
      const request = requestOf(r);
      if (validateOnly) {
        const d = alterTopicConfig(broker.image, request);
        return E.isLeft(d) ? result(d.left.code, d.left.message) : result(0, null);
      }
      const a = await broker.askController<{ topicId: number; config: Record<string, string> }>(ControllerMethod.alterTopicConfig, request, deadline);
      if (a.errorCode !== 0 || a.response === undefined) return result(a.errorCode, a.message ?? null);
      const { topicId, config: overrides } = a.response;
      const shown = await untilImage(broker, deadline, () => sameConfig(broker.image.topics.get(topicId)?.config, overrides));
      return shown ? result(0, null) : result(ClusterErrorCode.REQUEST_TIMED_OUT, `Topic ${r.resourceName} has its new config, but broker ${broker.nodeId} has not seen it yet; it will shortly.`);
    }),
  );
  return { throttleTimeMs: 0, responses };
}

function sameConfig(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  return a !== undefined && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
}

/**
 * DeleteRecords, at each partition's leader: its log start offset moves to the
 * given offset (-1: the high watermark), never past the high watermark
 * (OFFSET_OUT_OF_RANGE), and followers follow it from their next fetch
 * response. The low watermark answered is the leader's new log start offset.
 */
function deleteRecords(broker: BrokerProcess, req: DeleteRecordsRequest): DeleteRecordsResponse {
  return {
    throttleTimeMs: 0,
    topics: answerAtLeaders(broker, req.topics, (p, h) => {
      const result = (errorCode: number, lowWatermark = -1) => ({ partitionIndex: p.partitionIndex, errorCode, lowWatermark });
      if (typeof h === 'number') return result(h);
      const hw = h.replica.highWatermark;
      const before = p.offset === -1 ? hw : p.offset;
      if (before < 0 || before > hw) return result(ClusterErrorCode.OFFSET_OUT_OF_RANGE);
      const lowWatermark = h.log.deleteRecordsBefore(before);
      // Parked follower fetches are answered now, so the followers learn the new start at once.
      broker.appended(h);
      return result(0, lowWatermark);
    }),
  };
}

/** The admin APIs above, with the versions core/protocol's codecs read. */
export function adminKafkaApis(broker: BrokerProcess): ServedApi[] {
  const all = <T extends { versions: { min: number; max: number } }>(api: T) => ({ api, minVersion: api.versions.min, maxVersion: api.versions.max });
  return [
    { ...all(apis.deleteTopics), handle: (r, ctx) => deleteTopics(broker, r, ctx.apiVersion) },
    { ...all(apis.createPartitions), handle: (r) => createPartitions(broker, r) },
    { ...all(apis.describeConfigs), handle: (r) => describeConfigs(broker, r) },
    { ...all(apis.alterConfigs), handle: (r) => alterConfigs(broker, r) },
    { ...all(apis.incrementalAlterConfigs), handle: (r) => incrementalAlterConfigs(broker, r) },
    { ...all(apis.deleteRecords), handle: (r) => deleteRecords(broker, r) },
  ];
}
