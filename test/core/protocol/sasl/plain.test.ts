import {
  credentialStorePort,
  MAX_PLAIN_MESSAGE_BYTES,
  PLAIN,
  PlainServer,
  parsePlain,
  passwordMatches,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  scramCredential,
  startSaslExchange,
} from '../../../../core/protocol/sasl';
import { ErrorCode } from '../../../../core/wire';

const parse = (text: string) => parsePlain(Buffer.from(text, 'utf8'));

describe('PLAIN (RFC 4616) initial response', () => {
  test('authzid NUL authcid NUL password, with or without an authzid', () => {
    expect(parse('\0alice\0pässword')).toEqual({ ok: true, credentials: { authzid: '', authcid: 'alice', password: 'pässword' } });
    expect(parse('admin\0alice\0pw')).toEqual({ ok: true, credentials: { authzid: 'admin', authcid: 'alice', password: 'pw' } });
  });

  test.each([
    ['too few fields', 'alice\0pw', 'got 2 field(s)'],
    ['too many fields', '\0alice\0pw\0x', 'got 4 field(s)'],
    ['an empty user', '\0\0pw', 'empty authentication identity'],
    ['an empty password', '\0alice\0', 'empty password'],
    ['nothing', '', 'got 1 field(s)'],
  ])('%s is refused', (_, message, reason) => {
    const parsed = parse(message);
    expect(parsed).toMatchObject({ ok: false, kind: 'failed', errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED });
    expect(!parsed.ok && parsed.message).toContain(reason);
  });

  test('invalid UTF-8 and oversized messages are refused before splitting', () => {
    expect(parsePlain(Buffer.from([0, 0x61, 0, 0xff]))).toMatchObject({ ok: false, message: 'PLAIN: message is not valid UTF-8' });
    const big = Buffer.alloc(MAX_PLAIN_MESSAGE_BYTES + 1, 0x61);
    expect(parsePlain(big)).toMatchObject({ ok: false, message: `PLAIN: message of ${big.length} bytes exceeds ${MAX_PLAIN_MESSAGE_BYTES}` });
    expect(parsePlain(Buffer.concat([Buffer.from('\0u\0'), Buffer.alloc(MAX_PLAIN_MESSAGE_BYTES - 3, 0x61)])).ok).toBe(true);
  });
});

describe('PLAIN exchange against SCRAM credentials', () => {
  const alice = scramCredential(SCRAM_SHA_512, 'alice-pw', 4096);
  const server = () => new PlainServer((user) => (user === 'alice' ? alice : undefined));

  test('the password the credential was made from authenticates, once', () => {
    const plain = server();
    expect(plain.step(Buffer.from('\0alice\0alice-pw'))).toEqual({ kind: 'done', principal: 'alice', response: Buffer.alloc(0) });
    expect(plain.ended).toBe(true);
    expect(plain.step(Buffer.from('\0alice\0alice-pw'))).toMatchObject({ kind: 'failed', errorCode: ErrorCode.ILLEGAL_SASL_STATE });
    expect(server().step(Buffer.from('alice\0alice\0alice-pw')).kind).toBe('done');
  });

  test.each([
    ['a wrong password', '\0alice\0alice-pW', 'PLAIN: authentication failed for "alice"'],
    ['an unknown user', '\0bob\0alice-pw', 'PLAIN: authentication failed for "bob"'],
    ['another authzid', 'admin\0alice\0alice-pw', 'PLAIN: authorization id "admin" differs from the user name'],
    ['a malformed message', 'alice-pw', 'PLAIN: expected authzid NUL authcid NUL password, got 1 field(s)'],
  ])('%s fails', (_, message, reason) => {
    expect(server().step(Buffer.from(message))).toEqual({ kind: 'failed', errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, message: reason });
  });

  test('passwordMatches checks a password against any SCRAM credential', () => {
    const sha256 = scramCredential(SCRAM_SHA_256, 'pw', 4096);
    expect(passwordMatches(sha256, 'pw')).toBe(true);
    expect(passwordMatches(sha256, 'pw ')).toBe(false);
  });

  test('startSaslExchange serves PLAIN only where the listener enables it', () => {
    const store = new Map([['alice', [alice]]]);
    const port = (mechanisms: string[]) =>
      credentialStorePort(
        {
          get: (u, m) => store.get(u)?.find((c) => c.mechanism === m),
          list: () => store,
          upsert: async () => undefined,
          delete: async () => false,
          apply: async () => undefined,
        },
        mechanisms,
      );
    expect(startSaslExchange(PLAIN, port(['SCRAM-SHA-256']))).toBeUndefined();
    expect(startSaslExchange(PLAIN, port([PLAIN]))!.step(Buffer.from('\0alice\0alice-pw'))).toMatchObject({ kind: 'done', principal: 'alice' });
  });
});
