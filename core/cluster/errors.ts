// Kafka error codes live in one place, core/wire's ErrorCode (replication and
// controller codes included); the cluster re-exports them under its older names.
import { ErrorCode, errorName } from '../wire';

export const ClusterErrorCode = ErrorCode;
export type ClusterErrorCodeValue = (typeof ClusterErrorCode)[keyof typeof ClusterErrorCode];

/** Kafka's name for a code, e.g. 19 -> "NOT_ENOUGH_REPLICAS". */
export const clusterErrorName = errorName;

/** A refused request: the Kafka error code and a message saying what to do. */
export interface Refusal {
  readonly code: number;
  readonly message: string;
}

export function refusal(code: number, message: string): Refusal {
  return { code, message };
}
