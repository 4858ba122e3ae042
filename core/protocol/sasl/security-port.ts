// The SecurityPort of core/protocol over a CredentialStore (the single node's
// file store today, the cluster's metadata image later), and the conversions
// between the port's plain records and sasl's credentials.
import type { PortError, ScramCredentialChange, ScramCredentialRecord, SecurityPort } from '../ports';
import { ErrorCode } from '../../wire';
import type { CredentialChange, CredentialStore } from './credential-store';
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
      const applied: CredentialChange[] = [];
      for (const change of changes) {
        const type = change.kind === 'upsert' ? change.credential.mechanism : change.mechanism;
        const mechanism = scramMechanismByType(type);
        if (mechanism === undefined) return { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: `unknown SCRAM mechanism ${type}` };
        applied.push(
          change.kind === 'upsert'
            ? { kind: 'upsert', user: change.user, credential: { ...change.credential, mechanism } }
            : { kind: 'delete', user: change.user, mechanism },
        );
      }
      try {
        await store.apply(applied);
        return undefined;
      } catch (e) {
        return { code: ErrorCode.KAFKA_STORAGE_ERROR, message: `the credential store failed: ${(e as Error).message}` };
      }
    },
  };
}
