// The authorizer: Kafka's StandardAuthorizer semantics over an index of the
// ACLs, so one decision costs a few map lookups whatever the number of ACLs:
// - ACLs are kept per resource type, literal ones by name and prefixed ones by
//   prefix, with the set of prefix lengths in use: a name is checked against
//   its own entry, the '*' entry and one prefix per length in use;
// - super users pass without a look;
// - a matching DENY wins over any ALLOW; ALL matches every operation; READ,
//   WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS;
// - a principal matches itself and 'User:*', a host itself and '*';
// - a resource without any ACL is allowed only with allow.everyone.if.no.acl.found.
import type { AclBinding, AclBindingFilter } from '../ports';
import { AclOperation, AclPermission, PatternType, WILDCARD, WILDCARD_PRINCIPAL, bindingKey, filterMatches } from './acl';

export interface AuthorizerConfig {
  /** Principals allowed everything (super.users). */
  readonly superUsers: readonly string[];
  /** allow.everyone.if.no.acl.found (Kafka's default: false). */
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** Operations an ALLOW of another operation also grants. */
const IMPLIED_BY: ReadonlyMap<number, readonly number[]> = new Map([
  [AclOperation.DESCRIBE, [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]],
  [AclOperation.DESCRIBE_CONFIGS, [AclOperation.ALTER_CONFIGS]],
]);

function grants(aclOperation: number, wanted: number): boolean {
  return aclOperation === AclOperation.ALL || aclOperation === wanted || (IMPLIED_BY.get(wanted)?.includes(aclOperation) ?? false);
}

/** What the ACLs of a resource say, weakest first: none at all; some, none granting; one granting; a DENY (final). */
const NO_ACL = 0;
const NOT_GRANTED = 1;
const ALLOWED = 2;
const DENIED = 3;

function verdictOf(acls: readonly AclBinding[] | undefined, principal: string, host: string, operation: number): number {
  if (acls === undefined) return NO_ACL;
  let verdict = NOT_GRANTED;
  for (const acl of acls) {
    if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
    if (acl.host !== host && acl.host !== WILDCARD) continue;
    if (acl.permission === AclPermission.DENY) {
      if (acl.operation === AclOperation.ALL || acl.operation === operation) return DENIED;
    } else if (grants(acl.operation, operation)) verdict = ALLOWED;
  }
  return verdict;
}

/** The ACLs of one resource type. */
class TypeIndex {
  readonly literal = new Map<string, AclBinding[]>();
  readonly prefixed = new Map<string, AclBinding[]>();
  /** Lengths of the prefixes in `prefixed`, with how many prefixes have each. */
  private readonly prefixLengths = new Map<number, number>();
  lengths: number[] = [];

  add(b: AclBinding): void {
    const byName = b.patternType === PatternType.PREFIXED ? this.prefixed : this.literal;
    const list = byName.get(b.resourceName);
    if (list) list.push(b);
    else {
      byName.set(b.resourceName, [b]);
      if (byName === this.prefixed) this.countLength(b.resourceName.length, 1);
    }
  }

  remove(b: AclBinding): void {
    const byName = b.patternType === PatternType.PREFIXED ? this.prefixed : this.literal;
    const list = byName.get(b.resourceName);
    if (!list) return;
    const key = bindingKey(b);
    const kept = list.filter((x) => bindingKey(x) !== key);
    if (kept.length > 0) byName.set(b.resourceName, kept);
    else {
      byName.delete(b.resourceName);
      if (byName === this.prefixed) this.countLength(b.resourceName.length, -1);
    }
  }

  private countLength(length: number, delta: number): void {
    const n = (this.prefixLengths.get(length) ?? 0) + delta;
    if (n > 0) this.prefixLengths.set(length, n);
    else this.prefixLengths.delete(length);
    this.lengths = [...this.prefixLengths.keys()].sort((a, b) => a - b);
  }
}

export class Authorizer {
  private readonly superUsers: ReadonlySet<string>;
  private readonly types = new Map<number, TypeIndex>();
  private readonly all = new Map<string, AclBinding>();

  constructor(
    private readonly config: AuthorizerConfig,
    bindings: Iterable<AclBinding> = [],
  ) {
    this.superUsers = new Set(config.superUsers);
    this.update(bindings, []);
  }

  /** Every ACL, each once. */
  bindings(): AclBinding[] {
    return [...this.all.values()];
  }

  has(b: AclBinding): boolean {
    return this.all.has(bindingKey(b));
  }

  /** The ACLs a filter matches. Scans them all: an admin request, not a per-request check. */
  matching(filter: AclBindingFilter): AclBinding[] {
    return this.bindings().filter((b) => filterMatches(filter, b));
  }

  /** Adds and removes ACLs (an added one already there is kept once). */
  update(added: Iterable<AclBinding>, removed: Iterable<AclBinding>): void {
    for (const b of removed) {
      const key = bindingKey(b);
      if (!this.all.delete(key)) continue;
      this.types.get(b.resourceType)?.remove(b);
    }
    for (const b of added) {
      const key = bindingKey(b);
      if (this.all.has(key)) continue;
      this.all.set(key, b);
      let index = this.types.get(b.resourceType);
      if (!index) this.types.set(b.resourceType, (index = new TypeIndex()));
      index.add(b);
    }
  }

  authorize(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    if (this.superUsers.has(principal)) return true;
    const index = this.types.get(resourceType);
    if (!index) return this.config.allowEveryoneIfNoAclFound;
    // Each list is the ACLs of one pattern covering the name: its literal, '*', and one prefix per length in use.
    let verdict = verdictOf(index.literal.get(resourceName), principal, host, operation);
    if (resourceName !== WILDCARD) verdict = Math.max(verdict, verdictOf(index.literal.get(WILDCARD), principal, host, operation));
    for (const length of index.lengths) {
      if (verdict === DENIED || length > resourceName.length) break;
      verdict = Math.max(verdict, verdictOf(index.prefixed.get(resourceName.slice(0, length)), principal, host, operation));
    }
    if (verdict === ALLOWED) return true;
    return verdict === NO_ACL && this.config.allowEveryoneIfNoAclFound;
  }

  /**
   * Whether the principal may perform the operation on some resource of the type
   * (Kafka's authorizeByResourceType, which lets an idempotent producer that may
   * WRITE any topic have a producer id): an ALLOW that no DENY covers, and no
   * DENY of every resource ('*'). Scans the type's ACLs: rare requests only.
   */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (this.superUsers.has(principal)) return true;
    const index = this.types.get(resourceType);
    if (!index) return this.config.allowEveryoneIfNoAclFound;
    const applying = [...index.literal.values(), ...index.prefixed.values()]
      .flat()
      .filter((a) => (a.principal === principal || a.principal === WILDCARD_PRINCIPAL) && (a.host === host || a.host === WILDCARD));
    const denies = applying.filter((a) => a.permission === AclPermission.DENY && (a.operation === AclOperation.ALL || a.operation === operation));
    const covers = (deny: AclBinding, allow: AclBinding): boolean =>
      deny.patternType === PatternType.PREFIXED
        ? allow.resourceName.startsWith(deny.resourceName)
        : deny.resourceName === WILDCARD || (allow.patternType === PatternType.LITERAL && deny.resourceName === allow.resourceName);
    return applying.some((a) => a.permission === AclPermission.ALLOW && grants(a.operation, operation) && !denies.some((d) => covers(d, a)));
  }
}
