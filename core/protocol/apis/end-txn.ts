// EndTxn (26): commits or aborts a producer's transaction. Answered once the
// decision is durable in __transaction_state; the markers follow (retried by
// the coordinator until every partition has its marker).
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { ApiKey, field, message } from '../../wire';
import { answerCode, transactionsOf } from './txn-common';

export interface EndTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
}

export interface EndTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

const request = message('3+', [
  field('transactionalId', 'string', '0+'),
  field('producerId', 'int64', '0+'),
  field('producerEpoch', 'int16', '0+'),
  field('committed', 'bool', '0+'),
]);

const response = message('3+', [field('throttleTimeMs', 'int32', '0+'), field('errorCode', 'int16', '0+')]);

export const endTxnApi = defineApi<EndTxnRequest, EndTxnResponse>({
  key: ApiKey.EndTxn,
  name: 'EndTxn',
  versions: '0-3',
  request,
  response,
  async handle(req, ctx) {
    const port = transactionsOf(ctx, req.transactionalId);
    const ended = E.isLeft(port) ? port : await port.right.endTxn(req, req.committed);
    return { throttleTimeMs: 0, errorCode: answerCode(ctx, 'EndTxn', ended, 2) };
  },
});
