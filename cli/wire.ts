// How the CLI's tools reach a broker: one Kafka protocol connection (over TLS
// when the --command-config file says security.protocol=SSL), and the
// conversion of error codes into sentences.
import { errorName } from '../core/broker';
import { bootstrapAddresses } from '../core/client';
import * as fs from 'node:fs';
import { type ClientTlsOptions, KafkaConnection } from '../core/protocol';
import { readConfigFile } from './broker-config';
import { CommandIO } from './io';

export const DEFAULT_BOOTSTRAP = 'localhost:9092';

/** A failure the user caused or can fix; printed without a stack trace, exit code 1. */
export class CommandError extends Error {}

/** The brokers to start from, and how to connect to them. */
export interface Bootstrap {
  /** `HOST:PORT,HOST:PORT,...` */
  readonly servers: string;
  /** security.protocol=SSL. */
  readonly tls?: ClientTlsOptions;
}

/** The Kafka client properties of a --command-config file the tools use. */
const CLIENT_PROPERTIES = ['bootstrap.servers', 'security.protocol', 'ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location'];

/**
 * The brokers to start from: --bootstrap, else bootstrap.servers of Kafka's
 * --command-config FILE, else $RILL_BOOTSTRAP, else localhost:9092; with TLS
 * when the file says security.protocol=SSL (its other keys are warned about:
 * the tools use none).
 */
export function bootstrapOf(flags: { bootstrap?: string; 'command-config'?: string }, io: CommandIO): Bootstrap {
  const file = flags['command-config'];
  const settings = file !== undefined ? readConfigFile(file) : {};
  for (const key of Object.keys(settings))
    if (!CLIENT_PROPERTIES.includes(key)) io.stderr.write(`rill: warning: ${file}: "${key}" is not used (the tools read ${CLIENT_PROPERTIES.join(', ')})\n`);
  const servers = flags.bootstrap ?? (settings['bootstrap.servers'] || io.env.RILL_BOOTSTRAP || DEFAULT_BOOTSTRAP);
  return { servers, tls: file !== undefined ? clientTls(settings, file) : undefined };
}

/** security.protocol and the ssl.* files of a client properties file (Kafka's PEM names, librdkafka's). */
function clientTls(settings: Record<string, string>, file: string): ClientTlsOptions | undefined {
  const protocol = (settings['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (protocol === 'PLAINTEXT') {
    const unused = ['ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location'].filter((k) => settings[k] !== undefined);
    if (unused.length > 0) throw new CommandError(`${file}: ${unused.join(', ')} need security.protocol=SSL`);
    return undefined;
  }
  if (protocol !== 'SSL') throw new CommandError(`${file}: security.protocol=${protocol} is not supported (PLAINTEXT or SSL; SASL is not there yet)`);
  const read = (key: string): Buffer | undefined => {
    const path = settings[key];
    if (path === undefined) return undefined;
    try {
      return fs.readFileSync(path);
    } catch (e) {
      throw new CommandError(`${file}: ${key}: cannot read ${path}: ${(e as Error).message}`);
    }
  };
  const cert = read('ssl.certificate.location');
  const key = read('ssl.key.location');
  if ((cert === undefined) !== (key === undefined)) throw new CommandError(`${file}: ssl.certificate.location and ssl.key.location go together`);
  return { ca: read('ssl.ca.location'), cert, key };
}

/** `HOST:PORT,HOST:PORT,...` as a list (a Kafka bootstrap list). */
export function bootstrapList(bootstrap: string): string[] {
  const list = bootstrapAddresses(bootstrap);
  if (list.length === 0) throw new CommandError(`no broker address in --bootstrap "${bootstrap}"`);
  return list;
}

/** A connection to the first broker of the bootstrap list (or of `servers`, with the bootstrap's TLS) that answers. */
export async function connect(bootstrap: Bootstrap, servers = bootstrap.servers): Promise<KafkaConnection> {
  const failures: string[] = [];
  for (const address of bootstrapList(servers)) {
    try {
      return await KafkaConnection.connect(address, { clientId: 'rill-cli', timeoutMs: 30000, tls: bootstrap.tls });
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
