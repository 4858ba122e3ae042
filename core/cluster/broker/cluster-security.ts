// core/protocol's SecurityPort on a cluster broker: SCRAM credentials are read
// from this broker's metadata image (every broker follows the same log, so a
// user created through any broker authenticates on all of them), and
// AlterUserScramCredentials is decided by the active controller, answered once
// this broker's image shows the change.
import type { PortError, ScramCredentialChange, ScramCredentialRecord, SecurityPort } from '../../protocol';
import { ControllerMethod, type ControllerAnswer } from '../controller/controller-protocol';
import type { ScramChangeBody } from '../controller/scram-credentials';
import { ErrorCode, errorName } from '../errors';
import type { ScramCredentialEntry } from '../metadata/image';
import { untilImage, type BrokerView } from './broker-view';

/** How long AlterUserScramCredentials waits for the controller and for this broker's image. */
const ALTER_WAIT_MS = 10_000;

function portRecord(entry: ScramCredentialEntry): ScramCredentialRecord {
  return { mechanism: entry.mechanism, salt: entry.salt, iterations: entry.iterations, storedKey: entry.storedKey, serverKey: entry.serverKey };
}

function body(change: ScramCredentialChange): ScramChangeBody {
  if (change.kind === 'delete') return change;
  const c = change.credential;
  return {
    kind: 'upsert',
    user: change.user,
    mechanism: c.mechanism,
    salt: c.salt.toString('base64'),
    storedKey: c.storedKey.toString('base64'),
    serverKey: c.serverKey.toString('base64'),
    iterations: c.iterations,
  };
}

/** Whether this broker's image shows the change. */
function shows(broker: BrokerView, change: ScramCredentialChange): boolean {
  const held = broker.image.scramCredentials.get(change.user);
  if (change.kind === 'delete') return held?.has(change.mechanism) !== true;
  return held?.get(change.credential.mechanism)?.storedKey.equals(change.credential.storedKey) === true;
}

export function clusterSecurityPort(broker: BrokerView, saslMechanisms: readonly string[]): SecurityPort {
  return {
    saslMechanisms,
    scramCredential(user, mechanism) {
      const entry = broker.image.scramCredentials.get(user)?.get(mechanism);
      return entry === undefined ? undefined : portRecord(entry);
    },
    scramUsers() {
      return new Map([...broker.image.scramCredentials].map(([user, held]) => [user, [...held.values()].map(portRecord)]));
    },
    async alterScramCredentials(changes): Promise<PortError | undefined> {
      const deadline = Date.now() + ALTER_WAIT_MS;
      const a: ControllerAnswer<{ changes: number }> = await broker.askController(
        ControllerMethod.alterScramCredentials,
        { changes: changes.map(body) },
        deadline,
      );
      if (a.errorCode !== 0) return { code: a.errorCode, message: a.message ?? errorName(a.errorCode) };
      if (await untilImage(broker, deadline, () => changes.every((c) => shows(broker, c)))) return undefined;
      return { code: ErrorCode.REQUEST_TIMED_OUT, message: `the credentials are changed, but broker ${broker.nodeId} has not seen it yet; it will shortly` };
    },
  };
}
