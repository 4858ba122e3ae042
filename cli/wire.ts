// How the CLI's tools reach a broker: one Kafka protocol connection (over TLS
// and/or SASL as the --command-config file's security.protocol says), and the
// conversion of error codes into sentences.
import { errorName } from '../core/broker';
import { bootstrapAddresses } from '../core/client';
import * as fs from 'node:fs';
import { type ClientSaslOptions, type ClientTlsOptions, KafkaConnection } from '../core/protocol';
import { readConfigFile } from './broker-config';
import { CommandIO } from './io';

export const DEFAULT_BOOTSTRAP = 'localhost:9092';

/** A failure the user caused or can fix; printed without a stack trace, exit code 1. */
export class CommandError extends Error {}

/** The brokers to start from, and how to connect to them. */
export interface Bootstrap {
  /** `HOST:PORT,HOST:PORT,...` */
  readonly servers: string;
  /** security.protocol=SSL or SASL_SSL. */
  readonly tls?: ClientTlsOptions;
  /** security.protocol=SASL_PLAINTEXT or SASL_SSL. */
  readonly sasl?: ClientSaslOptions;
}

/** The Kafka client properties of a --command-config file the tools use. */
const SSL_PROPERTIES = ['ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location'];
const SASL_PROPERTIES = ['sasl.mechanism', 'sasl.mechanisms', 'sasl.username', 'sasl.password', 'sasl.jaas.config'];
/** The schema registry client's keys (cli/avro.ts reads them). */
const REGISTRY_CLIENT_PROPERTIES = [
  'schema.registry.basic.auth.user.info',
  'schema.registry.ssl.ca.location',
  'schema.registry.ssl.certificate.location',
  'schema.registry.ssl.key.location',
];
const CLIENT_PROPERTIES = ['bootstrap.servers', 'security.protocol', ...SSL_PROPERTIES, ...SASL_PROPERTIES, ...REGISTRY_CLIENT_PROPERTIES];

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
  return file !== undefined ? { servers, ...clientSecurity(settings, file) } : { servers };
}

/** TLS and SASL of a Kafka client properties file (Kafka's and librdkafka's names). */
export function clientSecurity(settings: Record<string, string>, file: string): { tls?: ClientTlsOptions; sasl?: ClientSaslOptions } {
  const protocol = (settings['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol))
    throw new CommandError(`${file}: security.protocol=${protocol} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL`);
  const unused = (keys: string[], need: string) => {
    const given = keys.filter((k) => settings[k] !== undefined);
    if (given.length > 0) throw new CommandError(`${file}: ${given.join(', ')} need security.protocol=${need}`);
  };
  if (!protocol.endsWith('SSL')) unused(SSL_PROPERTIES, 'SSL or SASL_SSL');
  if (!protocol.startsWith('SASL')) unused(SASL_PROPERTIES, 'SASL_PLAINTEXT or SASL_SSL');
  return {
    tls: protocol.endsWith('SSL') ? clientTls(settings, file) : undefined,
    sasl: protocol.startsWith('SASL') ? clientSasl(settings, file) : undefined,
  };
}

/** sasl.mechanism(s) with sasl.username/sasl.password, or the username and password of Kafka's sasl.jaas.config. */
function clientSasl(settings: Record<string, string>, file: string): ClientSaslOptions {
  const mechanism = settings['sasl.mechanism'] ?? settings['sasl.mechanisms'];
  if (mechanism === undefined) throw new CommandError(`${file}: a SASL security.protocol needs sasl.mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)`);
  const jaas = settings['sasl.jaas.config'];
  const fromJaas = (key: string) =>
    jaas === undefined ? undefined : new RegExp(`\\b${key}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(/\\(.)/g, '$1');
  const username = settings['sasl.username'] ?? fromJaas('username');
  const password = settings['sasl.password'] ?? fromJaas('password');
  if (username === undefined || password === undefined)
    throw new CommandError(`${file}: SASL needs sasl.username and sasl.password (or sasl.jaas.config with username="..." password="...")`);
  return { mechanism, username, password };
}

/** Reads the file a key of the properties file `file` names (undefined when the key is absent); an unreadable one is a CommandError naming both. */
export function namedFileReader(settings: Record<string, string>, file: string): (key: string) => Buffer | undefined {
  return (key) => {
    const path = settings[key];
    if (path === undefined) return undefined;
    try {
      return fs.readFileSync(path);
    } catch (e) {
      throw new CommandError(`${file}: ${key}: cannot read ${path}: ${(e as Error).message}`);
    }
  };
}

/** The ssl.* files of a client properties file (Kafka's PEM names, librdkafka's). */
function clientTls(settings: Record<string, string>, file: string): ClientTlsOptions {
  const read = namedFileReader(settings, file);
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
      return await KafkaConnection.connect(address, { clientId: 'rill-cli', timeoutMs: 30000, tls: bootstrap.tls, sasl: bootstrap.sasl });
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
