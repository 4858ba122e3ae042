// core/protocol/auth: authorization -- Kafka's ACL model, the authorizer
// (StandardAuthorizer's rules over an index), where a single node keeps its
// ACLs, and the one check every handler makes (authorized()).
export {
  ResourceType,
  PatternType,
  AclOperation,
  AclPermission,
  CLUSTER_RESOURCE,
  WILDCARD,
  WILDCARD_PRINCIPAL,
  codeName,
  codeOf,
  invalidBinding,
  invalidFilter,
  filterMatches,
  bindingKey,
  describeBinding,
} from './acl';
export { Authorizer } from './authorizer';
export type { AuthorizerConfig } from './authorizer';
export { FileAclStore, ACLS_FILE } from './acl-store';
export { fileAclPort } from './acl-port';
export { authorized, clusterAuthorized, authorizer, deniedCode, deniedMessage, denial, ifAuthorized, idempotentWriteAuthorized } from './authorize';
export type { Resource, Operation } from './authorize';
