// The server side of one SCRAM exchange (RFC 5802, RFC 7677) as a pure state
// machine: client-first -> server-first (nonce, salt, iterations), client-final
// -> server-final (v=ServerSignature) or a refusal. Randomness comes in through
// the constructor, credentials through a lookup, so a test replays the RFCs' vectors.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { clientKey, DEFAULT_SCRAM_ITERATIONS, digest, hmac, type ScramCredential, type ScramMechanism, saltedPassword, serverKey } from './scram-credential';
import { type ClientFirst, parseClientFinal, parseClientFirst } from './scram-messages';
import { authenticationFailed, illegalState, type SaslStep } from './sasl-result';

export interface ScramServerOptions {
  /** The credential of a user for this mechanism, undefined when there is none. */
  readonly lookup: (user: string) => ScramCredential | undefined;
  /** The server's part of the nonce (printable, no commas); random by default. */
  readonly serverNonce?: () => string;
}

type State =
  | { readonly at: 'client-first' }
  | {
      readonly at: 'client-final';
      readonly first: ClientFirst;
      readonly serverFirst: string;
      readonly credential: ScramCredential;
      /** False when the user is unknown: the exchange runs on a decoy credential and fails at the end, like a wrong password. */
      readonly known: boolean;
    }
  | { readonly at: 'ended' };

const randomNonce = () => randomBytes(24).toString('base64');

export class ScramServer {
  private state: State = { at: 'client-first' };

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly options: ScramServerOptions,
  ) {}

  /** Whether the exchange is over (succeeded or failed): any further message is refused. */
  get ended(): boolean {
    return this.state.at === 'ended';
  }

  /** The answer to the client's next message. Never throws on client input. */
  step(message: Uint8Array): SaslStep {
    const state = this.state;
    // Whatever happens next, a failure ends the exchange: SCRAM has no retries.
    this.state = { at: 'ended' };
    if (state.at === 'client-first') return this.onClientFirst(message);
    if (state.at === 'client-final') return this.onClientFinal(state, message);
    return illegalState(`${this.mechanism.name}: the exchange is over`);
  }

  private onClientFirst(message: Uint8Array): SaslStep {
    const parsed = parseClientFirst(message);
    if (!parsed.ok) return authenticationFailed(`${this.mechanism.name}: ${parsed.reason}`);
    const first = parsed.value;
    if (first.authzid !== '' && first.authzid !== first.user)
      return authenticationFailed(`${this.mechanism.name}: authorization id ${JSON.stringify(first.authzid)} differs from the user name`);
    const found = this.options.lookup(first.user);
    const credential = found?.mechanism.name === this.mechanism.name ? found : decoy(this.mechanism, first.user);
    const nonce = first.nonce + (this.options.serverNonce ?? randomNonce)();
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = { at: 'client-final', first, serverFirst, credential, known: credential === found };
    return { kind: 'challenge', response: Buffer.from(serverFirst, 'utf8') };
  }

  private onClientFinal(state: Extract<State, { at: 'client-final' }>, message: Uint8Array): SaslStep {
    const parsed = parseClientFinal(message, this.mechanism.keyLength);
    if (!parsed.ok) return authenticationFailed(`${this.mechanism.name}: ${parsed.reason}`);
    const final = parsed.value;
    if (final.channelBinding !== Buffer.from(state.first.gs2Header, 'utf8').toString('base64'))
      return authenticationFailed(`${this.mechanism.name}: channel binding (c=) does not match the client-first message`);
    const expectedNonce = state.serverFirst.slice(2, state.serverFirst.indexOf(','));
    // Kafka's ScramSaslServer checks that the final nonce ends with the server-first one (not equality):
    // librdkafka sends its client nonce again in front of it, and the proof covers what it sent.
    if (!final.nonce.endsWith(expectedNonce)) return authenticationFailed(`${this.mechanism.name}: nonce (r=) does not match`);
    const { credential } = state;
    const authMessage = `${state.first.bare},${state.serverFirst},${final.withoutProof}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    const clientKey = xor(final.proof, clientSignature);
    // Both sides of the comparison have the digest's length, so timingSafeEqual cannot throw.
    const proofMatches = timingSafeEqual(digest(this.mechanism, clientKey), credential.storedKey);
    if (!proofMatches || !state.known) return authenticationFailed(`${this.mechanism.name}: authentication failed for ${JSON.stringify(state.first.user)}`);
    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    return { kind: 'done', principal: state.first.user, response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8') };
  }
}

/** Per process: makes a decoy's salt stable for a user name yet unpredictable. */
const DECOY_SECRET = randomBytes(32);

/**
 * A credential no password matches, so an unknown user looks like a wrong
 * password (no user enumeration): its salt is the same on every attempt, as a real one's is.
 */
function decoy(mechanism: ScramMechanism, user: string): ScramCredential {
  const salt = hmac(mechanism, DECOY_SECRET, `salt:${user}`);
  const key = randomBytes(mechanism.keyLength);
  return { mechanism, salt, iterations: DEFAULT_SCRAM_ITERATIONS, storedKey: digest(mechanism, key), serverKey: key };
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Client-side helpers for tests and tools: the proof a client holding the password computes. */
export function scramClientProof(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number, authMessage: string): Buffer {
  const salted = saltedPassword(mechanism, password, salt, iterations);
  const key = clientKey(mechanism, salted);
  return xor(key, hmac(mechanism, digest(mechanism, key), authMessage));
}

/** The ServerSignature a client expects in server-final. */
export function scramServerSignature(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number, authMessage: string): Buffer {
  return hmac(mechanism, serverKey(mechanism, saltedPassword(mechanism, password, salt, iterations)), authMessage);
}
