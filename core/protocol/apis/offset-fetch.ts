// OffsetFetch (9): committed offsets (-1 where none). Null topics (v2+) = all of
// the group's; v8+ asks for several groups at once.
import type { Broker } from '../../broker';
import { defineApi } from '../api';
import { array, field, message } from '../schema';
import { groupByTopic } from './group-by-topic';

type RequestTopics = { name: string; partitionIndexes: number[] }[] | null;

export interface OffsetFetchRequest {
  groupId: string;
  topics: RequestTopics;
  groups: { groupId: string; topics: RequestTopics }[];
  requireStable: boolean;
}

interface OffsetFetchPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

type ResponseTopics = { name: string; partitions: OffsetFetchPartition[] }[];

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: ResponseTopics;
  errorCode: number;
  groups: { groupId: string; topics: ResponseTopics; errorCode: number }[];
}

const requestTopic = [field('name', 'string', '0+'), field('partitionIndexes', array('int32'), '0+')];
const request = message('6+', [
  field('groupId', 'string', '0-7'),
  field('topics', array(requestTopic), '0-7', { nullable: '2-7' }),
  field(
    'groups',
    array([field('groupId', 'string', '8+'), field('memberId', 'string', '9+', { nullable: '9+', default: null }), field('memberEpoch', 'int32', '9+', { default: -1 }), field('topics', array(requestTopic), '8+', { nullable: '8+' })]),
    '8+',
  ),
  field('requireStable', 'bool', '7+'),
]);

const responsePartition = [
  field('partitionIndex', 'int32', '0+'),
  field('committedOffset', 'int64', '0+'),
  field('committedLeaderEpoch', 'int32', '5+', { default: -1 }),
  field('metadata', 'string', '0+', { nullable: '0+' }),
  field('errorCode', 'int16', '0+'),
];
const responseTopics = array([field('name', 'string', '0+'), field('partitions', array(responsePartition), '0+')]);
const response = message('6+', [
  field('throttleTimeMs', 'int32', '3+'),
  field('topics', responseTopics, '0-7'),
  field('errorCode', 'int16', '2-7'),
  field('groups', array([field('groupId', 'string', '8+'), field('topics', responseTopics, '8+'), field('errorCode', 'int16', '8+')]), '8+'),
]);

function committed(broker: Broker, groupId: string, topics: RequestTopics): ResponseTopics {
  const wanted = topics === null ? undefined : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const offsets = broker.fetchOffsets(groupId, wanted);
  return groupByTopic(offsets, (o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: 0 }));
}

export const offsetFetchApi = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  key: 9,
  name: 'OffsetFetch',
  // v0 reads the same bytes as v1 (ZooKeeper vs Kafka storage made the difference).
  versions: '0-8',
  request,
  response,
  handle(req, ctx) {
    if (ctx.apiVersion >= 8) {
      return { throttleTimeMs: 0, topics: [], errorCode: 0, groups: req.groups.map((g) => ({ groupId: g.groupId, topics: committed(ctx.broker, g.groupId, g.topics), errorCode: 0 })) };
    }
    return { throttleTimeMs: 0, topics: committed(ctx.broker, req.groupId, req.topics), errorCode: 0, groups: [] };
  },
});
