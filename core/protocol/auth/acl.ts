// Kafka's ACL model as plain codes (the values on the wire, from Kafka's
// ResourceType, PatternType, AclOperation and AclPermissionType), with the
// checks CreateAcls, DescribeAcls and DeleteAcls make and the matching of a
// filter against a binding (Kafka's AclBindingFilter.matches).
import type { AclBinding, AclBindingFilter } from '../ports';

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one name of the Cluster resource. */
export const CLUSTER_RESOURCE = 'kafka-cluster';
/** A literal resource name or host that matches every one. */
export const WILDCARD = '*';
/** The principal that matches every user. */
export const WILDCARD_PRINCIPAL = 'User:*';

type Codes = Readonly<Record<string, number>>;

/** The name of a code ("TOPIC" for 2), or the number when it has none. */
export function codeName(codes: Codes, code: number): string {
  return Object.keys(codes).find((k) => codes[k] === code) ?? String(code);
}

/** The code of a name, case and '-'/'_' insensitive (as kafka-acls.sh reads --operation); undefined when unknown. */
export function codeOf(codes: Codes, name: string): number | undefined {
  const wanted = name.toUpperCase().replace(/-/g, '_');
  const camelSplit = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  return codes[wanted] ?? codes[camelSplit];
}

function known(codes: Codes, code: number): boolean {
  return Object.values(codes).includes(code) && code !== 0;
}

/** "Type:name" with both parts present, as Kafka's SecurityUtils.parseKafkaPrincipal requires. */
function validPrincipal(principal: string): boolean {
  const colon = principal.indexOf(':');
  return colon > 0 && colon < principal.length - 1;
}

/** Why a binding cannot be created (CreateAcls answers INVALID_REQUEST), or undefined when it can. */
export function invalidBinding(b: AclBinding): string | undefined {
  if (!known(ResourceType, b.resourceType) || b.resourceType === ResourceType.ANY) return `Invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED)
    return `Invalid pattern type ${codeName(PatternType, b.patternType)}: an ACL is LITERAL or PREFIXED`;
  if (!known(AclOperation, b.operation) || b.operation === AclOperation.ANY) return `Invalid operation ${b.operation}`;
  if (b.permission !== AclPermission.ALLOW && b.permission !== AclPermission.DENY) return `Invalid permission type ${b.permission}`;
  if (b.resourceName === '') return 'Resource name should not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE)
    return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE}`;
  if (b.resourceType === ResourceType.CLUSTER && b.patternType !== PatternType.LITERAL) return 'The CLUSTER resource takes only a LITERAL pattern';
  if (!validPrincipal(b.principal)) return `Invalid principal ${JSON.stringify(b.principal)}: expected Type:name, e.g. User:alice`;
  if (b.host === '') return 'Host should not be empty (use * for any host)';
  return undefined;
}

/** Why a filter is unusable (an UNKNOWN code anywhere), or undefined. */
export function invalidFilter(f: AclBindingFilter): string | undefined {
  if (!known(ResourceType, f.resourceType)) return `Invalid resource type filter ${f.resourceType}`;
  if (!known(PatternType, f.patternType)) return `Invalid pattern type filter ${f.patternType}`;
  if (!known(AclOperation, f.operation)) return `Invalid operation filter ${f.operation}`;
  if (!known(AclPermission, f.permission)) return `Invalid permission type filter ${f.permission}`;
  return undefined;
}

function resourceMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName === null) return true;
    if (b.patternType === PatternType.PREFIXED) return f.resourceName.startsWith(b.resourceName);
    return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

/** Kafka's AclBindingFilter.matches: null strings and ANY codes match everything. */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return (
    resourceMatches(f, b) &&
    (f.principal === null || f.principal === b.principal) &&
    (f.host === null || f.host === b.host) &&
    (f.operation === AclOperation.ANY || f.operation === b.operation) &&
    (f.permission === AclPermission.ANY || f.permission === b.permission)
  );
}

/** One string per distinct binding (a binding created twice is kept once). */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permission]);
}

/** A binding in Kafka's words, for logs and the CLI. */
export function describeBinding(b: AclBinding): string {
  const pattern = codeName(PatternType, b.patternType);
  return `${codeName(AclPermission, b.permission)} ${b.principal} from host ${b.host} to ${codeName(AclOperation, b.operation)} ${codeName(ResourceType, b.resourceType)}:${pattern}:${b.resourceName}`;
}
