// The SASL and SCRAM API handlers over a SecurityPort (the single node's file
// store): handshake, a whole SCRAM exchange in SaslAuthenticate responses, and
// Kafka's answers to DescribeUserScramCredentials and AlterUserScramCredentials.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pbkdf2Sync } from 'node:crypto';
import type { RequestContext, SecurityPort } from '../../../../core/protocol';
import {
  alterUserScramCredentials,
  answerSaslAuthenticate,
  describeUserScramCredentials,
  saslAuthenticate,
  saslHandshake,
} from '../../../../core/protocol/apis/public';
import { credentialStorePort, FileCredentialStore, SCRAM_SHA_256, SCRAM_SHA_512, scramCredential, startSaslExchange } from '../../../../core/protocol/sasl';
import { ErrorCode } from '../../../../core/wire';
import { scramAuthenticates } from './scram-client';

let dir: string;
let security: SecurityPort;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-sasl-apis-'));
  const store = new FileCredentialStore(dir);
  await store.upsert('alice', scramCredential(SCRAM_SHA_256, 'alice-pw', 4096));
  await store.upsert('alice', scramCredential(SCRAM_SHA_512, 'alice-pw', 8192));
  security = credentialStorePort(store);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The handlers read only ctx.security. */
const ctx = () => ({ security }) as unknown as RequestContext;
const noSecurity = { security: undefined } as unknown as RequestContext;

describe('SaslHandshake', () => {
  test('on a listener without SASL: ILLEGAL_SASL_STATE and no mechanisms, as Kafka answers (SASL listeners answer in their SaslSession)', async () => {
    expect(await saslHandshake.handle({ mechanism: 'SCRAM-SHA-512' }, ctx())).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
    expect(await saslHandshake.handle({ mechanism: 'SCRAM-SHA-256' }, noSecurity)).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
  });
});

describe('SaslAuthenticate', () => {
  test('without an exchange on the connection: ILLEGAL_SASL_STATE', async () => {
    expect(await saslAuthenticate.handle({ authBytes: Buffer.from('n,,n=alice,r=x') }, ctx())).toMatchObject({ errorCode: ErrorCode.ILLEGAL_SASL_STATE });
  });

  test('a SCRAM exchange answered step by step, then the principal', () => {
    expect(startSaslExchange('PLAIN', security)).toBeUndefined();
    const exchange = startSaslExchange('SCRAM-SHA-512', security)!;
    const first = answerSaslAuthenticate(exchange, { authBytes: Buffer.from('n,,n=alice,r=abc') });
    expect(first.principal).toBeUndefined();
    expect(first.response).toMatchObject({ errorCode: 0, errorMessage: null, sessionLifetimeMs: 0 });
    expect(first.response.authBytes.toString()).toMatch(/^r=abc[^,]+,s=[^,]+,i=8192$/);
    const bad = answerSaslAuthenticate(exchange, { authBytes: Buffer.from('c=biws,r=abc,p=AAAA') });
    expect(bad.response).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, authBytes: Buffer.alloc(0) });
  });

  test('the exchange of an enabled mechanism authenticates a stored password', () => {
    expect(scramAuthenticates(startSaslExchange('SCRAM-SHA-256', security)!, SCRAM_SHA_256, 'alice', 'alice-pw')).toBe(true);
    expect(scramAuthenticates(startSaslExchange('SCRAM-SHA-256', security)!, SCRAM_SHA_256, 'alice', 'wrong')).toBe(false);
    const only256 = credentialStorePort(new FileCredentialStore(dir), ['SCRAM-SHA-256']);
    expect(startSaslExchange('SCRAM-SHA-512', only256)).toBeUndefined();
  });
});

