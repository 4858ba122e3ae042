// ACL changes as controller decisions: CreateAcls and DeleteAcls, checked and
// matched by the broker that took the request (core/protocol/auth), arrive
// here as the exact ACLs to add and remove; the records are those that change
// the image (an ACL already there is not added twice, one gone is not removed).
import { ErrorCode, refusal } from '../errors';
import { aclKey, type MetadataImage } from '../metadata/image';
import type { AclEntry, MetadataRecord } from '../metadata/records';
import { accept, type Decision } from './decision';

export interface AlterAclsRequest {
  readonly create: readonly AclEntry[];
  readonly remove: readonly AclEntry[];
}

export function alterAcls(image: MetadataImage, req: AlterAclsRequest): Decision<AlterAclsRequest> {
  const present = new Set([...image.acls].map(aclKey));
  const records: MetadataRecord[] = [];
  for (const e of req.remove) if (present.delete(aclKey(e))) records.push({ type: 'RemoveAccessControlEntry', ...entry(e) });
  for (const e of req.create) {
    const key = aclKey(e);
    if (present.has(key)) continue;
    present.add(key);
    records.push({ type: 'AccessControlEntry', ...entry(e) });
  }
  return accept(records, req);
}

/** Only an ACL's own fields (a request body may carry others). */
function entry(e: AclEntry): AclEntry {
  const { resourceType, resourceName, patternType, principal, host, operation, permission } = e;
  return { resourceType, resourceName, patternType, principal, host, operation, permission };
}

const INT8 = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= -128 && (v as number) <= 127;

/** The body of an alterAcls request, or a refusal (a malformed body is answered, not decided on). */
export function checkAlterAcls(body: unknown): AlterAclsRequest | ReturnType<typeof refusal> {
  const b = body as Partial<AlterAclsRequest> | null;
  const valid = (e: unknown): e is AclEntry => {
    const x = e as Partial<AclEntry> | null;
    return (
      x !== null &&
      typeof x === 'object' &&
      [x.resourceType, x.patternType, x.operation, x.permission].every(INT8) &&
      [x.resourceName, x.principal, x.host].every((s) => typeof s === 'string')
    );
  };
  if (b === null || typeof b !== 'object' || !Array.isArray(b.create) || !Array.isArray(b.remove) || !b.create.every(valid) || !b.remove.every(valid))
    return refusal(ErrorCode.INVALID_REQUEST, 'alterAcls needs { create, remove }: lists of ACLs');
  return { create: b.create, remove: b.remove };
}
