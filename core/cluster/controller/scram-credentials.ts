// AlterUserScramCredentials decided by the controller: the changes (already
// checked by the broker that received them) become UserScramCredential and
// RemoveUserScramCredential records, so every broker's image holds the same
// users. The body travels as JSON over the controller RPC, keys in base64.
import * as E from 'fp-ts/Either';
import { ErrorCode, refusal } from '../errors';
import type { MetadataImage } from '../metadata/image';
import type { MetadataRecord } from '../metadata/records';
import { accept, type Decision } from './decision';

/** One change as the controller RPC carries it. */
export type ScramChangeBody =
  | {
      readonly kind: 'upsert';
      readonly user: string;
      readonly mechanism: number;
      readonly salt: string;
      readonly storedKey: string;
      readonly serverKey: string;
      readonly iterations: number;
    }
  | { readonly kind: 'delete'; readonly user: string; readonly mechanism: number };

/** Key length of each SCRAM mechanism type (1: SCRAM-SHA-256, 2: SCRAM-SHA-512). */
const KEY_LENGTH = new Map([
  [1, 32],
  [2, 64],
]);

function recordOf(image: MetadataImage, c: ScramChangeBody): E.Either<string, MetadataRecord> {
  if (typeof c?.user !== 'string' || c.user === '') return E.left('a change without a user name');
  const keyLength = KEY_LENGTH.get(c.mechanism);
  if (keyLength === undefined) return E.left(`unknown SCRAM mechanism ${c.mechanism}`);
  if (c.kind === 'delete') {
    if (image.scramCredentials.get(c.user)?.has(c.mechanism) !== true) return E.left(`user ${c.user} has no credential of mechanism ${c.mechanism}`);
    return E.right({ type: 'RemoveUserScramCredential', name: c.user, mechanism: c.mechanism });
  }
  if (c.kind !== 'upsert') return E.left('a change is an upsert or a delete');
  const [salt, storedKey, serverKey] = [c.salt, c.storedKey, c.serverKey].map((b) => Buffer.from(typeof b === 'string' ? b : '', 'base64'));
  if (salt.length === 0 || storedKey.length !== keyLength || serverKey.length !== keyLength || !Number.isInteger(c.iterations))
    return E.left(`malformed credential for user ${c.user}`);
  return E.right({ type: 'UserScramCredential', name: c.user, mechanism: c.mechanism, salt, storedKey, serverKey, iterations: c.iterations });
}

export function alterScramCredentials(image: MetadataImage, body: unknown): Decision<{ changes: number }> {
  const changes = (body as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(changes) || changes.length === 0)
    return E.left(refusal(ErrorCode.INVALID_REQUEST, 'alterScramCredentials needs a non-empty list of changes'));
  const records: MetadataRecord[] = [];
  for (const change of changes as ScramChangeBody[]) {
    const record = recordOf(image, change);
    if (E.isLeft(record)) return E.left(refusal(ErrorCode.INVALID_REQUEST, record.left));
    records.push(record.right);
  }
  return accept(records, { changes: records.length });
}
