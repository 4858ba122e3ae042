// The SCRAM server against the RFCs' test vectors, kafkajs' own SCRAM client
// (driven directly, without its network) and the refusals of each step.
import {
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  type SaslStep,
  type ScramCredential,
  type ScramMechanism,
  ScramServer,
  scramClientProof,
  scramCredential,
  scramServerSignature,
} from '../../../../core/protocol/sasl';
import { ErrorCode } from '../../../../core/wire';

const { SCRAM: KafkajsScram, DIGESTS } = require('kafkajs/src/broker/saslAuthenticator/scram');

/** RFC 5802's mechanism, served only here: its test vector checks the algorithm independently of SHA-256. */
const SCRAM_SHA_1: ScramMechanism = { name: 'SCRAM-SHA-1', hash: 'sha1', keyLength: 20, kafkaType: 0 };

const text = (step: SaslStep) => (step.kind === 'failed' ? `failed: ${step.message}` : step.response.toString('utf8'));

function serverFor(credential: ScramCredential, user: string, serverNonce?: string): ScramServer {
  return new ScramServer(credential.mechanism, {
    lookup: (name) => (name === user ? credential : undefined),
    serverNonce: serverNonce === undefined ? undefined : () => serverNonce,
  });
}

describe('RFC test vectors', () => {
  const vectors = [
    {
      rfc: 'RFC 7677 (SCRAM-SHA-256)',
      mechanism: SCRAM_SHA_256,
      salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
      clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
      serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
      serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
      clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    },
    {
      rfc: 'RFC 5802 (SCRAM-SHA-1)',
      mechanism: SCRAM_SHA_1,
      salt: 'QSXCR+Q6sek8bf92',
      clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
      serverNonce: '3rfcNHYJY1ZVvWVs7j',
      serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
      clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
      serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
    },
  ];

  for (const v of vectors) {
    test(`${v.rfc}: the server answers byte for byte`, () => {
      const credential = scramCredential(v.mechanism, 'pencil', 4096, Buffer.from(v.salt, 'base64'));
      const server = serverFor(credential, 'user', v.serverNonce);
      expect(text(server.step(Buffer.from(v.clientFirst)))).toBe(v.serverFirst);
      const final = server.step(Buffer.from(v.clientFinal));
      expect(final).toMatchObject({ kind: 'done', principal: 'user' });
      expect(text(final)).toBe(v.serverFinal);
      expect(server.ended).toBe(true);
    });

    test(`${v.rfc}: the client helpers compute the vector's proof and signature`, () => {
      const bare = v.clientFirst.slice(3);
      const authMessage = `${bare},${v.serverFirst},${v.clientFinal.slice(0, v.clientFinal.indexOf(',p='))}`;
      const salt = Buffer.from(v.salt, 'base64');
      expect(`p=${scramClientProof(v.mechanism, 'pencil', salt, 4096, authMessage).toString('base64')}`).toBe(v.clientFinal.slice(v.clientFinal.indexOf('p=')));
      expect(`v=${scramServerSignature(v.mechanism, 'pencil', salt, 4096, authMessage).toString('base64')}`).toBe(v.serverFinal);
    });
  }
});

/** The response half kafkajs hands its saslAuthenticate: unwrap the length-prefixed bytes, then parse the SCRAM attributes. */
interface KafkajsResponse {
  decode(bytes: Buffer): Promise<Buffer>;
  parse(bytes: Buffer): Promise<unknown>;
}

/** Runs kafkajs' SCRAM client against the server, as kafkajs would over SaslAuthenticate (bytes with an int32 length). */
async function kafkajsAuthenticates(mechanism: ScramMechanism, server: ScramServer, username: string, password: string): Promise<void> {
  const digest = mechanism === SCRAM_SHA_256 ? DIGESTS.SHA256 : DIGESTS.SHA512;
  const logger = { debug: () => undefined, error: () => undefined };
  const saslAuthenticate = async ({ request, response }: { request: { encode(): Promise<Buffer> }; response: KafkajsResponse }) => {
    const sent: Buffer = await request.encode();
    const step = server.step(sent.subarray(4));
    if (step.kind === 'failed') throw new Error(`error ${step.errorCode}: ${step.message}`);
    const framed = Buffer.alloc(4 + step.response.length);
    framed.writeInt32BE(step.response.length, 0);
    step.response.copy(framed, 4);
    return response.parse(await response.decode(framed));
  };
  await new KafkajsScram({ username, password }, 'localhost', 9092, logger, saslAuthenticate, digest).authenticate();
}

