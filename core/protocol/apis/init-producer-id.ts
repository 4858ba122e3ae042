// InitProducerId (22): a producer id for an idempotent producer. Transactions are
// not served, so a transactional id is refused.
import { defineApi } from '../api';
import { idempotentWriteAuthorized } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import { field, message } from '../../wire';

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

/**
 * A transactional id is refused, as transactions are not served; otherwise the
 * broker hands out an id. The response has no message field, so the reason of
 * a refusal goes to the broker's log.
 */
export const initProducerIdApi = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  key: ApiKey.InitProducerId,
  name: 'InitProducerId',
  versions: '0-4',
  request,
  response,
  handle(req, ctx) {
    const refused = (errorCode: number, why: string): InitProducerIdResponse => {
      ctx.log(`refused InitProducerId: ${why}`, { transactionalId: req.transactionalId });
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    };
    if (req.transactionalId === null && !idempotentWriteAuthorized(ctx))
      return refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not write idempotently`);
    if (req.transactionalId !== null) {
      return refused(
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        'transactions are not supported; drop transactionalId (an idempotent producer needs none).',
      );
    }
    const g = ctx.partitions.initProducerId();
    if (g._tag === 'Left') return refused(g.left.code, g.left.message);
    return { throttleTimeMs: 0, errorCode: 0, producerId: g.right.producerId, producerEpoch: g.right.producerEpoch };
  },
});
