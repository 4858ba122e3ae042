// Produce (0): appends each partition's RecordBatch bytes as the client sent
// them (the broker validates and assigns offsets). acks=0 gets no response.
import { ErrorCode } from '../../broker';
import { defineApi } from '../api';
import { array, field, message } from '../schema';

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
}

interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

export interface ProduceResponse {
  responses: { name: string; partitionResponses: ProducePartitionResponse[] }[];
  throttleTimeMs: number;
}

const request = message('9+', [
  field('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
  field('acks', 'int16', '0+'),
  field('timeoutMs', 'int32', '0+'),
  field('topicData', array([field('name', 'string', '0+'), field('partitionData', array([field('index', 'int32', '0+'), field('records', 'records', '0+', { nullable: '0+' })]), '0+')]), '0+'),
]);

const response = message('9+', [
  field(
    'responses',
    array([
      field('name', 'string', '0+'),
      field(
        'partitionResponses',
        array([
          field('index', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('baseOffset', 'int64', '0+'),
          field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
          field('logStartOffset', 'int64', '5+', { default: -1 }),
          field('recordErrors', array([field('batchIndex', 'int32', '8+'), field('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null })]), '8+'),
          field('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
  field('throttleTimeMs', 'int32', '1+'),
]);

export const produceApi = defineApi<ProduceRequest, ProduceResponse>({
  key: 0,
  name: 'Produce',
  // v3+ carry RecordBatch v2, the only format the log stores.
  versions: '3-8',
  request,
  response,
  handle(req, ctx) {
    const badAcks = req.acks !== -1 && req.acks !== 0 && req.acks !== 1;
    const responses = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p): ProducePartitionResponse => {
        const fail = (errorCode: number, errorMessage: string) => ({ index: p.index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage });
        if (badAcks) return fail(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${req.acks}.`);
        if (!p.records || p.records.length === 0) return fail(ErrorCode.INVALID_RECORD, 'The Produce request carries no records for this partition.');
        const r = ctx.broker.produce(t.name, p.index, p.records);
        if (r._tag === 'Left') return fail(r.left.code, r.left.message);
        return { index: p.index, errorCode: 0, baseOffset: r.right.baseOffset, logAppendTimeMs: r.right.logAppendTime, logStartOffset: r.right.logStartOffset, recordErrors: [], errorMessage: null };
      }),
    }));
    return req.acks === 0 ? null : { responses, throttleTimeMs: 0 };
  },
});
