// AddOffsetsToTxn (25): a group's offsets join a producer's transaction (its
// __consumer_offsets partition gets the transaction's marker), before the
// producer sends them with TxnOffsetCommit.
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { ApiKey, field, message } from '../../wire';
import { answerCode, transactionsOf } from './txn-common';
import { ifAuthorized } from '../auth';

export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

const request = message('3+', [
  field('transactionalId', 'string', '0+'),
  field('producerId', 'int64', '0+'),
  field('producerEpoch', 'int16', '0+'),
  field('groupId', 'string', '0+'),
]);

const response = message('3+', [field('throttleTimeMs', 'int32', '0+'), field('errorCode', 'int16', '0+')]);

export const addOffsetsToTxnApi = defineApi<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  key: ApiKey.AddOffsetsToTxn,
  name: 'AddOffsetsToTxn',
  versions: '0-3',
  request,
  response,
  async handle(req, ctx) {
    // The group's offsets join the transaction only for a principal that may commit them (READ on the group).
    const port = transactionsOf(ctx, req.transactionalId);
    const added = E.isLeft(port) ? port : await ifAuthorized(ctx, 'Group', req.groupId, 'READ', () => port.right.addOffsets(req, req.groupId));
    return { throttleTimeMs: 0, errorCode: answerCode(ctx, 'AddOffsetsToTxn', added, 2) };
  },
});
