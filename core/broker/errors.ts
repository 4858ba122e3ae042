// The one place that names Kafka error codes for the broker, and the error value
// every broker operation returns when it refuses something. A request handler
// for the wire protocol copies `code` into its response; in-process users read
// `message`, which says what was wrong and what to do.
import { LogError, ConfigError } from '../log';

/** Kafka's error codes (Errors.java) used by the broker. */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_TOPIC_EXCEPTION: 17,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  STALE_BROKER_EPOCH: 77,
  FENCED_INSTANCE_ID: 82,
  INVALID_RECORD: 87,
  INVALID_UPDATE_VERSION: 96,
  UNKNOWN_TOPIC_ID: 100,
  INELIGIBLE_REPLICA: 107,
  /** KIP-848: a member (here a worker) whose epoch is not the registered one. */
  FENCED_MEMBER_EPOCH: 110,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

const NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** Kafka's name for a code, e.g. 3 -> "UNKNOWN_TOPIC_OR_PARTITION". */
export function errorName(code: number): string {
  return NAMES.get(code) ?? `ERROR_${code}`;
}

export class BrokerError extends Error {
  constructor(
    /** Kafka's error code for the response. */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'BrokerError';
  }

  get codeName(): string {
    return errorName(this.code);
  }
}

/**
 * Maps what the log throws to a BrokerError. Log errors and config errors are
 * expected (bad batches, offsets out of range, bad configs); anything else is a bug
 * and is rethrown so it is not mistaken for a client's mistake.
 */
export function fromLogError(e: unknown): BrokerError {
  if (e instanceof BrokerError) return e;
  if (e instanceof LogError) return new BrokerError(e.code, e.message);
  if (e instanceof ConfigError) return new BrokerError(ErrorCode.INVALID_CONFIG, e.message);
  throw e;
}
