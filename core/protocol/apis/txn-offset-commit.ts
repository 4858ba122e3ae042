// TxnOffsetCommit (28): a transactional producer commits a group's offsets
// inside its transaction (after AddOffsetsToTxn); they become visible to
// OffsetFetch when the transaction commits, and are dropped if it aborts.
// v3 adds the group member (KIP-447), checked when given.
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { ApiKey, array, field, message } from '../../wire';
import { groupByTopic } from './group-by-topic';
import { fencingCode, transactionsOf } from './txn-common';
import { checkCommits, commitsOf } from './offset-commits';

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[];
  }[];
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

const request = message('3+', [
  field('transactionalId', 'string', '0+'),
  field('groupId', 'string', '0+'),
  field('producerId', 'int64', '0+'),
  field('producerEpoch', 'int16', '0+'),
  field('generationId', 'int32', '3+', { default: -1 }),
  field('memberId', 'string', '3+', { default: '' }),
  field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field(
        'partitions',
        array([
          field('partitionIndex', 'int32', '0+'),
          field('committedOffset', 'int64', '0+'),
          field('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
          field('committedMetadata', 'string', '0+', { nullable: '0+' }),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

const response = message('3+', [
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'topics',
    array([field('name', 'string', '0+'), field('partitions', array([field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]), '0+')]),
    '0+',
  ),
]);

export const txnOffsetCommitApi = defineApi<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  key: ApiKey.TxnOffsetCommit,
  name: 'TxnOffsetCommit',
  versions: '0-3',
  request,
  response,
  async handle(req, ctx) {
    const commits = commitsOf(req.topics);
    // As OffsetCommit (offset-commits.ts): READ on the group and on each topic; the unreadable are refused, the others committed.
    const port = transactionsOf(ctx, req.transactionalId);
    const { allowed, denied } = checkCommits(ctx, req.groupId, commits);
    const results = E.isLeft(port)
      ? commits.map((c) => ({ topic: c.topic, partition: c.partition, errorCode: port.left.code }))
      : [...(allowed.length > 0 ? await port.right.commitOffsets(req, allowed) : []), ...denied];
    const refused = results.find((r) => r.errorCode !== 0);
    if (refused !== undefined) ctx.log(`refused TxnOffsetCommit of group "${req.groupId}": ${refused.errorCode}`);
    // PRODUCER_FENCED is known to TxnOffsetCommit from v3 (KIP-447).
    return {
      throttleTimeMs: 0,
      topics: groupByTopic(results, (r) => ({ partitionIndex: r.partition, errorCode: fencingCode(r.errorCode, ctx.apiVersion, 3) })),
    };
  },
});
