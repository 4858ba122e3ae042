// CreatePartitions (37): grows a topic (never shrinks it); the broker places the
// new partitions (manual assignments are refused).
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { ifAuthorized } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import { adminDeadline } from './admin-deadline';
import { array, field, message } from '../../wire';
import { partitionBudget } from './partition-budget';

export interface CreatePartitionsRequest {
  topics: { name: string; count: number; assignments: { brokerIds: number[] }[] | null }[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: { name: string; errorCode: number; errorMessage: string | null }[];
}

const request = message('2+', [
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field('count', 'int32', '0+'),
      field('assignments', array([field('brokerIds', array('int32'), '0+')]), '0+', { nullable: '0+' }),
    ]),
    '0+',
  ),
  field('timeoutMs', 'int32', '0+'),
  field('validateOnly', 'bool', '0+'),
]);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'results',
    array([field('name', 'string', '0+'), field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '0+', { nullable: '0+', default: null })]),
    '0+',
  ),
]);

export const createPartitionsApi = defineApi<CreatePartitionsRequest, CreatePartitionsResponse>({
  key: ApiKey.CreatePartitions,
  name: 'CreatePartitions',
  versions: '0-3',
  request,
  response,
  async handle(req, ctx) {
    const deadline = adminDeadline(req.timeoutMs);
    const budget = partitionBudget(ctx.admin.maxPartitionsPerRequest);
    const results = await Promise.all(
      req.topics.map(async (t) => {
        const result = (errorCode: number, errorMessage: string | null) => ({ name: t.name, errorCode, errorMessage });
        const current = ctx.metadata.topic(t.name);
        const refused = budget.take(t.name, t.count - (E.isRight(current) ? current.right.partitions.length : t.count));
        if (refused) return result(ErrorCode.POLICY_VIOLATION, refused);
        if (t.assignments !== null && t.assignments.length > 0)
          return result(ErrorCode.INVALID_REQUEST, 'Manual replica assignments are not supported; give only the new partition count.');
        const r = await ifAuthorized(ctx, 'Topic', t.name, 'ALTER', () =>
          ctx.admin.createPartitions(t.name, t.count, { validateOnly: req.validateOnly, deadline }),
        );
        return E.isLeft(r) ? result(r.left.code, r.left.message) : result(0, null);
      }),
    );
    return { throttleTimeMs: 0, results };
  },
});
