// The client's side of a SASL exchange, for Rill's own clients: PLAIN's one
// message, or SCRAM's client-first / client-final with the server's signature
// checked (a broker that does not hold the credential cannot pass for one that does).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { PLAIN } from './sasl-exchange';
import { scramMechanismByName } from './scram-credential';
import { scramClientProof, scramServerSignature } from './scram-server';

/** A client's SASL settings (Kafka's sasl.mechanism, sasl.username, sasl.password). */
export interface ClientSaslOptions {
  /** PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (any case). */
  readonly mechanism: string;
  readonly username: string;
  readonly password: string;
}

/** One exchange: the first message, then the answer to each server token; `done` once the server's last token is checked. */
export interface SaslClient {
  readonly mechanism: string;
  first(): Buffer;
  /** The next message to send, or null when the exchange is complete; throws when the server's token is wrong. */
  next(serverToken: Buffer): Buffer | null;
}

/** RFC 5802's saslname: ',' and '=' escaped. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function saslClient(options: ClientSaslOptions): SaslClient {
  const name = options.mechanism.toUpperCase();
  if (name === PLAIN) {
    return { mechanism: PLAIN, first: () => Buffer.from(`\0${options.username}\0${options.password}`, 'utf8'), next: () => null };
  }
  const mechanism = scramMechanismByName(name);
  if (mechanism === undefined) throw new Error(`sasl.mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, not "${options.mechanism}"`);
  const clientNonce = randomBytes(18).toString('base64');
  const firstBare = `n=${saslName(options.username)},r=${clientNonce}`;
  let expectedSignature: Buffer | undefined;
  return {
    mechanism: mechanism.name,
    first: () => Buffer.from(`n,,${firstBare}`, 'utf8'),
    next(serverToken) {
      const text = serverToken.toString('utf8');
      if (expectedSignature !== undefined) {
        const signature = /^v=([A-Za-z0-9+/=]+)$/.exec(text);
        if (signature === null || !timingSafeEqualB64(signature[1], expectedSignature))
          throw new Error(`${mechanism.name}: the broker's signature does not match: it does not hold this user's credential`);
        return null;
      }
      const attrs = new Map(text.split(',').map((a) => [a.slice(0, 1), a.slice(2)]));
      const nonce = attrs.get('r');
      const salt = attrs.get('s');
      const iterations = Number(attrs.get('i'));
      if (nonce === undefined || !nonce.startsWith(clientNonce) || salt === undefined || !Number.isInteger(iterations) || iterations < 1)
        throw new Error(`${mechanism.name}: malformed server-first message`);
      const withoutProof = `c=biws,r=${nonce}`;
      const authMessage = `${firstBare},${text},${withoutProof}`;
      const saltBytes = Buffer.from(salt, 'base64');
      const proof = scramClientProof(mechanism, options.password, saltBytes, iterations, authMessage);
      expectedSignature = scramServerSignature(mechanism, options.password, saltBytes, iterations, authMessage);
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
    },
  };
}

function timingSafeEqualB64(b64: string, expected: Buffer): boolean {
  const got = Buffer.from(b64, 'base64');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