describe('DescribeUserScramCredentials', () => {
  test('every user (null or empty), named users, unknown and duplicate users', async () => {
    const all = {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      results: [
        {
          user: 'alice',
          errorCode: 0,
          errorMessage: null,
          credentialInfos: [
            { mechanism: 1, iterations: 4096 },
            { mechanism: 2, iterations: 8192 },
          ],
        },
      ],
    };
    expect(await describeUserScramCredentials.handle({ users: null }, ctx())).toEqual(all);
    expect(await describeUserScramCredentials.handle({ users: [] }, ctx())).toEqual(all);
    const named = await describeUserScramCredentials.handle({ users: [{ name: 'bob' }, { name: 'alice' }, { name: 'bob' }] }, ctx());
    expect(named!.results.map((r) => [r.user, r.errorCode, r.errorMessage])).toEqual([
      ['bob', ErrorCode.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: bob'],
      ['alice', 0, null],
    ]);
    const unknown = await describeUserScramCredentials.handle({ users: [{ name: 'carol' }] }, ctx());
    expect(unknown!.results).toEqual([
      {
        user: 'carol',
        errorCode: ErrorCode.RESOURCE_NOT_FOUND,
        errorMessage: 'Attempt to describe a user credential that does not exist: carol',
        credentialInfos: [],
      },
    ]);
    expect(await describeUserScramCredentials.handle({ users: null }, noSecurity)).toMatchObject({ errorCode: ErrorCode.SECURITY_DISABLED, results: [] });
  });
});

describe('AlterUserScramCredentials', () => {
  const salt = Buffer.from('bob-salt');
  const salted = (password: string, iterations = 4096) => pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const upsert = (name: string, extra: Partial<{ mechanism: number; iterations: number; saltedPassword: Buffer; salt: Buffer }> = {}) => ({
    name,
    mechanism: 1,
    iterations: 4096,
    salt,
    saltedPassword: salted('bob-pw'),
    ...extra,
  });

  test("an upsertion from the client's SaltedPassword authenticates that password; a deletion removes", async () => {
    const r = await alterUserScramCredentials.handle({ deletions: [{ name: 'alice', mechanism: 2 }], upsertions: [upsert('bob')] }, ctx());
    expect(r).toEqual({
      throttleTimeMs: 0,
      results: [
        { user: 'alice', errorCode: 0, errorMessage: null },
        { user: 'bob', errorCode: 0, errorMessage: null },
      ],
    });
    const reopened = credentialStorePort(new FileCredentialStore(dir));
    expect(scramAuthenticates(startSaslExchange('SCRAM-SHA-256', reopened)!, SCRAM_SHA_256, 'bob', 'bob-pw')).toBe(true);
    expect(reopened.scramCredential('alice', 2)).toBeUndefined();
    expect(reopened.scramCredential('alice', 1)).toBeDefined();
  });

  test.each([
    [
      'an unknown mechanism',
      { deletions: [], upsertions: [upsert('bob', { mechanism: 3 })] },
      ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      'Unknown SCRAM mechanism 3',
    ],
    ['too few iterations', { deletions: [], upsertions: [upsert('bob', { iterations: 100 })] }, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'got 100'],
    ['an empty salt', { deletions: [], upsertions: [upsert('bob', { salt: Buffer.alloc(0) })] }, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'salt must not be empty'],
    [
      'a short salted password',
      { deletions: [], upsertions: [upsert('bob', { saltedPassword: Buffer.alloc(5) })] },
      ErrorCode.UNACCEPTABLE_CREDENTIAL,
      'has 32 bytes, got 5',
    ],
    ['an empty user name', { deletions: [], upsertions: [upsert('')] }, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
    ['a missing credential to delete', { deletions: [{ name: 'bob', mechanism: 1 }], upsertions: [] }, ErrorCode.RESOURCE_NOT_FOUND, 'does not exist: bob'],
    [
      'the same credential twice',
      { deletions: [{ name: 'bob', mechanism: 1 }], upsertions: [upsert('bob')] },
      ErrorCode.DUPLICATE_RESOURCE,
      'cannot be altered twice in the same request: bob',
    ],
  ])('%s is refused, and nothing of that user changes', async (_, req, errorCode, message) => {
    const r = await alterUserScramCredentials.handle({ ...req, upsertions: [...req.upsertions, upsert('carol', { mechanism: 1 })] }, ctx());
    const user = [...req.deletions, ...req.upsertions][0].name;
    expect(r!.results.find((x) => x.user === user)).toMatchObject({ errorCode });
    expect(r!.results.find((x) => x.user === user)!.errorMessage).toContain(message);
    // The other user of the request is applied.
    expect(r!.results.find((x) => x.user === 'carol')).toEqual({ user: 'carol', errorCode: 0, errorMessage: null });
    expect(security.scramCredential('bob', 1)).toBeUndefined();
    expect(security.scramCredential('carol', 1)).toBeDefined();
  });

  test('without security: SECURITY_DISABLED per user', async () => {
    expect(await alterUserScramCredentials.handle({ deletions: [], upsertions: [upsert('bob')] }, noSecurity)).toEqual({
      throttleTimeMs: 0,
      results: [{ user: 'bob', errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'this listener has no SCRAM credentials' }],
    });
  });
});
