import { MAX_PLAIN_MESSAGE_BYTES, parsePlain } from '../../../../core/protocol/sasl';
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