describe('round trips with kafkajs SCRAM client', () => {
  for (const mechanism of [SCRAM_SHA_256, SCRAM_SHA_512]) {
    test(`${mechanism.name}: the right password authenticates, and kafkajs checks the server's signature`, async () => {
      const credential = scramCredential(mechanism, 's3cret, with = signs');
      await expect(kafkajsAuthenticates(mechanism, serverFor(credential, 'al,ice=1'), 'al,ice=1', 's3cret, with = signs')).resolves.toBeUndefined();
    });

    test(`${mechanism.name}: a wrong password and an unknown user fail alike`, async () => {
      const credential = scramCredential(mechanism, 'right');
      await expect(kafkajsAuthenticates(mechanism, serverFor(credential, 'alice'), 'alice', 'wrong')).rejects.toThrow(
        `error ${ErrorCode.SASL_AUTHENTICATION_FAILED}: ${mechanism.name}: authentication failed for "alice"`,
      );
      await expect(kafkajsAuthenticates(mechanism, serverFor(credential, 'alice'), 'bob', 'right')).rejects.toThrow(
        `error ${ErrorCode.SASL_AUTHENTICATION_FAILED}: ${mechanism.name}: authentication failed for "bob"`,
      );
    });
  }

  test('a credential of the other mechanism does not authenticate (SHA-512 credential, SHA-256 exchange)', async () => {
    const credential = scramCredential(SCRAM_SHA_512, 'pw');
    const server = new ScramServer(SCRAM_SHA_256, { lookup: () => credential });
    await expect(kafkajsAuthenticates(SCRAM_SHA_256, server, 'alice', 'pw')).rejects.toThrow('authentication failed');
  });
});

describe('refusals', () => {
  const credential = scramCredential(SCRAM_SHA_256, 'pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
  const first = 'n,,n=user,r=abc';
  const nonce = 'abcXYZ';
  const proofFor = (finalWithoutProof: string, password = 'pencil') =>
    scramClientProof(
      SCRAM_SHA_256,
      password,
      credential.salt,
      4096,
      `n=user,r=abc,r=${nonce},s=${credential.salt.toString('base64')},i=4096,${finalWithoutProof}`,
    ).toString('base64');

  function finish(final: string): SaslStep {
    const server = serverFor(credential, 'user', 'XYZ');
    expect(server.step(Buffer.from(first)).kind).toBe('challenge');
    return server.step(Buffer.from(final));
  }

  test('the happy path of this fixture succeeds (so the refusals below are about their one change)', () => {
    expect(finish(`c=biws,r=${nonce},p=${proofFor(`c=biws,r=${nonce}`)}`).kind).toBe('done');
  });

  test.each([
    ['a different nonce', `c=biws,r=abcXYz,p=${'A'.repeat(43)}=`, 'nonce (r=) does not match'],
    ['channel binding of a y flag', `c=eSws,r=${nonce},p=${'A'.repeat(43)}=`, 'channel binding (c=) does not match'],
    ['a proof of the wrong length', `c=biws,r=${nonce},p=AAAA`, 'proof of 3 bytes, expected 32'],
    ['no proof', `c=biws,r=${nonce}`, 'client-final message must be'],
    ['a proof not last', `c=biws,r=${nonce},p=${'A'.repeat(43)}=,x=1`, 'malformed proof'],
  ])('client-final with %s', (_, final, reason) => {
    const step = finish(final);
    expect(step).toMatchObject({ kind: 'failed', errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED });
    expect(step.kind === 'failed' && step.message).toContain(reason);
  });

  test('a proof from the wrong password fails', () => {
    expect(finish(`c=biws,r=${nonce},p=${proofFor(`c=biws,r=${nonce}`, 'pencil2')}`)).toMatchObject({
      kind: 'failed',
      message: 'SCRAM-SHA-256: authentication failed for "user"',
    });
  });

  test.each([
    ['channel binding required', 'p=tls-unique,,n=user,r=abc', 'channel binding is not supported'],
    ['an unknown flag', 'x,,n=user,r=abc', 'unknown channel binding flag'],
    ['a bad escape in the name', 'n,,n=us=er,r=abc', 'malformed user name'],
    ['an empty name', 'n,,n=,r=abc', 'malformed user name'],
    ['a nonce with a space', 'n,,n=user,r=a c', 'malformed client nonce'],
    ['a mandatory extension', 'n,,n=user,r=abc,m=1', 'mandatory extension'],
    ['another authzid', 'n,a=admin,n=user,r=abc', 'authorization id "admin" differs'],
    ['too few attributes', 'n,,n=user', 'client-first message must be'],
    ['nothing', '', 'empty message'],
  ])('client-first with %s', (_, message, reason) => {
    const step = new ScramServer(SCRAM_SHA_256, { lookup: () => credential }).step(Buffer.from(message));
    expect(step.kind === 'failed' && step.message).toContain(reason);
  });

  test('an authzid equal to the user, and extensions, are accepted', () => {
    expect(new ScramServer(SCRAM_SHA_256, { lookup: () => credential }).step(Buffer.from('n,a=user,n=user,r=abc,t=x')).kind).toBe('challenge');
  });

  test('a message after the end is an illegal state, and a failure ends the exchange', () => {
    const server = serverFor(credential, 'user', 'XYZ');
    expect(server.step(Buffer.from('garbage')).kind).toBe('failed');
    expect(server.step(Buffer.from(first))).toMatchObject({ kind: 'failed', errorCode: ErrorCode.ILLEGAL_SASL_STATE });
  });

  test('an unknown user is offered the same salt on every attempt (no user enumeration by salt)', () => {
    const salts = [0, 1].map(() => text(new ScramServer(SCRAM_SHA_256, { lookup: () => undefined }).step(Buffer.from('n,,n=ghost,r=abc'))).split(',')[1]);
    expect(salts[0]).toMatch(/^s=/);
    expect(salts[0]).toBe(salts[1]);
  });
});
