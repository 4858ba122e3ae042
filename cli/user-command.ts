// `rill user create|delete|list`: SCRAM users, either offline in a single
// node's data dir (--data-dir: DIR/scram-credentials.json, read by the broker
// at start) or on a running broker or cluster over the Kafka protocol
// (--bootstrap / --command-config: AlterUserScramCredentials and
// DescribeUserScramCredentials, as Kafka's kafka-configs does). Only salted
// keys are stored, never the password.
import { randomBytes } from 'node:crypto';
import { apis, sasl } from '../core/protocol';
import { BOOTSTRAP_FLAG, COMMAND_CONFIG_FLAG, commandHelp, FORMAT_FLAG, outputFormat, parseCommand, takeAction, takeTarget, UsageError } from './args';
import { runCommand } from './command';
import { CommandIO, writeLine } from './io';
import { bootstrapOf, check, CommandError, connect } from './wire';

const ACTIONS = ['create', 'delete', 'list'] as const;
const MECHANISMS = sasl.SCRAM_MECHANISMS.map((m) => m.name).join('|');
const WHERE = '(--data-dir DIR | --bootstrap HOST:PORT [--command-config FILE])';

const USAGE: Record<string, string> = {
  create: `rill user create USER ${WHERE} [--mechanism ${MECHANISMS}] [--iterations N] [--password PW]     password from stdin unless --password`,
  delete: `rill user delete USER ${WHERE} [--mechanism ${MECHANISMS}]     the user's credential for the mechanism`,
  list: `rill user list ${WHERE} [--format text|json]     users and their mechanisms (never a secret)`,
};

const SPEC = {
  'data-dir': { kind: 'string', arg: 'DIR', help: "a single node's data directory, changed offline (the broker reads it at start)" },
  bootstrap: { ...BOOTSTRAP_FLAG, help: 'a running broker (or cluster) to change over the Kafka protocol, instead of --data-dir' },
  'command-config': COMMAND_CONFIG_FLAG,
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
    title: known ? `rill user ${action}` : 'rill user — SCRAM users of a broker or cluster',
    usage: known ? [USAGE[action!]] : Object.values(USAGE),
    spec: SPEC,
    action: known ? action : undefined,
    notes: known
      ? undefined
      : 'Offline, credentials live in DIR/scram-credentials.json (salted keys only); online, the broker keeps them (a cluster in its metadata log). "rill user ACTION --help" shows one action.',
  });
}

/** Where the users are: the data dir's file, or a broker over the wire. */
interface UserStore {
  list(): Promise<{ name: string; credentials: { mechanism: string; iterations: number }[] }[]>;
  /** Whether the user had a credential for the mechanism already. */
  upsert(user: string, mechanism: sasl.ScramMechanism, password: string, iterations: number): Promise<boolean>;
  delete(user: string, mechanism: sasl.ScramMechanism): Promise<void>;
  close(): void;
}

function fileStore(dataDir: string): UserStore {
  const store = new sasl.FileCredentialStore(dataDir);
  return {
    list: async () =>
      [...store.list()].map(([name, held]) => ({ name, credentials: held.map((c) => ({ mechanism: c.mechanism.name, iterations: c.iterations })) })),
    async upsert(user, mechanism, password, iterations) {
      const replaced = store.get(user, mechanism) !== undefined;
      await store.upsert(user, sasl.scramCredential(mechanism, password, iterations));
      return replaced;
    },
    async delete(user, mechanism) {
      if (!(await store.delete(user, mechanism))) throw new CommandError(`user ${JSON.stringify(user)} has no ${mechanism.name} credential`);
    },
    close: () => undefined,
  };
}

async function brokerStore(flags: { bootstrap?: string; 'command-config'?: string }, io: CommandIO): Promise<UserStore> {
  const connection = await connect(bootstrapOf(flags, io));
  const describe = (users: { name: string }[] | null) =>
    connection.request<apis.DescribeUserScramCredentialsResponse>(apis.describeUserScramCredentials, { users });
  const alter = async (body: apis.AlterUserScramCredentialsRequest, user: string) => {
    const r = await connection.request<apis.AlterUserScramCredentialsResponse>(apis.alterUserScramCredentials, body);
    const result = r.results.find((x) => x.user === user);
    check(result?.errorCode ?? -1, `user ${user}`, result?.errorMessage);
  };
  return {
    async list() {
      const r = await describe(null);
      check(r.errorCode, 'list users', r.errorMessage);
      return r.results.map((u) => ({
        name: u.user,
        credentials: u.credentialInfos.map((c) => ({
          mechanism: sasl.scramMechanismByType(c.mechanism)?.name ?? `type ${c.mechanism}`,
          iterations: c.iterations,
        })),
      }));
    },
    async upsert(user, mechanism, password, iterations) {
      const held = (await describe([{ name: user }])).results[0];
      const replaced = held?.credentialInfos.some((c) => c.mechanism === mechanism.kafkaType) ?? false;
      // The broker keeps StoredKey and ServerKey of the salted password: the password itself never leaves this process.
      const salt = randomBytes(32);
      const saltedPassword = sasl.saltedPassword(mechanism, password, salt, iterations);
      await alter({ deletions: [], upsertions: [{ name: user, mechanism: mechanism.kafkaType, iterations, salt, saltedPassword }] }, user);
      return replaced;
    },
    delete: (user, mechanism) => alter({ deletions: [{ name: user, mechanism: mechanism.kafkaType }], upsertions: [] }, user),
    close: () => connection.close(),
  };
}

export function runUser(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('user', userHelp, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const { action, rest } = takeAction(positional, ACTIONS);
    const dataDir = flags['data-dir'];
    const online = flags.bootstrap !== undefined || flags['command-config'] !== undefined;
    if (dataDir === undefined && !online) throw new UsageError('give --data-dir DIR (offline) or --bootstrap HOST:PORT (a running broker)');
    if (dataDir !== undefined && online)
      throw new UsageError('--data-dir changes the files offline; --bootstrap and --command-config a running broker: give one');
    const user = action === 'list' ? '' : takeTarget('user', action, rest, flags.user, 'user name');
    const mechanism = sasl.scramMechanismByName(flags.mechanism ?? sasl.SCRAM_SHA_256.name);
    if (mechanism === undefined) throw new UsageError(`--mechanism must be one of ${MECHANISMS}`);
    const iterations = flags.iterations ?? sasl.DEFAULT_SCRAM_ITERATIONS;
    const badIterations = sasl.checkIterations(iterations);
    if (badIterations) throw new UsageError(`--${badIterations}`);
    const store = dataDir !== undefined ? fileStore(dataDir) : await brokerStore(flags, io);
    try {
      if (action === 'list') return await list(store, io, outputFormat(flags.format));
      if (action === 'delete') {
        await store.delete(user, mechanism);
        await writeLine(io.stdout, `deleted ${mechanism.name} credential of ${user}`);
        return;
      }
      if (flags.password !== undefined) io.stderr.write('rill user: warning: --password is visible to other users of this machine (ps); prefer stdin\n');
      const password = flags.password ?? (await readPassword(io));
      if (password === '') throw new UsageError('empty password (give it on stdin or with --password)');
      const replaced = await store.upsert(user, mechanism, password, iterations);
      await writeLine(io.stdout, `${replaced ? 'updated' : 'created'} ${mechanism.name} credential of ${user} (${iterations} iterations)`);
    } finally {
      store.close();
    }
  });
}

async function list(store: UserStore, io: CommandIO, format: 'text' | 'json'): Promise<void> {
  const users = await store.list();
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
