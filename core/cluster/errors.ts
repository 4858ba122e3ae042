// What every role of the cluster answers with: Kafka's error codes (core/wire's
// one table) and a refusal, a code with a message saying what to do.
export { ErrorCode, errorName } from '../wire';

/** A refused request: the Kafka error code and a message saying what to do. */
export interface Refusal {
  readonly code: number;
  readonly message: string;
}

export function refusal(code: number, message: string): Refusal {
  return { code, message };
}
