// CreateTopics (19): the broker places the partitions (no manual replica
// assignments); -1 partitions or replication factor take the broker's default.
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { authorized, clusterAuthorized, deniedCode, deniedMessage } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import { adminDeadline } from './admin-deadline';
import { array, field, message } from '../../wire';
import { ConfigSource, kafkaValue } from './configs';
import { partitionBudget } from './partition-budget';

export interface CreateTopicsRequest {
  topics: {
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: { partitionIndex: number; brokerIds: number[] }[];
    configs: { name: string; value: string | null }[];
  }[];
  timeoutMs: number;
  validateOnly: boolean;
}

interface CreatableTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  /** Tagged; left out: no config error (0). */
  topicConfigErrorCode?: number;
  numPartitions: number;
  replicationFactor: number;
  configs: { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean }[] | null;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}

const request = message('5+', [
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field('numPartitions', 'int32', '0+'),
      field('replicationFactor', 'int16', '0+'),
      field('assignments', array([field('partitionIndex', 'int32', '0+'), field('brokerIds', array('int32'), '0+')]), '0+'),
      field('configs', array([field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: '0+' })]), '0+'),
    ]),
    '0+',
  ),
  field('timeoutMs', 'int32', '0+'),
  field('validateOnly', 'bool', '1+'),
]);

const response = message('5+', [
  field('throttleTimeMs', 'int32', '2+'),
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field('topicId', 'uuid', '7+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '1+', { nullable: '0+', default: null }),
      field('topicConfigErrorCode', 'int16', '5+', { tag: 0 }),
      field('numPartitions', 'int32', '5+', { default: -1 }),
      field('replicationFactor', 'int16', '5+', { default: -1 }),
      field(
        'configs',
        array([
          field('name', 'string', '5+'),
          field('value', 'string', '5+', { nullable: '5+' }),
          field('readOnly', 'bool', '5+'),
          field('configSource', 'int8', '5+', { default: -1 }),
          field('isSensitive', 'bool', '5+'),
        ]),
        '5+',
        { nullable: '5+', default: null },
      ),
    ]),
    '0+',
  ),
]);

export const createTopicsApi = defineApi<CreateTopicsRequest, CreateTopicsResponse>({
  key: ApiKey.CreateTopics,
  name: 'CreateTopics',
  versions: '0-7',
  request,
  response,
  async handle(req, ctx) {
    const deadline = adminDeadline(req.timeoutMs);
    const budget = partitionBudget(ctx.admin.maxPartitionsPerRequest);
    const topics = await Promise.all(
      req.topics.map(async (t): Promise<CreatableTopicResult> => {
        const fail = (errorCode: number, errorMessage: string): CreatableTopicResult => ({
          name: t.name,
          topicId: '',
          errorCode,
          errorMessage,
          numPartitions: -1,
          replicationFactor: -1,
          configs: null,
        });
        if (t.assignments.length > 0)
          return fail(ErrorCode.INVALID_REQUEST, 'Manual replica assignments are not supported; give num_partitions (and replication_factor) instead.');
        const refused = budget.take(t.name, t.numPartitions === -1 ? 1 : t.numPartitions);
        if (refused) return fail(ErrorCode.POLICY_VIOLATION, refused);
        const config: Record<string, string> = {};
        for (const c of t.configs) if (c.value !== null) config[c.name] = c.value;
        // CREATE on the cluster, or on the topic (a name or prefix granted to a team).
        if (!clusterAuthorized(ctx, 'CREATE') && !authorized(ctx, 'Topic', t.name, 'CREATE'))
          return fail(deniedCode.Topic, deniedMessage(ctx, 'Topic', t.name, 'CREATE'));
        const r = await ctx.admin.createTopic(
          { name: t.name, partitions: t.numPartitions, replicationFactor: t.replicationFactor, config },
          { validateOnly: req.validateOnly, deadline },
        );
        if (E.isLeft(r)) return fail(r.left.code, r.left.message);
        const d = r.right;
        return {
          name: t.name,
          topicId: d.topicId,
          errorCode: 0,
          errorMessage: null,
          numPartitions: d.partitions,
          replicationFactor: d.replicationFactor,
          configs:
            d.configs &&
            Object.entries(d.configs.effective).map(([name, value]) => ({
              name,
              value: kafkaValue(value),
              readOnly: false,
              configSource: name in d.configs!.overrides ? ConfigSource.TOPIC : ConfigSource.DEFAULT,
              isSensitive: false,
            })),
        };
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
});
