// The SCRAM messages a server reads (RFC 5802 section 7), parsed strictly:
// client-first  = gs2-header client-first-bare, gs2-header = ("n" | "y") "," [ "a=" saslname ] ","
// client-first-bare = "n=" saslname ",r=" nonce ["," extensions]
// client-final  = "c=" base64 ",r=" nonce ["," extensions] ",p=" base64
// Each parser returns the message or a reason, never throws.
import { decodeUtf8 } from './sasl-result';

/** Far above any honest message (a long user name and a 64-byte proof); refused before parsing. */
export const MAX_SCRAM_MESSAGE_BYTES = 4096;

export interface ClientFirst {
  /** `n,,` or `y,,` (with its authzid): the channel binding flag the client-final echoes. */
  readonly gs2Header: string;
  readonly authzid: string;
  readonly user: string;
  readonly nonce: string;
  /** What the AuthMessage includes: the message without its gs2 header. */
  readonly bare: string;
}

export interface ClientFinal {
  readonly channelBinding: string;
  readonly nonce: string;
  readonly proof: Buffer;
  /** What the AuthMessage includes: the message up to `,p=`. */
  readonly withoutProof: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const fail = (reason: string) => ({ ok: false as const, reason });

/** A printable ASCII nonce without commas (RFC 5802's `printable`). */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** An extension attribute: one letter other than the ones already spoken for, `=`, a value. */
const EXTENSION = /^[A-Za-z]=[^,]*$/;

function messageText(bytes: Uint8Array): Parsed<string> {
  if (bytes.length === 0) return fail('empty message');
  if (bytes.length > MAX_SCRAM_MESSAGE_BYTES) return fail(`message of ${bytes.length} bytes exceeds ${MAX_SCRAM_MESSAGE_BYTES}`);
  const text = decodeUtf8(bytes);
  if (text === undefined) return fail('message is not valid UTF-8');
  if (text.includes('\0')) return fail('message contains NUL');
  return { ok: true, value: text };
}

/** A saslname with `=2C` and `=3D` decoded to `,` and `=`; any other `=` is malformed. */
export function decodeSaslName(raw: string): string | undefined {
  if (raw.length === 0) return undefined;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '=') {
      out += raw[i];
      continue;
    }
    const code = raw.slice(i + 1, i + 3);
    if (code === '2C') out += ',';
    else if (code === '3D') out += '=';
    else return undefined;
    i += 2;
  }
  return out;
}

/** The value of `key=value`, or undefined when the attribute is another one. */
function attribute(part: string | undefined, key: string): string | undefined {
  return part?.startsWith(key + '=') ? part.slice(key.length + 1) : undefined;
}

function checkExtensions(parts: readonly string[]): string | undefined {
  for (const part of parts) {
    if (!EXTENSION.test(part)) return `malformed attribute ${JSON.stringify(part.slice(0, 40))}`;
    // RFC 5802: a server that does not understand a mandatory extension (m=) fails.
    if (part.startsWith('m=')) return 'mandatory extension (m=) not supported';
  }
  return undefined;
}

export function parseClientFirst(bytes: Uint8Array): Parsed<ClientFirst> {
  const text = messageText(bytes);
  if (!text.ok) return text;
  const parts = text.value.split(',');
  if (parts.length < 4) return fail('client-first message must be gs2-header,n=user,r=nonce');
  const [flag, rawAuthzid, rawUser, rawNonce, ...extensions] = parts;
  if (flag.startsWith('p=')) return fail('channel binding is not supported (the client asked for it with p=)');
  if (flag !== 'n' && flag !== 'y') return fail(`unknown channel binding flag ${JSON.stringify(flag.slice(0, 40))}`);
  let authzid = '';
  if (rawAuthzid !== '') {
    const raw = attribute(rawAuthzid, 'a');
    const decoded = raw === undefined ? undefined : decodeSaslName(raw);
    if (decoded === undefined) return fail('malformed authzid (a=)');
    authzid = decoded;
  }
  const rawName = attribute(rawUser, 'n');
  const user = rawName === undefined ? undefined : decodeSaslName(rawName);
  if (user === undefined) return fail('malformed user name (n=)');
  const nonce = attribute(rawNonce, 'r');
  if (nonce === undefined || !NONCE.test(nonce)) return fail('malformed client nonce (r=)');
  const badExtension = checkExtensions(extensions);
  if (badExtension) return fail(badExtension);
  const gs2Header = `${flag},${rawAuthzid},`;
  return { ok: true, value: { gs2Header, authzid, user, nonce, bare: text.value.slice(gs2Header.length) } };
}

export function parseClientFinal(bytes: Uint8Array, keyLength: number): Parsed<ClientFinal> {
  const text = messageText(bytes);
  if (!text.ok) return text;
  const parts = text.value.split(',');
  if (parts.length < 3) return fail('client-final message must be c=binding,r=nonce,p=proof');
  const channelBinding = attribute(parts[0], 'c');
  if (channelBinding === undefined || !BASE64.test(channelBinding)) return fail('malformed channel binding (c=)');
  const nonce = attribute(parts[1], 'r');
  if (nonce === undefined || !NONCE.test(nonce)) return fail('malformed nonce (r=)');
  const rawProof = attribute(parts[parts.length - 1], 'p');
  if (rawProof === undefined || !BASE64.test(rawProof)) return fail('malformed proof (p=), which must come last');
  const proof = Buffer.from(rawProof, 'base64');
  if (proof.length !== keyLength) return fail(`proof of ${proof.length} bytes, expected ${keyLength}`);
  const badExtension = checkExtensions(parts.slice(2, -1));
  if (badExtension) return fail(badExtension);
  return { ok: true, value: { channelBinding, nonce, proof, withoutProof: parts.slice(0, -1).join(',') } };
}
