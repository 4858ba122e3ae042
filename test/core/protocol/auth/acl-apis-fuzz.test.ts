// CreateAcls, DescribeAcls and DeleteAcls given malformed and oversized input
// (fast-check): every request gets a clean answer (no throw, Kafka's error codes,
// a response that encodes at every served version), only valid ACLs are stored,
// and what DescribeAcls finds is what a filter matches.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { apis, auth, encodeMessage, ErrorCode, Writer, type AclPort, type RequestContext } from '../../../../core/protocol';

const ADMIN = 'User:admin';
let dir: string;
let acls: AclPort;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-acl-fuzz-'));
  acls = auth.fileAclPort(dir, { superUsers: [ADMIN], allowEveryoneIfNoAclFound: false });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function context(apiVersion: number, principal = ADMIN): RequestContext {
  return { acls, principal, clientHost: '127.0.0.1', apiVersion } as unknown as RequestContext;
}

const int8 = fc.integer({ min: -128, max: 127 });
const code = fc.oneof(int8, fc.integer({ min: 0, max: 12 }));
const text = fc.oneof(
  fc.constantFrom('', '*', 'User:*', 'orders', 'User:alice', 'kafka-cluster', 'alice'),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 5000, maxLength: 20000 }),
);
const nullableText = fc.option(text, { nil: null });
const creation = fc.record({
  resourceType: code,
  resourceName: text,
  resourcePatternType: code,
  principal: text,
  host: text,
  operation: code,
  permissionType: code,
});
const filter = fc.record({
  resourceTypeFilter: code,
  resourceNameFilter: nullableText,
  patternTypeFilter: code,
  principalFilter: nullableText,
  hostFilter: nullableText,
  operation: code,
  permissionType: code,
});
const version = fc.integer({ min: 0, max: 3 });

const CLEAN = new Set<number>([ErrorCode.NONE, ErrorCode.INVALID_REQUEST]);

describe('the ACL APIs under malformed input', () => {
  test('CreateAcls answers each creation NONE or INVALID_REQUEST, and stores only valid ACLs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(creation, { maxLength: 20 }), version, async (creations, v) => {
        const res = (await apis.createAcls.handle({ creations }, context(v)))!;
        expect(res.results).toHaveLength(creations.length);
        for (const r of res.results) expect(CLEAN.has(r.errorCode)).toBe(true);
        encodeMessage(apis.createAcls.response, v, res, new Writer());
        const all = acls.describeAcls({ resourceType: 1, resourceName: null, patternType: 1, principal: null, host: null, operation: 1, permission: 1 });
        for (const b of all) expect(auth.invalidBinding(b)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  test('DescribeAcls and DeleteAcls answer every filter cleanly; DescribeAcls finds exactly what the filter matches', async () => {
    const good = await apis.createAcls.handle(
      {
        creations: ['orders', 'ord', '*', 'payments'].map((resourceName, i) => ({
          resourceType: 2,
          resourceName,
          resourcePatternType: i === 1 ? 4 : 3,
          principal: 'User:alice',
          host: '*',
          operation: 3,
          permissionType: 3,
        })),
      },
      context(1),
    );
    expect(good!.results.every((r) => r.errorCode === 0)).toBe(true);
    await fc.assert(
      fc.asyncProperty(filter, version, async (f, v) => {
        const described = (await apis.describeAcls.handle(f, context(v)))!;
        expect(CLEAN.has(described.errorCode)).toBe(true);
        encodeMessage(apis.describeAcls.response, v, described, new Writer());
        if (described.errorCode === 0) {
          const wanted = {
            resourceType: f.resourceTypeFilter,
            resourceName: f.resourceNameFilter,
            patternType: f.patternTypeFilter,
            principal: f.principalFilter,
            host: f.hostFilter,
            operation: f.operation,
            permission: f.permissionType,
          };
          const found = described.resources.flatMap((r) => r.acls.map(() => r.resourceName)).sort();
          const all = acls.describeAcls({ resourceType: 1, resourceName: null, patternType: 1, principal: null, host: null, operation: 1, permission: 1 });
          expect(found).toEqual(
            all
              .filter((b) => auth.filterMatches(wanted, b))
              .map((b) => b.resourceName)
              .sort(),
          );
        }
        // Deleting through a filter that matches nothing real is as clean; a real deletion is tested through kafkajs.
        const deleted = (await apis.deleteAcls.handle({ filters: [{ ...f, principalFilter: 'User:nobody' }] }, context(v)))!;
        expect(CLEAN.has(deleted.filterResults[0].errorCode)).toBe(true);
        expect(deleted.filterResults[0].matchingAcls).toEqual([]);
        encodeMessage(apis.deleteAcls.response, v, deleted, new Writer());
      }),
      { numRuns: 300 },
    );
  });

  test('a principal without rights on the cluster is refused before anything is looked at', async () => {
    const ctx = context(1, 'User:mallory');
    const created = await apis.createAcls.handle(
      { creations: [{ resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: 'User:mallory', host: '*', operation: 2, permissionType: 3 }] },
      ctx,
    );
    expect(created!.results[0].errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const described = await apis.describeAcls.handle(
      { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 },
      ctx,
    );
    expect(described!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(acls.describeAcls({ resourceType: 1, resourceName: null, patternType: 1, principal: null, host: null, operation: 1, permission: 1 })).toEqual([]);
  });

  test('without an authorizer the ACL APIs answer SECURITY_DISABLED', async () => {
    const ctx = { principal: ADMIN, clientHost: '127.0.0.1', apiVersion: 1 } as unknown as RequestContext;
    const described = await apis.describeAcls.handle(
      { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 },
      ctx,
    );
    expect(described!.errorCode).toBe(ErrorCode.SECURITY_DISABLED);
  });
});

describe("the single node's ACL file", () => {
  test('a damaged file is refused at start, naming the line', () => {
    fs.writeFileSync(path.join(dir, auth.ACLS_FILE), '0\n2\n{"resourceType":2}\nnot json\n');
    expect(() => auth.fileAclPort(dir, { superUsers: [], allowEveryoneIfNoAclFound: false })).toThrow(/line 3: not an ACL/);
    fs.writeFileSync(path.join(dir, auth.ACLS_FILE), '0\n1\nnot json\n');
    expect(() => auth.fileAclPort(dir, { superUsers: [], allowEveryoneIfNoAclFound: false })).toThrow(/line 3 is not JSON/);
  });
});
