// The single node's AclPort: the authorizer over the ACLs of the data dir's
// file, written to disk before they take effect (a failed write changes nothing).
import * as E from 'fp-ts/Either';
import { ErrorCode } from '../../wire';
import type { AclBinding, AclPort, PortError } from '../ports';
import { FileAclStore } from './acl-store';
import { Authorizer, type AuthorizerConfig } from './authorizer';

function storageError(e: unknown): PortError {
  return { code: ErrorCode.KAFKA_STORAGE_ERROR, message: `the ACL file could not be written: ${(e as Error).message}` };
}

/** Reads the data dir's ACLs (throws on a damaged file: a broker must not start with fewer ACLs than it had). */
export function fileAclPort(dataDir: string, config: AuthorizerConfig): AclPort {
  const store = new FileAclStore(dataDir);
  const authorizer = new Authorizer(config, store.load());
  const commit = (added: readonly AclBinding[], removed: readonly AclBinding[]): PortError | undefined => {
    const next = new Authorizer(config, authorizer.bindings());
    next.update(added, removed);
    try {
      store.save(next.bindings());
    } catch (e) {
      return storageError(e);
    }
    authorizer.update(added, removed);
    return undefined;
  };
  return {
    authorize: (principal, host, operation, resourceType, resourceName) => authorizer.authorize(principal, host, operation, resourceType, resourceName),
    authorizeByResourceType: (principal, host, operation, resourceType) => authorizer.authorizeByResourceType(principal, host, operation, resourceType),
    describeAcls: (filter) => authorizer.matching(filter),
    createAcls(bindings) {
      const failed = commit(bindings, []);
      return bindings.map(() => failed);
    },
    deleteAcls(filters) {
      const matched = filters.map((f) => authorizer.matching(f));
      const failed = commit([], matched.flat());
      return failed === undefined ? E.right(matched) : E.left(failed);
    },
  };
}
