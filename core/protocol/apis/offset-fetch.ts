// OffsetFetch (9): committed offsets (-1 where none). Null topics (v2+) = all of
// the group's; v8+ asks for several groups at once. require_stable (v7+):
// a partition an open transaction holds an offset for answers
// UNSTABLE_OFFSET_COMMIT, and the consumer asks again once it completes.
import * as E from 'fp-ts/Either';
import { defineApi, type RequestContext } from '../api';
import { authorized, authorizer, deniedCode } from '../auth';
import type { GroupPort } from '../ports';
import { ApiKey, array, field, message } from '../../wire';
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
    array([
      field('groupId', 'string', '8+'),
      field('memberId', 'string', '9+', { nullable: '9+', default: null }),
      field('memberEpoch', 'int32', '9+', { default: -1 }),
      field('topics', array(requestTopic), '8+', { nullable: '8+' }),
    ]),
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

type Committed = E.Either<{ errorCode: number }, ResponseTopics>;

/**
 * committed() as the principal may see it: DESCRIBE on the group, and the
 * topics it may DESCRIBE (one it names and may not: TOPIC_AUTHORIZATION_FAILED;
 * when it asks for all of the group's, the others are left out), as Kafka answers.
 */
async function visibleCommitted(ctx: RequestContext, groupId: string, topics: RequestTopics, requireStable: boolean): Promise<Committed> {
  if (!authorized(ctx, 'Group', groupId, 'DESCRIBE')) return E.left({ errorCode: deniedCode.Group });
  const describable = authorizer(ctx, 'Topic', 'DESCRIBE');
  const c = await committed(ctx.groups, groupId, topics === null ? null : topics.filter((t) => describable(t.name)), requireStable);
  if (E.isLeft(c)) return c;
  const denied = (topics ?? [])
    .filter((t) => !describable(t.name))
    .map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => ({
        partitionIndex: p,
        committedOffset: -1,
        committedLeaderEpoch: -1,
        metadata: null,
        errorCode: deniedCode.Topic,
      })),
    }));
  return E.right([...c.right.filter((t) => describable(t.name)), ...denied]);
}

async function committed(groups: GroupPort, groupId: string, topics: RequestTopics, requireStable: boolean): Promise<Committed> {
  const wanted = topics === null ? undefined : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const offsets = await groups.fetchOffsets(groupId, wanted, requireStable);
  if (E.isLeft(offsets)) return E.left({ errorCode: offsets.left.code });
  return E.right(
    groupByTopic(offsets.right, (o) => ({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedLeaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      errorCode: o.errorCode ?? 0,
    })),
  );
}

export const offsetFetchApi = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  key: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  // v0 reads the same bytes as v1 (ZooKeeper vs Kafka storage made the difference).
  versions: '0-8',
  request,
  response,
  async handle(req, ctx) {
    if (ctx.apiVersion >= 8) {
      const groups = await Promise.all(
        req.groups.map(async (g) => {
          const c = await visibleCommitted(ctx, g.groupId, g.topics, req.requireStable);
          return E.isLeft(c) ? { groupId: g.groupId, topics: [], errorCode: c.left.errorCode } : { groupId: g.groupId, topics: c.right, errorCode: 0 };
        }),
      );
      return { throttleTimeMs: 0, topics: [], errorCode: 0, groups };
    }
    const c = await visibleCommitted(ctx, req.groupId, req.topics, req.requireStable);
    if (E.isRight(c)) return { throttleTimeMs: 0, topics: c.right, errorCode: 0, groups: [] };
    // v0-1 have no top-level error code: it goes on every partition asked for.
    const { errorCode } = c.left;
    const topics = (req.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: null, errorCode })),
    }));
    return { throttleTimeMs: 0, topics, errorCode, groups: [] };
  },
});
