// ListOffsets (2): offset for a timestamp; -2 earliest (log start), -1 latest
// (high watermark, or the last stable offset when isolation_level is 1,
// read_committed), -3 the record with the largest timestamp. A
// CurrentLeaderEpoch (v4+) other than the leader's is refused (KIP-320, leader-epoch.ts).
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { currentLeaderEpochError } from '../leader-epoch';
import { ifAuthorized } from '../auth';
import { ApiKey, array, field, message } from '../../wire';
import { answerPerPartition } from './group-by-topic';

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: { name: string; partitions: { partitionIndex: number; currentLeaderEpoch: number; timestamp: number; maxNumOffsets: number }[] }[];
}

interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: ListOffsetsPartitionResponse[] }[];
}

const request = message('6+', [
  field('replicaId', 'int32', '0+'),
  field('isolationLevel', 'int8', '2+'),
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field(
        'partitions',
        array([
          field('partitionIndex', 'int32', '0+'),
          field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
          field('timestamp', 'int64', '0+'),
          field('maxNumOffsets', 'int32', '0', { default: 1 }),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

const response = message('6+', [
  field('throttleTimeMs', 'int32', '2+'),
  field(
    'topics',
    array([
      field('name', 'string', '0+'),
      field(
        'partitions',
        array([
          field('partitionIndex', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('oldStyleOffsets', array('int64'), '0'),
          field('timestamp', 'int64', '1+', { default: -1 }),
          field('offset', 'int64', '1+', { default: -1 }),
          field('leaderEpoch', 'int32', '4+', { default: -1 }),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

export const listOffsetsApi = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  key: ApiKey.ListOffsets,
  name: 'ListOffsets',
  versions: '0-5',
  request,
  response,
  handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      topics: answerPerPartition(req.topics, (topic, p): ListOffsetsPartitionResponse => {
        const r = ifAuthorized(ctx, 'Topic', topic, 'DESCRIBE', () => {
          const stale = currentLeaderEpochError(ctx.metadata, topic, p.partitionIndex, p.currentLeaderEpoch);
          if (stale !== 0) return E.left({ code: stale, message: `leader epoch ${p.currentLeaderEpoch} is not the leader's` });
          return ctx.partitions.listOffset(topic, p.partitionIndex, p.timestamp, req.isolationLevel === 1 ? 1 : 0);
        });
        if (r._tag === 'Left')
          return { partitionIndex: p.partitionIndex, errorCode: r.left.code, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };
        const { offset, timestamp, leaderEpoch } = r.right;
        return { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: offset >= 0 ? [offset] : [], timestamp, offset, leaderEpoch };
      }),
    };
  },
});
