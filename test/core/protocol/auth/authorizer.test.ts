// The authorizer against Kafka's StandardAuthorizer rules, case by case: DENY
// wins, ALL, implied DESCRIBE and DESCRIBE_CONFIGS, literal, wildcard and
// prefixed resources, principal and host wildcards, super users, the no-ACL rule.
import fc from 'fast-check';
import { auth, type AclBinding } from '../../../../core/protocol';

const { AclOperation: Op, AclPermission: Perm, PatternType: Pat, ResourceType: Res, Authorizer } = auth;

function acl(over: Partial<AclBinding> = {}): AclBinding {
  return {
    resourceType: Res.TOPIC,
    resourceName: 'orders',
    patternType: Pat.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: Op.READ,
    permission: Perm.ALLOW,
    ...over,
  };
}

const ALICE = 'User:alice';
const HOST = '10.0.0.1';

function may(acls: AclBinding[], operation: number, name = 'orders', options: { principal?: string; host?: string; allowEveryone?: boolean } = {}): boolean {
  const a = new Authorizer({ superUsers: ['User:admin'], allowEveryoneIfNoAclFound: options.allowEveryone ?? false }, acls);
  return a.authorize(options.principal ?? ALICE, options.host ?? HOST, operation, Res.TOPIC, name);
}

