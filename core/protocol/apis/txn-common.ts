// What the transaction APIs (InitProducerId with a transactional id,
// AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit) share: the
// broker's transaction coordinator, or the refusal where it has none, and the
// fencing error older request versions know.
import * as E from 'fp-ts/Either';
import type { RequestContext } from '../api';
import type { PortError, TransactionPort } from '../ports';
import { ErrorCode } from '../../wire';
import { authorized } from '../auth';

/**
 * The coordinator, for a principal allowed to WRITE with `transactionalId`
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED otherwise, when the broker has an
 * authorizer), or COORDINATOR_NOT_AVAILABLE where this broker serves no transactions.
 */
export function transactionsOf(ctx: RequestContext, transactionalId: string): E.Either<PortError, TransactionPort> {
  if (!authorized(ctx, 'TransactionalId', transactionalId, 'WRITE'))
    return E.left({
      code: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      message: `${ctx.principal} may not write with transactional id "${transactionalId}"`,
    });
  if (ctx.transactions !== undefined) return E.right(ctx.transactions);
  return E.left({
    code: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    message: `Broker ${ctx.nodeId} serves no transactions; use an idempotent producer without a transactional id.`,
  });
}

/**
 * PRODUCER_FENCED (KIP-588) exists from `since` on; before it Kafka answers
 * INVALID_PRODUCER_EPOCH, which older clients treat the same way.
 */
export function fencingCode(code: number, apiVersion: number, since: number): number {
  return code === ErrorCode.PRODUCER_FENCED && apiVersion < since ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

/** The error code of an answer (0: success), logging a refusal's reason (the responses carry no message). */
export function answerCode(ctx: RequestContext, api: string, result: E.Either<PortError, unknown>, fencedSince: number): number {
  if (E.isRight(result)) return 0;
  ctx.log(`refused ${api}: ${result.left.message}`);
  return fencingCode(result.left.code, ctx.apiVersion, fencedSince);
}
