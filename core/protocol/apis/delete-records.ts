// DeleteRecords (21): moves each partition's log start offset (-1 = up to the
// high watermark), at the partition's leader.
import { defineApi } from '../api';
import { ifAuthorized } from '../auth';
import { ApiKey, array, field, message } from '../../wire';
import { answerPerPartition } from './group-by-topic';

export interface DeleteRecordsRequest {
  topics: { name: string; partitions: { partitionIndex: number; offset: number }[] }[];
  timeoutMs: number;
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; lowWatermark: number; errorCode: number }[] }[];
}

const request = message('2+', [
  field(
    'topics',
    array([field('name', 'string', '0+'), field('partitions', array([field('partitionIndex', 'int32', '0+'), field('offset', 'int64', '0+')]), '0+')]),
    '0+',
  ),
  field('timeoutMs', 'int32', '0+'),
]);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field('partitions', array([field('partitionIndex', 'int32', '0+'), field('lowWatermark', 'int64', '0+'), field('errorCode', 'int16', '0+')]), '0+'),
    ]),
    '0+',
  ),
]);

export const deleteRecordsApi = defineApi<DeleteRecordsRequest, DeleteRecordsResponse>({
  key: ApiKey.DeleteRecords,
  name: 'DeleteRecords',
  versions: '0-2',
  request,
  response,
  handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      topics: answerPerPartition(req.topics, (topic, p) => {
        const r = ifAuthorized(ctx, 'Topic', topic, 'DELETE', () => ctx.partitions.deleteRecords(topic, p.partitionIndex, p.offset));
        return r._tag === 'Left'
          ? { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: r.left.code }
          : { partitionIndex: p.partitionIndex, lowWatermark: r.right, errorCode: 0 };
      }),
    };
  },
});
