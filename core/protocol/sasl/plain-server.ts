// The server side of a PLAIN exchange (RFC 4616): one message, checked against
// the user's SCRAM credential -- PBKDF2 of the offered password with the stored
// salt and iterations must give the stored key -- so PLAIN and SCRAM share one
// user store and no password is ever kept. PLAIN sends the password itself:
// enable it only on TLS listeners.
import { timingSafeEqual } from 'node:crypto';
import { parsePlain } from './plain';
import { clientKey, digest, type ScramCredential, saltedPassword } from './scram-credential';
import { authenticationFailed, illegalState, type SaslStep } from './sasl-result';

/** Whether the password is the one the credential was made from. */
export function passwordMatches(credential: ScramCredential, password: string): boolean {
  const { mechanism } = credential;
  const storedKey = digest(mechanism, clientKey(mechanism, saltedPassword(mechanism, password, credential.salt, credential.iterations)));
  return timingSafeEqual(storedKey, credential.storedKey);
}

export class PlainServer {
  private done = false;

  /** `lookup`: any SCRAM credential of the user (the first it has). */
  constructor(private readonly lookup: (user: string) => ScramCredential | undefined) {}

  get ended(): boolean {
    return this.done;
  }

  step(message: Uint8Array): SaslStep {
    if (this.done) return illegalState('PLAIN: the exchange is over');
    this.done = true;
    const parsed = parsePlain(message);
    if (!parsed.ok) return authenticationFailed(parsed.message);
    const { authzid, authcid, password } = parsed.credentials;
    if (authzid !== '' && authzid !== authcid) return authenticationFailed(`PLAIN: authorization id ${JSON.stringify(authzid)} differs from the user name`);
    const credential = this.lookup(authcid);
    if (credential === undefined || !passwordMatches(credential, password))
      return authenticationFailed(`PLAIN: authentication failed for ${JSON.stringify(authcid)}`);
    return { kind: 'done', principal: authcid, response: Buffer.alloc(0) };
  }
}
