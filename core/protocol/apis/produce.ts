// Produce (0): appends each partition's RecordBatch bytes as the client sent
// them (the broker validates and assigns offsets). acks=0 gets no response;
// acks=-1 waits for the in-sync replicas (a cluster), up to the request's timeout.
import * as E from 'fp-ts/Either';
import { ApiKey, ErrorCode } from '../../wire';
import { defineApi } from '../api';
import { authorized, deniedMessage, ifAuthorized } from '../auth';
import type { Acks, Appended, PortError } from '../ports';
import { array, field, message } from '../../wire';
import { currentLeaderField, currentLeaderFor, type LeaderIdAndEpoch, type NodeEndpoint, nodeEndpoints, nodeEndpointsField } from './current-leader';

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
}

interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
  /** v10+ (KIP-951): the new leader, on NOT_LEADER_OR_FOLLOWER. */
  currentLeader?: LeaderIdAndEpoch;
}

export interface ProduceResponse {
  responses: { name: string; partitionResponses: ProducePartitionResponse[] }[];
  throttleTimeMs: number;
  /** v10+ (KIP-951): where the leaders the partitions name listen. */
  nodeEndpoints?: NodeEndpoint[];
}

/** KIP-951: Produce answers name the new leader from v10. */
const CURRENT_LEADER_SINCE = 10;

const request = message('9+', [
  field('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
  field('acks', 'int16', '0+'),
  field('timeoutMs', 'int32', '0+'),
  field(
    'topicData',
    array([
      field('name', 'string', '0+'),
      field('partitionData', array([field('index', 'int32', '0+'), field('records', 'records', '0+', { nullable: '0+' })]), '0+'),
    ]),
    '0+',
  ),
]);

const response = message('9+', [
  field(
    'responses',
    array([
      field('name', 'string', '0+'),
      field(
        'partitionResponses',
        array([
          field('index', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('baseOffset', 'int64', '0+'),
          field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
          field('logStartOffset', 'int64', '5+', { default: -1 }),
          field(
            'recordErrors',
            array([field('batchIndex', 'int32', '8+'), field('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null })]),
            '8+',
          ),
          field('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
          currentLeaderField(`${CURRENT_LEADER_SINCE}+`, 0),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
  field('throttleTimeMs', 'int32', '1+'),
  nodeEndpointsField(`${CURRENT_LEADER_SINCE}+`),
]);

/** How long an acks=all append may wait for the in-sync replicas: the client's timeout, 30 s when it gives none, at most 60 s. */
function replicationTimeoutMs(requested: number): number {
  return Math.max(1, Math.min(requested > 0 ? requested : 30_000, 60_000));
}

export const produceApi = defineApi<ProduceRequest, ProduceResponse>({
  key: ApiKey.Produce,
  name: 'Produce',
  // v3+ carry RecordBatch v2, the only format the log stores; v9 is flexible,
  // v10 names the new leader (KIP-951). v11+ (KIP-890's transaction checks) are not served.
  versions: '3-10',
  request,
  response,
  handle(req, ctx) {
    const acks = req.acks;
    const validAcks = acks === -1 || acks === 0 || acks === 1;
    const timeoutMs = replicationTimeoutMs(req.timeoutMs);
    let waiting = false;
    const txnDenied = req.transactionalId !== null && !authorized(ctx, 'TransactionalId', req.transactionalId, 'WRITE');
    const answers = req.topicData.map((t) =>
      t.partitionData.map((p): ProducePartitionResponse | Promise<ProducePartitionResponse> => {
        const fail = (errorCode: number, errorMessage: string): ProducePartitionResponse => ({
          index: p.index,
          errorCode,
          baseOffset: -1,
          logAppendTimeMs: -1,
          logStartOffset: -1,
          recordErrors: [],
          errorMessage,
          currentLeader: currentLeaderFor(ctx, CURRENT_LEADER_SINCE, t.name, p.index, errorCode),
        });
        if (txnDenied) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, deniedMessage(ctx, 'TransactionalId', req.transactionalId!, 'WRITE'));
        if (!validAcks) return fail(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${acks}.`);
        if (!p.records || p.records.length === 0) return fail(ErrorCode.INVALID_RECORD, 'The Produce request carries no records for this partition.');
        const answer = (r: E.Either<PortError, Appended>): ProducePartitionResponse =>
          E.isLeft(r)
            ? fail(r.left.code, r.left.message)
            : {
                index: p.index,
                errorCode: 0,
                baseOffset: r.right.baseOffset,
                logAppendTimeMs: r.right.logAppendTime,
                logStartOffset: r.right.logStartOffset,
                recordErrors: [],
                errorMessage: null,
              };
        const records = p.records;
        const r = ifAuthorized(ctx, 'Topic', t.name, 'WRITE', () => ctx.partitions.produce(t.name, p.index, records, acks as Acks, timeoutMs));
        if (!(r instanceof Promise)) return answer(r);
        waiting = true;
        return r.then(answer);
      }),
    );
    const respond = (partitionResponses: ProducePartitionResponse[][]): ProduceResponse | null =>
      acks === 0
        ? null
        : {
            responses: req.topicData.map((t, i) => ({ name: t.name, partitionResponses: partitionResponses[i] })),
            throttleTimeMs: 0,
            nodeEndpoints: nodeEndpoints(
              ctx,
              partitionResponses.flatMap((ps) => ps.map((p) => p.currentLeader)),
            ),
          };
    // Only a replicated append waits; a single node's answer is ready now.
    if (!waiting) return respond(answers as ProducePartitionResponse[][]);
    return Promise.all(answers.map((ps) => Promise.all(ps))).then(respond);
  },
});
