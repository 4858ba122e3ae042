// DeleteTopics (20): by name (topic ids of v6+ are not looked up: name them).
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { ifAuthorized } from '../auth';
import { adminDeadline } from './admin-deadline';
import { ApiKey, ErrorCode } from '../../wire';
import { array, field, message } from '../../wire';
import { NO_TOPIC_ID } from '../topic-id';

export interface DeleteTopicsRequest {
  topics: { name: string | null; topicId: string }[];
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: { name: string | null; topicId: string; errorCode: number; errorMessage: string | null }[];
}

const request = message('4+', [
  field('topics', array([field('name', 'string', '6+', { nullable: '6+' }), field('topicId', 'uuid', '6+')]), '6+'),
  field('topicNames', array('string'), '0-5'),
  field('timeoutMs', 'int32', '0+'),
]);

const response = message('4+', [
  field('throttleTimeMs', 'int32', '1+'),
  field(
    'responses',
    array([
      field('name', 'string', '0+', { nullable: '6+' }),
      field('topicId', 'uuid', '6+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
    ]),
    '0+',
  ),
]);

export const deleteTopicsApi = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  key: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  versions: '0-6',
  request,
  response,
  async handle(req, ctx) {
    const deadline = adminDeadline(req.timeoutMs);
    const targets = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: NO_TOPIC_ID }));
    const responses = await Promise.all(
      targets.map(async (t) => {
        const result = (errorCode: number, errorMessage: string | null) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage });
        if (t.name === null) return result(ErrorCode.UNKNOWN_TOPIC_ID, 'Deleting a topic by id is not supported; give its name.');
        const name = t.name;
        const r = await ifAuthorized(ctx, 'Topic', name, 'DELETE', () => ctx.admin.deleteTopic(name, deadline));
        return E.isLeft(r) ? result(r.left.code, r.left.message) : result(0, null);
      }),
    );
    return { throttleTimeMs: 0, responses };
  },
});
