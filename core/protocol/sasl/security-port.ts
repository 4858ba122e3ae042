// The SecurityPort of core/protocol over a CredentialStore (the single node's
// file store today, the cluster's metadata image later), and the conversions
// between the port's plain records and sasl's credentials.
import type { PortError, ScramCredentialChange, ScramCredentialRecord, SecurityPort } from '../ports';
import { ErrorCode } from '../../wire';
import type { CredentialStore } from './credential-store';
import { type ScramCredential, SCRAM_MECHANISMS, scramMechanismByType } from './scram-credential';

export function toPortRecord(credential: ScramCredential): ScramCredentialRecord {
  return { ...credential, mechanism: credential.mechanism.kafkaType };
}

/** The credential of a port record, undefined for a mechanism type Rill does not know. */
export function fromPortRecord(record: ScramCredentialRecord): ScramCredential | undefined {
  const mechanism = scramMechanismByType(record.mechanism);
  return mechanism === undefined ? undefined : { ...record, mechanism };
}

export function credentialStorePort(store: CredentialStore, saslMechanisms: readonly string[] = SCRAM_MECHANISMS.map((m) => m.name)): SecurityPort {
  return {
    saslMechanisms,
    scramCredential(user, type) {
      const mechanism = scramMechanismByType(type);
      const found = mechanism === undefined ? undefined : store.get(user, mechanism);
      return found === undefined ? undefined : toPortRecord(found);
    },
    scramUsers() {
      return new Map([...store.list()].map(([user, held]) => [user, held.map(toPortRecord)]));
    },
    async alterScramCredentials(changes: readonly ScramCredentialChange[]): Promise<PortError | undefined> {
      try {
        for (const change of changes) {
          if (change.kind === 'upsert') {
            const credential = fromPortRecord(change.credential);
            if (credential === undefined)
              return { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: `unknown SCRAM mechanism ${change.credential.mechanism}` };
            await store.upsert(change.user, credential);
          } else {
            const mechanism = scramMechanismByType(change.mechanism);
            if (mechanism !== undefined) await store.delete(change.user, mechanism);
          }
        }
        return undefined;
      } catch (e) {
        return { code: ErrorCode.KAFKA_STORAGE_ERROR, message: `the credential store failed: ${(e as Error).message}` };
      }
    },
  };
}