describe('the authorizer (Kafka semantics)', () => {
  test.each([
    ['an ALLOW of the operation', [acl()], Op.READ, true],
    ['no ACL at all (allow.everyone.if.no.acl.found=false)', [], Op.READ, false],
    ['ACLs of another principal only: the resource has ACLs, alice none', [acl({ principal: 'User:bob' })], Op.READ, false],
    ['an ALLOW of another operation', [acl({ operation: Op.WRITE })], Op.READ, false],
    ['DENY wins over ALLOW', [acl(), acl({ permission: Perm.DENY })], Op.READ, false],
    ['DENY of ALL wins over ALLOW of READ', [acl(), acl({ permission: Perm.DENY, operation: Op.ALL })], Op.READ, false],
    ['a DENY of WRITE leaves READ allowed', [acl(), acl({ permission: Perm.DENY, operation: Op.WRITE })], Op.READ, true],
    ['ALLOW ALL grants any operation', [acl({ operation: Op.ALL })], Op.DELETE, true],
    ['READ implies DESCRIBE', [acl({ operation: Op.READ })], Op.DESCRIBE, true],
    ['WRITE implies DESCRIBE', [acl({ operation: Op.WRITE })], Op.DESCRIBE, true],
    ['DELETE implies DESCRIBE', [acl({ operation: Op.DELETE })], Op.DESCRIBE, true],
    ['ALTER implies DESCRIBE', [acl({ operation: Op.ALTER })], Op.DESCRIBE, true],
    ['CREATE does not imply DESCRIBE', [acl({ operation: Op.CREATE })], Op.DESCRIBE, false],
    ['DESCRIBE does not imply READ', [acl({ operation: Op.DESCRIBE })], Op.READ, false],
    ['ALTER_CONFIGS implies DESCRIBE_CONFIGS', [acl({ operation: Op.ALTER_CONFIGS })], Op.DESCRIBE_CONFIGS, true],
    ['a DENY of READ does not deny DESCRIBE', [acl({ operation: Op.ALL }), acl({ permission: Perm.DENY })], Op.DESCRIBE, true],
    ['the literal wildcard resource *', [acl({ resourceName: '*' })], Op.READ, true],
    ['a DENY on * wins over an ALLOW on the name', [acl(), acl({ resourceName: '*', permission: Perm.DENY })], Op.READ, false],
    ['a prefixed ACL covering the name', [acl({ resourceName: 'ord', patternType: Pat.PREFIXED })], Op.READ, true],
    ['a prefixed ACL equal to the name', [acl({ resourceName: 'orders', patternType: Pat.PREFIXED })], Op.READ, true],
    ['a prefixed ACL longer than the name', [acl({ resourceName: 'orders-x', patternType: Pat.PREFIXED })], Op.READ, false],
    ['a prefixed DENY wins over a literal ALLOW', [acl(), acl({ resourceName: 'or', patternType: Pat.PREFIXED, permission: Perm.DENY })], Op.READ, false],
    ['a literal ACL on a prefix of the name does not match', [acl({ resourceName: 'ord' })], Op.READ, false],
    ['a prefixed * is no wildcard', [acl({ resourceName: '*', patternType: Pat.PREFIXED })], Op.READ, false],
    ['the principal wildcard User:*', [acl({ principal: 'User:*' })], Op.READ, true],
    ['a DENY of User:* applies to alice', [acl(), acl({ principal: 'User:*', permission: Perm.DENY })], Op.READ, false],
    ['an ALLOW from the client host', [acl({ host: HOST })], Op.READ, true],
    ['an ALLOW from another host', [acl({ host: '10.0.0.2' })], Op.READ, false],
    ['a DENY from another host does not apply', [acl(), acl({ host: '10.0.0.2', permission: Perm.DENY })], Op.READ, true],
  ])('%s', (_what, acls, operation, expected) => {
    expect(may(acls, operation)).toBe(expected);
  });

  test('allow.everyone.if.no.acl.found allows a resource without ACLs, not one with ACLs for others', () => {
    expect(may([], Op.READ, 'orders', { allowEveryone: true })).toBe(true);
    expect(may([acl({ resourceName: 'payments' })], Op.READ, 'orders', { allowEveryone: true })).toBe(true);
    expect(may([acl({ principal: 'User:bob' })], Op.READ, 'orders', { allowEveryone: true })).toBe(false);
  });

  test('super users pass even a DENY', () => {
    expect(may([acl({ principal: 'User:*', permission: Perm.DENY, operation: Op.ALL })], Op.READ, 'orders', { principal: 'User:admin' })).toBe(true);
  });

  test('ACLs of another resource type do not apply', () => {
    const a = new Authorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [acl({ resourceType: Res.GROUP })]);
    expect(a.authorize(ALICE, HOST, Op.READ, Res.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(ALICE, HOST, Op.READ, Res.GROUP, 'orders')).toBe(true);
  });

  test('removing ACLs undoes them, prefix lengths included; a binding added twice is kept once', () => {
    const prefixed = acl({ resourceName: 'ord', patternType: Pat.PREFIXED });
    const a = new Authorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, [prefixed, prefixed]);
    expect(a.bindings()).toHaveLength(1);
    expect(a.authorize(ALICE, HOST, Op.READ, Res.TOPIC, 'orders')).toBe(true);
    a.update([], [prefixed]);
    expect(a.bindings()).toHaveLength(0);
    expect(a.authorize(ALICE, HOST, Op.READ, Res.TOPIC, 'orders')).toBe(false);
  });

  test('by resource type (an idempotent producer): an ALLOW of WRITE on some topic, unless a DENY covers it', () => {
    const byType = (acls: AclBinding[]) =>
      new Authorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, acls).authorizeByResourceType(ALICE, HOST, Op.WRITE, Res.TOPIC);
    expect(byType([acl({ operation: Op.WRITE })])).toBe(true);
    expect(byType([acl({ operation: Op.READ })])).toBe(false);
    expect(byType([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permission: Perm.DENY })])).toBe(false);
    expect(byType([acl({ operation: Op.WRITE }), acl({ resourceName: 'o', patternType: Pat.PREFIXED, operation: Op.ALL, permission: Perm.DENY })])).toBe(false);
    expect(byType([acl({ operation: Op.WRITE }), acl({ resourceName: 'payments', operation: Op.WRITE, permission: Perm.DENY })])).toBe(true);
  });

  test('the index answers as a scan of every ACL would (random ACL sets and names)', () => {
    const names = fc.constantFrom('a', 'ab', 'abc', 'b', '*', 'abd');
    const binding = fc.record({
      resourceType: fc.constantFrom(Res.TOPIC, Res.GROUP),
      resourceName: names,
      patternType: fc.constantFrom(Pat.LITERAL, Pat.PREFIXED),
      principal: fc.constantFrom(ALICE, 'User:bob', 'User:*'),
      host: fc.constantFrom('*', HOST, '10.0.0.2'),
      operation: fc.constantFrom(Op.ALL, Op.READ, Op.WRITE, Op.DESCRIBE),
      permission: fc.constantFrom(Perm.ALLOW, Perm.DENY),
    });
    // Kafka's rules, written as a plain scan.
    const scan = (acls: AclBinding[], op: number, type: number, name: string): boolean => {
      const onResource = acls.filter(
        (b) =>
          b.resourceType === type && (b.patternType === Pat.PREFIXED ? name.startsWith(b.resourceName) : b.resourceName === name || b.resourceName === '*'),
      );
      const mine = onResource.filter((b) => (b.principal === ALICE || b.principal === 'User:*') && (b.host === '*' || b.host === HOST));
      if (mine.some((b) => b.permission === Perm.DENY && (b.operation === Op.ALL || b.operation === op))) return false;
      const implied: number[] = op === Op.DESCRIBE ? [Op.READ, Op.WRITE] : [];
      return mine.some((b) => b.permission === Perm.ALLOW && (b.operation === Op.ALL || b.operation === op || implied.includes(b.operation)));
    };
    fc.assert(
      fc.property(
        fc.array(binding, { maxLength: 12 }),
        fc.constantFrom(Op.READ, Op.WRITE, Op.DESCRIBE),
        fc.constantFrom(Res.TOPIC, Res.GROUP),
        names,
        (acls, op, type, name) => {
          const a = new Authorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, acls);
          expect(a.authorize(ALICE, HOST, op, type, name)).toBe(scan(acls, op, type, name));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('ACL checks (CreateAcls, DescribeAcls and DeleteAcls)', () => {
  test.each([
    ['ANY resource type', { resourceType: Res.ANY }],
    ['an unknown resource type', { resourceType: 99 }],
    ['a MATCH pattern', { patternType: Pat.MATCH }],
    ['an ANY operation', { operation: Op.ANY }],
    ['an UNKNOWN permission', { permission: Perm.UNKNOWN }],
    ['an empty resource name', { resourceName: '' }],
    ['a cluster not named kafka-cluster', { resourceType: Res.CLUSTER, resourceName: 'c' }],
    ['a principal without a type', { principal: 'alice' }],
    ['an empty host', { host: '' }],
  ])('a binding with %s is invalid', (_what, over) => {
    expect(auth.invalidBinding(acl(over))).toEqual(expect.any(String));
  });

  test('a good binding is valid', () => {
    expect(auth.invalidBinding(acl())).toBeUndefined();
    expect(auth.invalidBinding(acl({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', operation: Op.ALTER }))).toBeUndefined();
  });

  test('filters: ANY and null match all, MATCH finds the literal, the wildcard and covering prefixes', () => {
    const all = { resourceType: Res.ANY, resourceName: null, patternType: Pat.ANY, principal: null, host: null, operation: Op.ANY, permission: Perm.ANY };
    const bindings = [acl(), acl({ resourceName: '*' }), acl({ resourceName: 'ord', patternType: Pat.PREFIXED }), acl({ resourceName: 'payments' })];
    expect(bindings.filter((b) => auth.filterMatches(all, b))).toHaveLength(4);
    const match = { ...all, resourceType: Res.TOPIC as number, resourceName: 'orders', patternType: Pat.MATCH as number };
    expect(bindings.filter((b) => auth.filterMatches(match, b)).map((b) => b.resourceName)).toEqual(['orders', '*', 'ord']);
    const literal = { ...all, resourceName: 'orders', patternType: Pat.LITERAL };
    expect(bindings.filter((b) => auth.filterMatches(literal, b))).toEqual([acl()]);
    expect(auth.invalidFilter({ ...all, operation: Op.UNKNOWN })).toEqual(expect.any(String));
    expect(auth.invalidFilter(all)).toBeUndefined();
  });
});
