// Whatever bytes a client sends, each SASL step answers with a value (a
// challenge or a clean refusal), never an exception.
import fc from 'fast-check';
import { MAX_SCRAM_MESSAGE_BYTES, PlainServer, parsePlain, SCRAM_SHA_256, SCRAM_SHA_512, ScramServer, scramCredential } from '../../../../core/protocol/sasl';
import { ErrorCode } from '../../../../core/wire';

const credentials = [scramCredential(SCRAM_SHA_256, 'pw', 4096), scramCredential(SCRAM_SHA_512, 'pw', 4096)];
const FAILED = new Set<number>([ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.ILLEGAL_SASL_STATE]);

/** Bytes that look like SCRAM messages (attributes, commas, escapes, NULs) and plain noise. */
const scramish = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('n', 'y', 'p=x', 'a=', 'n=', 'r=', 'c=', 'p=', 'c=biws', '=2C', '=3D', '=', ',', '\0', 'm=1', 'A==', '\u00e9'),
        fc.string({ maxLength: 8 }),
      ),
      {
        maxLength: 20,
      },
    )
    .map((parts) => Buffer.from(parts.join(''), 'utf8')),
);

test('the SCRAM server answers any two client messages with a step, never a throw', () => {
  fc.assert(
    fc.property(fc.constantFrom(...credentials), scramish, scramish, (credential, first, second) => {
      const server = new ScramServer(credential.mechanism, { lookup: () => credential });
      for (const message of [first, second]) {
        const step = server.step(message);
        if (step.kind === 'failed') expect(FAILED.has(step.errorCode)).toBe(true);
        else expect(step.kind).toBe('challenge');
      }
    }),
    { numRuns: 500 },
  );
});

test('a valid client-first followed by noise fails cleanly', () => {
  fc.assert(
    fc.property(scramish, (final) => {
      const server = new ScramServer(SCRAM_SHA_256, { lookup: () => credentials[0] });
      expect(server.step(Buffer.from('n,,n=user,r=abc')).kind).toBe('challenge');
      expect(server.step(final)).toMatchObject({ kind: 'failed', errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED });
    }),
    { numRuns: 300 },
  );
});

test('oversized SCRAM messages are refused by size, at either step', () => {
  const big = Buffer.alloc(MAX_SCRAM_MESSAGE_BYTES + 1, 0x61);
  const reason = `message of ${big.length} bytes exceeds ${MAX_SCRAM_MESSAGE_BYTES}`;
  expect(new ScramServer(SCRAM_SHA_256, { lookup: () => undefined }).step(big)).toMatchObject({ kind: 'failed', message: `SCRAM-SHA-256: ${reason}` });
  const server = new ScramServer(SCRAM_SHA_256, { lookup: () => undefined });
  server.step(Buffer.from('n,,n=user,r=abc'));
  expect(server.step(big)).toMatchObject({ kind: 'failed', message: `SCRAM-SHA-256: ${reason}` });
});

test('PLAIN answers any bytes with credentials or a clean refusal', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.constantFrom('\0', 'a', '\u00e9'), { maxLength: 40 }).map((p) => Buffer.from(p.join(''))),
      ),
      (bytes) => {
        const parsed = parsePlain(bytes);
        if (parsed.ok) expect(parsed.credentials.authcid.length).toBeGreaterThan(0);
        else expect(parsed.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
        // The exchange over it: no user, so every message fails, cleanly.
        expect(new PlainServer(() => undefined).step(bytes)).toMatchObject({ kind: 'failed', errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED });
      },
    ),
    { numRuns: 500 },
  );
});
