// `rill user create|delete|list`: SCRAM users of a single node, kept in its
// data dir (the broker reads them at start; a running broker does not see
// changes yet). Only the salted keys are stored, never the password.
import { sasl } from '../core/protocol';
import { commandHelp, outputFormat, parseCommand, takeAction, takeTarget, UsageError, FORMAT_FLAG } from './args';
import { runCommand } from './command';
import { CommandIO, writeLine } from './io';
import { CommandError } from './wire';

const ACTIONS = ['create', 'delete', 'list'] as const;
const MECHANISMS = sasl.SCRAM_MECHANISMS.map((m) => m.name).join('|');

const USAGE: Record<string, string> = {
  create: `rill user create USER --data-dir DIR [--mechanism ${MECHANISMS}] [--iterations N] [--password PW]     password from stdin unless --password`,
  delete: `rill user delete USER --data-dir DIR [--mechanism ${MECHANISMS}]     the user's credential for the mechanism`,
  list: 'rill user list --data-dir DIR [--format text|json]     users and their mechanisms (never a secret)',
};

const SPEC = {
  'data-dir': { kind: 'string', arg: 'DIR', help: "the broker's data directory (required)" },
  user: { kind: 'string', arg: 'USER', help: 'the user, instead of USER', actions: ['create', 'delete'] },
  mechanism: { kind: 'string', arg: MECHANISMS, help: 'the SCRAM mechanism', default: sasl.SCRAM_SHA_256.name, actions: ['create', 'delete'] },
  iterations: {
    kind: 'number',
    help: `PBKDF2 iterations, ${sasl.MIN_SCRAM_ITERATIONS} to ${sasl.MAX_SCRAM_ITERATIONS}`,
    default: sasl.DEFAULT_SCRAM_ITERATIONS,
    actions: ['create'],
  },
  password: { kind: 'string', arg: 'PW', help: 'the password (visible to other users in ps: prefer stdin)', actions: ['create'] },
  format: { ...FORMAT_FLAG, actions: ['list'] },
} as const;

export function userHelp(action?: string): string {
  const known = action !== undefined && USAGE[action] !== undefined;
  return commandHelp({
    title: known ? `rill user ${action}` : 'rill user — SCRAM users of a single-node broker',
    usage: known ? [USAGE[action!]] : Object.values(USAGE),
    spec: SPEC,
    action: known ? action : undefined,
    notes: known ? undefined : 'Credentials live in DIR/scram-credentials.json (salted keys only). "rill user ACTION --help" shows one action.',
  });
}

export function runUser(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('user', userHelp, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const { action, rest } = takeAction(positional, ACTIONS);
    const dataDir = flags['data-dir'];
    if (!dataDir) throw new UsageError('--data-dir is required');
    if (action === 'list') return list(new sasl.FileCredentialStore(dataDir), io, outputFormat(flags.format));
    const user = takeTarget('user', action, rest, flags.user, 'user name');
    const mechanism = sasl.scramMechanismByName(flags.mechanism ?? sasl.SCRAM_SHA_256.name);
    if (mechanism === undefined) throw new UsageError(`--mechanism must be one of ${MECHANISMS}`);
    const store = new sasl.FileCredentialStore(dataDir);
    if (action === 'delete') {
      if (!(await store.delete(user, mechanism))) throw new CommandError(`user ${JSON.stringify(user)} has no ${mechanism.name} credential`);
      await writeLine(io.stdout, `deleted ${mechanism.name} credential of ${user}`);
      return;
    }
    const iterations = flags.iterations ?? sasl.DEFAULT_SCRAM_ITERATIONS;
    const badIterations = sasl.checkIterations(iterations);
    if (badIterations) throw new UsageError(`--${badIterations}`);
    if (flags.password !== undefined) io.stderr.write('rill user: warning: --password is visible to other users of this machine (ps); prefer stdin\n');
    const password = flags.password ?? (await readPassword(io));
    if (password === '') throw new UsageError('empty password (give it on stdin or with --password)');
    const replaced = store.get(user, mechanism) !== undefined;
    await store.upsert(user, sasl.scramCredential(mechanism, password, iterations));
    await writeLine(io.stdout, `${replaced ? 'updated' : 'created'} ${mechanism.name} credential of ${user} (${iterations} iterations)`);
  });
}

async function list(store: sasl.CredentialStore, io: CommandIO, format: 'text' | 'json'): Promise<void> {
  const users = [...store.list()].map(([name, held]) => ({ name, credentials: held.map((c) => ({ mechanism: c.mechanism.name, iterations: c.iterations })) }));
  if (format === 'json') return void (await writeLine(io.stdout, JSON.stringify(users)));
  for (const { name, credentials } of users) await writeLine(io.stdout, `${name}\t${credentials.map((c) => `${c.mechanism}(${c.iterations})`).join(' ')}`);
}

/** The first line of stdin (a trailing CR or LF is not part of the password). */
async function readPassword(io: CommandIO): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}
