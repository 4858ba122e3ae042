// OffsetDelete (47, KIP-496): deletes a group's committed offsets of some
// partitions, as `kafka-consumer-groups --delete-offsets` does. A partition the
// cluster does not have answers UNKNOWN_TOPIC_OR_PARTITION; the group's
// coordinator decides the rest (GROUP_SUBSCRIBED_TO_TOPIC while its members
// consume the topic).
import { ApiKey, ErrorCode, array, field, message } from '../../wire';
import { defineApi } from '../api';
import { authorized, authorizer, deniedCode } from '../auth';

export interface OffsetDeleteRequest {
  groupId: string;
  topics: { name: string; partitions: { partitionIndex: number }[] }[];
}

export interface OffsetDeleteResponse {
  errorCode: number;
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

const request = message('none', [
  field('groupId', 'string', '0+'),
  field('topics', array([field('name', 'string', '0+'), field('partitions', array([field('partitionIndex', 'int32', '0+')]), '0+')]), '0+'),
]);

const response = message('none', [
  field('errorCode', 'int16', '0+'),
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'topics',
    array([field('name', 'string', '0+'), field('partitions', array([field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]), '0+')]),
    '0+',
  ),
]);

export const offsetDeleteApi = defineApi<OffsetDeleteRequest, OffsetDeleteResponse>({
  key: ApiKey.OffsetDelete,
  name: 'OffsetDelete',
  versions: '0-0',
  request,
  response,
  async handle(req, ctx) {
    const exists = (topic: string, partition: number) => {
      const t = ctx.metadata.topic(topic);
      return t._tag === 'Right' && partition >= 0 && partition < t.right.partitions.length;
    };
    const asked = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    if (!authorized(ctx, 'Group', req.groupId, 'DELETE')) return { errorCode: deniedCode.Group, throttleTimeMs: 0, topics: [] };
    const readable = authorizer(ctx, 'Topic', 'READ');
    const known = asked.filter((p) => readable(p.topic) && exists(p.topic, p.partition));
    const answered = await ctx.groups.deleteOffsets(req.groupId, known);
    if (answered._tag === 'Left') return { errorCode: answered.left.code, throttleTimeMs: 0, topics: [] };
    const codes = new Map(answered.right.map((r) => [`${r.topic}\0${r.partition}`, r.errorCode]));
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes.get(`${t.name}\0${p.partitionIndex}`) ?? (readable(t.name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : deniedCode.Topic),
        })),
      })),
    };
  },
});
