// SASL PLAIN (RFC 4616), the server's side: the client's single message is
// `[authzid] NUL authcid NUL passwd`, UTF-8. Parsing is bounded and strict;
// checking the password is the caller's (PLAIN carries no verifier of its own).
import { authenticationFailed, decodeUtf8, type SaslFailure } from './sasl-result';

/** RFC 4616 asks servers to accept at least 255 octets per field; Rill accepts up to this many in all. */
export const MAX_PLAIN_MESSAGE_BYTES = 1024;

export interface PlainCredentials {
  /** The identity to act as; empty when the client asks for its own (authcid). */
  readonly authzid: string;
  readonly authcid: string;
  readonly password: string;
}

export function parsePlain(message: Uint8Array): { ok: true; credentials: PlainCredentials } | ({ ok: false } & SaslFailure) {
  const refuse = (why: string) => ({ ok: false as const, ...authenticationFailed(`PLAIN: ${why}`) });
  if (message.length > MAX_PLAIN_MESSAGE_BYTES) return refuse(`message of ${message.length} bytes exceeds ${MAX_PLAIN_MESSAGE_BYTES}`);
  const text = decodeUtf8(message);
  if (text === undefined) return refuse('message is not valid UTF-8');
  const parts = text.split('\0');
  if (parts.length !== 3) return refuse(`expected authzid NUL authcid NUL password, got ${parts.length} field(s)`);
  const [authzid, authcid, password] = parts;
  if (authcid.length === 0) return refuse('empty authentication identity');
  if (password.length === 0) return refuse('empty password');
  return { ok: true, credentials: { authzid, authcid, password } };
}
