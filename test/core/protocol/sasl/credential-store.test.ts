import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CREDENTIALS_FILE,
  credentialStorePort,
  DEFAULT_SCRAM_ITERATIONS,
  FileCredentialStore,
  fromRecord,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  ScramServer,
  scramCredential,
  scramMechanismByName,
  toRecord,
} from '../../../../core/protocol/sasl';
import { ErrorCode } from '../../../../core/wire';
import { scramAuthenticates } from './scram-client';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-scram-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ScramCredential', () => {
  test('keeps salt, iterations and keys, never the password; default iterations as Kafka; bounds as Kafka', () => {
    const credential = scramCredential(SCRAM_SHA_512, 'hunter2');
    expect(credential.iterations).toBe(DEFAULT_SCRAM_ITERATIONS);
    expect(credential.salt.length).toBe(64);
    expect(credential.storedKey.length).toBe(64);
    expect(JSON.stringify(toRecord('u', credential))).not.toContain('hunter2');
    expect(() => scramCredential(SCRAM_SHA_256, 'pw', 4095)).toThrow('iterations must be an integer from 4096 to 16384, got 4095');
    expect(() => scramCredential(SCRAM_SHA_256, 'pw', 16385)).toThrow(RangeError);
  });

  test("a record round-trips with Kafka's UserScramCredentialRecord fields", () => {
    const credential = scramCredential(SCRAM_SHA_256, 'pw', 4096);
    const record = toRecord('alice', credential);
    expect(Object.keys(record).sort()).toEqual(['iterations', 'mechanism', 'name', 'salt', 'serverKey', 'storedKey']);
    expect(record.mechanism).toBe(1);
    expect(fromRecord(record)).toEqual(credential);
    expect(() => fromRecord({ ...record, mechanism: 9 })).toThrow('unknown SCRAM mechanism type 9');
    expect(() => fromRecord({ ...record, storedKey: 'AAAA' })).toThrow('must be 32 bytes');
  });
});

test("mechanisms by their SASL names and Kafka's types", () => {
  expect(scramMechanismByName('SCRAM-SHA-512')).toBe(SCRAM_SHA_512);
  expect(scramMechanismByName('scram-sha-256')).toBeUndefined();
  expect(fromRecord(toRecord('u', scramCredential(SCRAM_SHA_512, 'pw', 4096))).mechanism).toBe(SCRAM_SHA_512);
});

describe('FileCredentialStore', () => {
  test('persists upserts and deletes in the data dir, atomically and readable only by the owner', async () => {
    const store = new FileCredentialStore(dir);
    expect(store.list().size).toBe(0);
    await store.upsert('alice', scramCredential(SCRAM_SHA_256, 'a1', 4096));
    await store.upsert('alice', scramCredential(SCRAM_SHA_512, 'a2', 4096));
    await store.upsert('bob', scramCredential(SCRAM_SHA_256, 'b1', 4096));
    const replaced = scramCredential(SCRAM_SHA_256, 'b2', 4096);
    await store.upsert('bob', replaced);
    expect(fs.readdirSync(dir)).toEqual([CREDENTIALS_FILE]);
    expect(fs.statSync(path.join(dir, CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);

    const reopened = new FileCredentialStore(dir);
    expect([...reopened.list()].map(([user, held]) => [user, held.map((c) => c.mechanism.name)])).toEqual([
      ['alice', ['SCRAM-SHA-256', 'SCRAM-SHA-512']],
      ['bob', ['SCRAM-SHA-256']],
    ]);
    expect(reopened.get('bob', SCRAM_SHA_256)).toEqual(replaced);
    expect(reopened.get('bob', SCRAM_SHA_512)).toBeUndefined();

    expect(await reopened.delete('alice', SCRAM_SHA_256)).toBe(true);
    expect(await reopened.delete('alice', SCRAM_SHA_256)).toBe(false);
    expect(await reopened.delete('carol', SCRAM_SHA_256)).toBe(false);
    expect(await reopened.delete('bob', SCRAM_SHA_256)).toBe(true);
    expect([...new FileCredentialStore(dir).list().keys()]).toEqual(['alice']);
  });

  test('a stored credential authenticates its password through the SCRAM server', async () => {
    await new FileCredentialStore(dir).upsert('alice', scramCredential(SCRAM_SHA_256, 'pw', 4096));
    const store = new FileCredentialStore(dir);
    const server = () => new ScramServer(SCRAM_SHA_256, { lookup: (user) => store.get(user, SCRAM_SHA_256) });
    expect(scramAuthenticates(server(), SCRAM_SHA_256, 'alice', 'pw')).toBe(true);
    expect(scramAuthenticates(server(), SCRAM_SHA_256, 'alice', 'pw2')).toBe(false);
  });

  test('a failed write changes nothing: not the file, not the store, and the port answers KAFKA_STORAGE_ERROR', async () => {
    const store = new FileCredentialStore(dir);
    const before = scramCredential(SCRAM_SHA_256, 'old', 4096);
    await store.upsert('alice', before);
    const file = fs.readFileSync(path.join(dir, CREDENTIALS_FILE), 'utf8');
    // The temp file cannot be created where a directory stands.
    fs.mkdirSync(path.join(dir, `${CREDENTIALS_FILE}.tmp`));
    await expect(
      store.apply([
        { kind: 'upsert', user: 'alice', credential: scramCredential(SCRAM_SHA_256, 'new', 4096) },
        { kind: 'upsert', user: 'bob', credential: before },
      ]),
    ).rejects.toThrow('EISDIR');
    expect(store.get('alice', SCRAM_SHA_256)).toBe(before);
    expect(store.get('bob', SCRAM_SHA_256)).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, CREDENTIALS_FILE), 'utf8')).toBe(file);
    const refused = await credentialStorePort(store).alterScramCredentials([{ kind: 'delete', user: 'alice', mechanism: 1 }]);
    expect(refused).toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(store.get('alice', SCRAM_SHA_256)).toBe(before);
  });

  test('a malformed file is refused when opened, not silently emptied', () => {
    fs.writeFileSync(path.join(dir, CREDENTIALS_FILE), '{"version":7}');
    expect(() => new FileCredentialStore(dir)).toThrow('not a version 1 credentials file');
  });
});
