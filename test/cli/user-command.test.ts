// `rill user create|delete|list` on a data dir's credential store.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runUser } from '../../cli/user-command';
import { sasl } from '../../core/protocol';
import { scramAuthenticates } from '../core/protocol/sasl/scram-client';
import { fakeIO } from './fake-io';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-user-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function user(argv: string[], stdin = '') {
  const io = fakeIO(stdin);
  const code = await runUser([...argv, '--data-dir', dir], io);
  return { code, out: io.out(), err: io.err() };
}

/** Whether the stored credential of the user authenticates the password (through the SCRAM server). */
function authenticates(name: string, mechanism: sasl.ScramMechanism, password: string): boolean {
  const store = new sasl.FileCredentialStore(dir);
  return scramAuthenticates(new sasl.ScramServer(mechanism, { lookup: (u) => store.get(u, mechanism) }), mechanism, name, password);
}

test('create from stdin, create with --password (warned), list, delete', async () => {
  expect(await user(['create', 'alice'], 'from-stdin\n')).toEqual({ code: 0, out: 'created SCRAM-SHA-256 credential of alice (8192 iterations)\n', err: '' });
  const flagged = await user(['create', 'bob', '--mechanism', 'SCRAM-SHA-512', '--iterations', '4096', '--password', 'pw']);
  expect(flagged.code).toBe(0);
  expect(flagged.err).toContain('--password is visible to other users of this machine (ps)');
  expect(authenticates('alice', sasl.SCRAM_SHA_256, 'from-stdin')).toBe(true);
  expect(authenticates('alice', sasl.SCRAM_SHA_256, 'from-stdin\n')).toBe(false);
  expect(authenticates('bob', sasl.SCRAM_SHA_512, 'pw')).toBe(true);
  expect(fs.readFileSync(path.join(dir, sasl.CREDENTIALS_FILE), 'utf8')).not.toMatch(/from-stdin|"pw"/);

  expect((await user(['create', 'alice'], 'changed')).out).toBe('updated SCRAM-SHA-256 credential of alice (8192 iterations)\n');
  expect(authenticates('alice', sasl.SCRAM_SHA_256, 'changed')).toBe(true);

  expect((await user(['list'])).out).toBe('alice\tSCRAM-SHA-256(8192)\nbob\tSCRAM-SHA-512(4096)\n');
  expect(JSON.parse((await user(['list', '--format', 'json'])).out)).toEqual([
    { name: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }] },
    { name: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
  ]);

  expect(await user(['delete', 'bob', '--mechanism', 'SCRAM-SHA-512'])).toEqual({ code: 0, out: 'deleted SCRAM-SHA-512 credential of bob\n', err: '' });
  expect(await user(['delete', 'bob', '--mechanism', 'SCRAM-SHA-512'])).toEqual({
    code: 1,
    out: '',
    err: 'rill user: user "bob" has no SCRAM-SHA-512 credential\n',
  });
  expect((await user(['list'])).out).toBe('alice\tSCRAM-SHA-256(8192)\n');
});

test.each([
  [['create', 'alice', '--mechanism', 'PLAIN'], 'pw', '--mechanism must be one of SCRAM-SHA-256|SCRAM-SHA-512'],
  [['create', 'alice', '--iterations', '100'], 'pw', '--iterations must be an integer from 4096 to 16384, got 100'],
  [['create', 'alice'], '', 'empty password'],
  [['create'], 'pw', 'user name'],
])('rill user %j refuses with usage exit code 2', async (argv, stdin, message) => {
  const r = await user(argv, stdin);
  expect(r.code).toBe(2);
  expect(r.err).toContain(message);
  expect(fs.existsSync(path.join(dir, sasl.CREDENTIALS_FILE))).toBe(false);
});

test('--data-dir is required, and help explains each action', async () => {
  const io = fakeIO();
  expect(await runUser(['list'], io)).toBe(2);
  expect(io.err()).toContain('give --data-dir DIR (offline) or --bootstrap HOST:PORT (a running broker)');
  const help = fakeIO();
  expect(await runUser(['create', '--help'], help)).toBe(0);
  expect(help.out()).toContain('rill user create USER');
  expect(help.out()).toMatch(/--iterations N[\s\S]*\(default 8192\)/);
});
