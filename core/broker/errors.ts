// The error value every broker operation returns when it refuses something (and
// the broker's face of Kafka's error codes). A request handler for the wire
// protocol copies `code` into its response; in-process users read `message`,
// which says what was wrong and what to do.
import { LogError, ConfigError } from '../log';
import { ErrorCode, errorName } from '../wire';

// Kafka's error codes: the one table is core/wire's; re-exported as the broker's.
export { ErrorCode, errorName } from '../wire';
export type { ErrorCodeName, ErrorCodeValue } from '../wire';

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

/**
 * An errno of the file system (EIO on a read, say) that reached the broker
 * outside the log's own handling: KAFKA_STORAGE_ERROR for the partition it
 * concerns, so the others of the request are served. Undefined for anything
 * else (a bug, rethrown by the caller).
 */
export function fromIoError(e: unknown, what: string): BrokerError | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? new BrokerError(ErrorCode.KAFKA_STORAGE_ERROR, `${what} failed with ${code}: ${(e as Error).message}`) : undefined;
}
