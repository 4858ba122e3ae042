// What a SASL step answers: a challenge to send back, success with the
// authenticated principal, or a refusal carrying the Kafka error code the
// SaslAuthenticate response reports. Parsers return these instead of throwing,
// so malformed client input can never escape as an exception.
import { ErrorCode, type ErrorCodeValue } from '../../wire';

export type SaslStep =
  | { readonly kind: 'challenge'; readonly response: Buffer }
  | { readonly kind: 'done'; readonly principal: string; readonly response: Buffer }
  | SaslFailure;

export interface SaslFailure {
  readonly kind: 'failed';
  readonly errorCode: ErrorCodeValue;
  readonly message: string;
}

/** A refusal of the client's credentials or of its malformed message (Kafka answers both with SASL_AUTHENTICATION_FAILED). */
export function authenticationFailed(message: string): SaslFailure {
  return { kind: 'failed', errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, message };
}

/** A message arriving when the exchange expects none (Kafka's ILLEGAL_SASL_STATE). */
export function illegalState(message: string): SaslFailure {
  return { kind: 'failed', errorCode: ErrorCode.ILLEGAL_SASL_STATE, message };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}
