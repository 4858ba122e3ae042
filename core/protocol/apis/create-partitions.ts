// CreatePartitions (37): grows a topic (never shrinks it).
import { ErrorCode } from '../../broker';
import { defineApi } from '../api';
import { array, field, message } from '../schema';
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
  field('topics', array([field('name', 'string', '0+'), field('count', 'int32', '0+'), field('assignments', array([field('brokerIds', array('int32'), '0+')]), '0+', { nullable: '0+' })]), '0+'),
  field('timeoutMs', 'int32', '0+'),
  field('validateOnly', 'bool', '0+'),
]);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('results', array([field('name', 'string', '0+'), field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '0+', { nullable: '0+', default: null })]), '0+'),
]);

export const createPartitionsApi = defineApi<CreatePartitionsRequest, CreatePartitionsResponse>({
  key: 37,
  name: 'CreatePartitions',
  versions: '0-3',
  request,
  response,
  handle(req, ctx) {
    const budget = partitionBudget(ctx.broker.limits.maxPartitionsPerRequest);
    return {
      throttleTimeMs: 0,
      results: req.topics.map((t) => {
        const refused = budget.take(t.name, t.count - (ctx.broker.topics.partitionCount(t.name) ?? t.count));
        if (refused) return { name: t.name, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: refused };
        if (t.assignments && t.assignments.some((a) => a.brokerIds.some((id) => id !== ctx.broker.nodeId))) {
          return { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Only broker ${ctx.broker.nodeId} exists; assignments may name no other.` };
        }
        const r = ctx.broker.createPartitions(t.name, t.count, { validateOnly: req.validateOnly });
        return r._tag === 'Left' ? { name: t.name, errorCode: r.left.code, errorMessage: r.left.message } : { name: t.name, errorCode: 0, errorMessage: null };
      }),
    };
  },
});
