// One connection's SASL exchange, started by SaslHandshake's mechanism and fed
// SaslAuthenticate's bytes: the SCRAM server of that mechanism, or PLAIN checked
// against the same SCRAM credentials, over the SecurityPort.
import type { SecurityPort } from '../ports';
import { PlainServer, passwordMatches } from './plain-server';
import { type ScramCredential, SCRAM_MECHANISMS, type ScramMechanism, scramMechanismByName } from './scram-credential';
import { ScramServer } from './scram-server';
import type { SaslStep } from './sasl-result';
import { fromPortRecord } from './security-port';

export interface SaslExchange {
  /** The answer to the client's next message; never throws on client input. */
  step(message: Uint8Array): SaslStep;
  /** Over (succeeded or failed): any further message is refused. */
  readonly ended: boolean;
}

export const PLAIN = 'PLAIN';

function credentialOf(security: SecurityPort, user: string, mechanism: ScramMechanism): ScramCredential | undefined {
  const record = security.scramCredential(user, mechanism.kafkaType);
  return record === undefined ? undefined : fromPortRecord(record);
}

/** Any SCRAM credential of the user (of the first mechanism it has one for): what a plain password is checked against. */
function anyCredential(security: SecurityPort, user: string): ScramCredential | undefined {
  return SCRAM_MECHANISMS.map((m) => credentialOf(security, user, m)).find((c) => c !== undefined);
}

/** Whether `password` is the user's, as PLAIN checks it: HTTP basic auth (the schema registry) serves the same users. */
export function userPasswordMatches(security: SecurityPort, user: string, password: string): boolean {
  const credential = anyCredential(security, user);
  return credential !== undefined && passwordMatches(credential, password);
}

/** The exchange for a mechanism the listener enabled, or undefined (UNSUPPORTED_SASL_MECHANISM). */
export function startSaslExchange(mechanismName: string, security: SecurityPort): SaslExchange | undefined {
  if (!security.saslMechanisms.includes(mechanismName)) return undefined;
  if (mechanismName === PLAIN) return new PlainServer((user) => anyCredential(security, user));
  const mechanism = scramMechanismByName(mechanismName);
  return mechanism === undefined ? undefined : new ScramServer(mechanism, { lookup: (user) => credentialOf(security, user, mechanism) });
}
