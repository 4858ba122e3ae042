// InitProducerId (22): a producer id for an idempotent producer, or, with a
// transactional id, the transaction coordinator's producer id and epoch for it
// (the epoch bumped on every call, fencing the previous producer; KIP-360's bump
// when the producer sends the id and epoch it has).
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { idempotentWriteAuthorized } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import { field, message } from '../../wire';
import { fencingCode, transactionsOf } from './txn-common';

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

const request = message('2+', [
  field('transactionalId', 'string', '0+', { nullable: '0+' }),
  field('transactionTimeoutMs', 'int32', '0+'),
  field('producerId', 'int64', '3+', { default: -1 }),
  field('producerEpoch', 'int16', '3+', { default: -1 }),
]);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('producerId', 'int64', '0+', { default: -1 }),
  field('producerEpoch', 'int16', '0+'),
]);

/** The response has no message field, so the reason of a refusal goes to the broker's log. */
export const initProducerIdApi = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  key: ApiKey.InitProducerId,
  name: 'InitProducerId',
  versions: '0-4',
  request,
  response,
  async handle(req, ctx) {
    const transactionalId = req.transactionalId;
    let g: E.Either<{ code: number; message: string }, { producerId: number; producerEpoch: number }>;
    if (transactionalId === null)
      g = idempotentWriteAuthorized(ctx)
        ? ctx.partitions.initProducerId()
        : E.left({ code: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: `${ctx.principal} may not write idempotently` });
    else {
      const port = transactionsOf(ctx, transactionalId);
      g = E.isLeft(port) ? port : await port.right.initProducerId(transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch);
    }
    if (E.isRight(g)) return { throttleTimeMs: 0, errorCode: 0, producerId: g.right.producerId, producerEpoch: g.right.producerEpoch };
    ctx.log(`refused InitProducerId: ${g.left.message}`, { transactionalId });
    // PRODUCER_FENCED is InitProducerId's from v4 (KIP-588).
    return { throttleTimeMs: 0, errorCode: fencingCode(g.left.code, ctx.apiVersion, 4), producerId: -1, producerEpoch: -1 };
  },
});
