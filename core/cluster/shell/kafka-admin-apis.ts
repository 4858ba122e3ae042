// The Kafka admin APIs of a cluster broker beyond CreateTopics: each request is
// decided by the active controller (any broker forwards it, retrying while the
// controller moves) and answered once this broker's own image shows the
// result, so the client's next Metadata request, to this broker, sees it.
import * as E from 'fp-ts/Either';
import { apis } from '../../protocol';
import { createPartitions as decideCreatePartitions } from '../controller/topic-admin';
import { ClusterErrorCode } from '../errors';
import type { BrokerProcess } from './broker-process';
import { ControllerMethod } from './controller-protocol';
import type { ServedApi } from './kafka-listener';

type DeleteTopicsRequest = apis.DeleteTopicsRequest;
type DeleteTopicsResponse = apis.DeleteTopicsResponse;
type CreatePartitionsRequest = apis.CreatePartitionsRequest;
type CreatePartitionsResponse = apis.CreatePartitionsResponse;

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

/** The admin APIs above, with the versions core/protocol's codecs read. */
export function adminKafkaApis(broker: BrokerProcess): ServedApi[] {
  const all = <T extends { versions: { min: number; max: number } }>(api: T) => ({ api, minVersion: api.versions.min, maxVersion: api.versions.max });
  return [
    { ...all(apis.deleteTopics), handle: (r, ctx) => deleteTopics(broker, r, ctx.apiVersion) },
    { ...all(apis.createPartitions), handle: (r) => createPartitions(broker, r) },
  ];
}
