// OffsetCommit (8): members commit with their generation; tools commit for an
// empty group with generation -1 and member id "".
import { defineApi } from '../api';
import { ApiKey, array, field, message } from '../../wire';
import { groupByTopic } from './group-by-topic';
import { checkCommits, commitsOf } from './offset-commits';

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestamp: number; committedMetadata: string | null }[];
  }[];
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

const request = message('8+', [
  field('groupId', 'string', '0+'),
  field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
  field('memberId', 'string', '1+'),
  field('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
  field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field(
        'partitions',
        array([
          field('partitionIndex', 'int32', '0+'),
          field('committedOffset', 'int64', '0+'),
          field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
          field('commitTimestamp', 'int64', '1', { default: -1 }),
          field('committedMetadata', 'string', '0+', { nullable: '0+' }),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

const response = message('8+', [
  field('throttleTimeMs', 'int32', '3+'),
  field(
    'topics',
    array([field('name', 'string', '0+'), field('partitions', array([field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]), '0+')]),
    '0+',
  ),
]);

export const offsetCommitApi = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
  key: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  versions: '0-8',
  request,
  response,
  async handle(req, ctx) {
    const { groupDenied, allowed, denied } = checkCommits(ctx, req.groupId, commitsOf(req.topics));
    const results =
      groupDenied || (allowed.length === 0 && denied.length > 0)
        ? []
        : await ctx.groups.commitOffsets(req.groupId, req.memberId, req.generationIdOrMemberEpoch, allowed);
    return { throttleTimeMs: 0, topics: groupByTopic([...results, ...denied], (r) => ({ partitionIndex: r.partition, errorCode: r.errorCode })) };
  },
});
