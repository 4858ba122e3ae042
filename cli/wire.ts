// How the CLI's tools reach a broker: one Kafka protocol connection, and the
// conversion of error codes into sentences.
import { errorName } from '../core/broker';
import { bootstrapAddresses } from '../core/client';
import { KafkaConnection } from '../core/protocol';
import { readConfigFile } from './broker-config';
import { CommandIO } from './io';

export const DEFAULT_BOOTSTRAP = 'localhost:9092';

/** A failure the user caused or can fix; printed without a stack trace, exit code 1. */
export class CommandError extends Error {}

/**
 * The brokers to start from: --bootstrap, else bootstrap.servers of Kafka's
 * --command-config FILE (other keys are warned about: the tools use none),
 * else $RILL_BOOTSTRAP, else localhost:9092.
 */
export function bootstrapOf(flags: { bootstrap?: string; 'command-config'?: string }, io: CommandIO): string {
  if (flags.bootstrap !== undefined) return flags.bootstrap;
  const file = flags['command-config'];
  if (file !== undefined) {
    const settings = readConfigFile(file);
    for (const key of Object.keys(settings))
      if (key !== 'bootstrap.servers') io.stderr.write(`rill: warning: ${file}: "${key}" is not used (the tools read bootstrap.servers only)\n`);
    if (settings['bootstrap.servers']) return settings['bootstrap.servers'];
  }
  return io.env.RILL_BOOTSTRAP ?? DEFAULT_BOOTSTRAP;
}

/** `HOST:PORT,HOST:PORT,...` as a list (a Kafka bootstrap list). */
export function bootstrapList(bootstrap: string): string[] {
  const list = bootstrapAddresses(bootstrap);
  if (list.length === 0) throw new CommandError(`no broker address in --bootstrap "${bootstrap}"`);
  return list;
}

/** A connection to the first broker of the bootstrap list that answers. */
export async function connect(bootstrap: string): Promise<KafkaConnection> {
  const failures: string[] = [];
  for (const address of bootstrapList(bootstrap)) {
    try {
      return await KafkaConnection.connect(address, { clientId: 'rill-cli', timeoutMs: 30000 });
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  throw new CommandError(failures.join('; '));
}

/** Throws a CommandError naming the Kafka error, unless `code` is 0. */
export function check(code: number, what: string, message?: string | null): void {
  if (code === 0) return;
  throw new CommandError(`${what}: ${message || explain(code)}`);
}

export function explain(code: number): string {
  const hints: Record<number, string> = {
    3: 'the topic or partition does not exist (rill topic list shows what does)',
    36: 'the topic already exists',
    37: 'invalid partition count',
    40: 'invalid topic config',
    68: 'the group still has members; stop its consumers first',
    69: 'the group does not exist',
  };
  return `${errorName(code)} (error ${code})${hints[code] ? ': ' + hints[code] : ''}`;
}
