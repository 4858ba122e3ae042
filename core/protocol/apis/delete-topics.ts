// DeleteTopics (20): by name (topic ids of v6+ are not looked up: name them).
import { defineApi } from '../api';
import { ErrorCode } from '../errors';
import { array, field, message } from '../schema';

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
    array([field('name', 'string', '0+', { nullable: '6+' }), field('topicId', 'uuid', '6+'), field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '5+', { nullable: '5+', default: null })]),
    '0+',
  ),
]);

export const deleteTopicsApi = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  key: 20,
  name: 'DeleteTopics',
  versions: '0-6',
  request,
  response,
  handle(req, ctx) {
    const targets = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: '00000000000000000000000000000000' }));
    return {
      throttleTimeMs: 0,
      responses: targets.map((t) => {
        if (t.name === null) return { name: null, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'Deleting a topic by id is not supported; give its name.' };
        const r = ctx.broker.deleteTopic(t.name);
        return { name: t.name, topicId: t.topicId, errorCode: r._tag === 'Left' ? r.left.code : 0, errorMessage: r._tag === 'Left' ? r.left.message : null };
      }),
    };
  },
});
