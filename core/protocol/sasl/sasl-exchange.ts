// One connection's SASL exchange, started by SaslHandshake's mechanism and fed
// SaslAuthenticate's bytes: the SCRAM server of that mechanism over the
// SecurityPort's credentials. (PLAIN needs a password verifier the port does
// not have yet; it is refused as an unsupported mechanism until it does.)
import type { SecurityPort } from '../ports';
import { scramMechanismByName } from './scram-credential';
import { ScramServer } from './scram-server';
import { fromPortRecord } from './security-port';

export type SaslExchange = ScramServer;

/** The exchange for a mechanism the listener enabled, or undefined (UNSUPPORTED_SASL_MECHANISM). */
export function startSaslExchange(mechanismName: string, security: SecurityPort): SaslExchange | undefined {
  const mechanism = scramMechanismByName(mechanismName);
  if (mechanism === undefined || !security.saslMechanisms.includes(mechanismName)) return undefined;
  return new ScramServer(mechanism, {
    lookup: (user) => {
      const record = security.scramCredential(user, mechanism.kafkaType);
      return record === undefined ? undefined : fromPortRecord(record);
    },
  });
}
