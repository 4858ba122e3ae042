// A group's refusal of an offset commit because of its membership, as the
// LogConsumer contract names it (CommitRefusedError): shared by the
// implementations that commit over Kafka error codes.
import { BrokerError, ErrorCode, errorName } from '../broker';
import { CommitRefusedError } from './log-client';

/** Kafka errors that refuse a commit because of a rebalance or a fenced member, not because of the data. */
export const REFUSED_BY_REBALANCE: ReadonlySet<number> = new Set<number>([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.FENCED_INSTANCE_ID,
]);

/** The error a refused commit rejects with: CommitRefusedError for a membership refusal, else a BrokerError with the code. */
export function commitRefusal(groupId: string, code: number): Error {
  const what = `group ${groupId} refused the commit (${errorName(code)}, error ${code})`;
  return REFUSED_BY_REBALANCE.has(code) ? new CommitRefusedError(what) : new BrokerError(code, what);
}
