// `rill broker` settings: defaults, then a config file (Kafka-style
// `key=value` properties, or JSON), then flags. Every value is checked, and a bad
// one is reported with what is allowed; an unknown key is a warning.
import * as fs from 'node:fs';
import { UsageError } from './args';
import { authorizerConfig } from './authorizer-config';
import { DEFAULT_BROKER_LIMITS } from '../core/broker';
import {
  CLIENT_AUTH_VALUES,
  ClientAuth,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_QUEUED_MAX_REQUEST_BYTES,
  DEFAULT_REQUEST_RECEIVE_TIMEOUT_MS,
  ListenerTlsOptions,
} from '../core/protocol';
import { applyListenerSslKey, brokerListeners, isListenerSslKey, LISTENER_KEYS, type ListenerSettings } from './listener-config';
import { tlsOfSettings } from './tls-settings';
import { checkSchemaRegistrySecurity, SCHEMA_REGISTRY_KEYS, type SchemaRegistrySecuritySettings } from './schema-registry-config';
import { TRANSACTION_KEYS, type TransactionConfig, transactionSettings } from './transaction-config';

export interface BrokerSettings extends ListenerSettings, SchemaRegistrySecuritySettings, TransactionConfig {
  dataDir: string;
  nodeId: number;
  autoCreateTopics: boolean;
  maxFrameBytes: number;
  idleTimeoutMs: number;
  /** Resource bounds (docs/operations.md). */
  maxConnections: number;
  maxConnectionsPerIp: number;
  queuedMaxRequestBytes: number;
  requestReceiveTimeoutMs: number;
  fetchMaxBytes: number;
  maxBrokerPartitions: number;
  maxPartitionsPerRequest: number;
  maxOpenFiles: number;
  /** -1: no schema registry. */
  schemaRegistryPort: number;
  schemaRegistryHost: string;
  /** log.recover.corruption: repair damaged partitions on start (moved aside into .corrupt files). */
  recoverCorruption: boolean;
  /** The Kafka listener's TLS (PEM files); none: PLAINTEXT. */
  sslCertFile?: string;
  sslKeyFile?: string;
  sslCaFile?: string;
  sslClientAuth?: ClientAuth;
  /** The authorizer (cli/authorizer-config.ts). */
  authorizer?: string;
  superUsers?: string;
  allowEveryoneIfNoAclFound?: boolean;
}

type Kind = 'string' | 'port' | 'int' | 'bool' | 'clientAuth';

/** Config keys (Kafka's names where Kafka has one) and the setting each fills. */
const KEYS: Record<string, { setting: keyof BrokerSettings; kind: Kind }> = {
  'data.dir': { setting: 'dataDir', kind: 'string' },
  'log.dirs': { setting: 'dataDir', kind: 'string' },
  host: { setting: 'host', kind: 'string' },
  port: { setting: 'port', kind: 'port' },
  'advertised.host': { setting: 'advertisedHost', kind: 'string' },
  'node.id': { setting: 'nodeId', kind: 'int' },
  // Kafka's older name for node.id, still in many server.properties files.
  'broker.id': { setting: 'nodeId', kind: 'int' },
  'auto.create.topics.enable': { setting: 'autoCreateTopics', kind: 'bool' },
  'socket.request.max.bytes': { setting: 'maxFrameBytes', kind: 'int' },
  'connections.max.idle.ms': { setting: 'idleTimeoutMs', kind: 'int' },
  'max.connections': { setting: 'maxConnections', kind: 'int' },
  'max.connections.per.ip': { setting: 'maxConnectionsPerIp', kind: 'int' },
  'queued.max.request.bytes': { setting: 'queuedMaxRequestBytes', kind: 'int' },
  'request.receive.timeout.ms': { setting: 'requestReceiveTimeoutMs', kind: 'int' },
  'fetch.max.bytes': { setting: 'fetchMaxBytes', kind: 'int' },
  'max.broker.partitions': { setting: 'maxBrokerPartitions', kind: 'int' },
  'max.partitions.per.request': { setting: 'maxPartitionsPerRequest', kind: 'int' },
  'log.max.open.files': { setting: 'maxOpenFiles', kind: 'int' },
  'schema.registry.port': { setting: 'schemaRegistryPort', kind: 'int' },
  'schema.registry.host': { setting: 'schemaRegistryHost', kind: 'string' },
  'log.recover.corruption': { setting: 'recoverCorruption', kind: 'bool' },
  // Kafka's PEM names (librdkafka's, and ssl.keystore.type=PEM's files).
  'ssl.certificate.location': { setting: 'sslCertFile', kind: 'string' },
  'ssl.key.location': { setting: 'sslKeyFile', kind: 'string' },
  'ssl.ca.location': { setting: 'sslCaFile', kind: 'string' },
  'ssl.client.auth': { setting: 'sslClientAuth', kind: 'clientAuth' },
  'authorizer.class.name': { setting: 'authorizer', kind: 'string' },
  'super.users': { setting: 'superUsers', kind: 'string' },
  'allow.everyone.if.no.acl.found': { setting: 'allowEveryoneIfNoAclFound', kind: 'bool' },
  ...LISTENER_KEYS,
  ...SCHEMA_REGISTRY_KEYS,
  ...TRANSACTION_KEYS,
};

/** Resource bounds: positive integers. */
const BOUNDS = new Set([
  'max.connections',
  'max.connections.per.ip',
  'queued.max.request.bytes',
  'request.receive.timeout.ms',
  'fetch.max.bytes',
  'max.broker.partitions',
  'max.partitions.per.request',
  'log.max.open.files',
  'sasl.server.max.receive.size',
  'sasl.handshake.timeout.ms',
]);

/** Loopback by default, as cluster nodes: --host 0.0.0.0 (or an address) serves other machines. */
export const DEFAULT_SETTINGS: Omit<BrokerSettings, 'dataDir'> = {
  host: '127.0.0.1',
  port: 9092,
  nodeId: 0,
  autoCreateTopics: true,
  maxFrameBytes: 100 * 1024 * 1024,
  idleTimeoutMs: 600_000,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
  queuedMaxRequestBytes: DEFAULT_QUEUED_MAX_REQUEST_BYTES,
  requestReceiveTimeoutMs: DEFAULT_REQUEST_RECEIVE_TIMEOUT_MS,
  fetchMaxBytes: DEFAULT_BROKER_LIMITS.fetchMaxBytes,
  maxBrokerPartitions: DEFAULT_BROKER_LIMITS.maxBrokerPartitions,
  maxPartitionsPerRequest: DEFAULT_BROKER_LIMITS.maxPartitionsPerRequest,
  maxOpenFiles: DEFAULT_BROKER_LIMITS.maxOpenFiles,
  schemaRegistryPort: 8081,
  schemaRegistryHost: '127.0.0.1',
  recoverCorruption: false,
};

/** Parses a config file into raw key -> value text. */
export function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  if (file.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`config file ${file} must hold a JSON object`);
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new UsageError(`${file}:${i + 1}: expected key=value, got "${line}"`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  });
  return out;
}

/**
 * Applies raw key -> value pairs (from a file or flags) onto settings. A key
 * Rill does not know (a Kafka server.properties has many) is skipped with a
 * warning, returned; an invalid value of a known key is refused.
 */
export function applyConfig(settings: Partial<BrokerSettings>, raw: Record<string, string>, source: string): string[] {
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (isListenerSslKey(key)) {
      applyListenerSslKey(settings, key, value, source);
      continue;
    }
    const spec = KEYS[key];
    if (!spec) {
      warnings.push(`${source}: unknown setting "${key}" ignored; known: ${Object.keys(KEYS).join(', ')}`);
      continue;
    }
    (settings as Record<string, unknown>)[spec.setting] = parseValue(key, spec.kind, value, source);
  }
  return warnings;
}

function parseValue(key: string, kind: Kind, value: string, source: string): string | number | boolean {
  const bad = (what: string) => new UsageError(`${source}: "${key}" must be ${what}, got "${value}"`);
  switch (kind) {
    case 'string':
      if (value === '') throw bad('non-empty');
      return value;
    case 'bool':
      if (value !== 'true' && value !== 'false') throw bad('true or false');
      return value === 'true';
    case 'clientAuth':
      if (!(CLIENT_AUTH_VALUES as readonly string[]).includes(value)) throw bad(CLIENT_AUTH_VALUES.join(', '));
      return value;
    case 'port': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw bad('a port from 0 to 65535');
      return n;
    }
    case 'int': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < -1) throw bad('an integer');
      return n;
    }
  }
}

export function completeSettings(partial: Partial<BrokerSettings>): BrokerSettings {
  const s = { ...DEFAULT_SETTINGS, ...partial };
  if (!s.dataDir) throw new UsageError('give --data-dir DIR (or data.dir in the config file)');
  if (s.maxFrameBytes < 1024) throw new UsageError('socket.request.max.bytes must be at least 1024');
  for (const [key, spec] of Object.entries(KEYS)) {
    const value = s[spec.setting] as number | undefined;
    if (BOUNDS.has(key) && value !== undefined && value < 1) throw new UsageError(`${key} must be at least 1`);
  }
  brokerListeners(s, listenerTls(s)); // TLS and listener settings that do not go together fail here
  authorizerConfig(s); // as do authorizer settings
  checkSchemaRegistrySecurity(s); // and the schema registry's
  transactionSettings(s); // and the transaction coordinator's
  return s as BrokerSettings;
}

/** The Kafka listener's TLS from the ssl.* settings: none when no certificate is given. */
export function listenerTls(s: Pick<BrokerSettings, 'sslCertFile' | 'sslKeyFile' | 'sslCaFile' | 'sslClientAuth'>): ListenerTlsOptions | undefined {
  return tlsOfSettings(
    { cert: s.sslCertFile, key: s.sslKeyFile, ca: s.sslCaFile, clientAuth: s.sslClientAuth },
    { keys: 'ssl', flags: '--ssl', server: 'listener' },
  );
}

/** The listener TLS flags of `rill broker`, in either mode. */
export const TLS_FLAGS = {
  'ssl-cert': { kind: 'string', arg: 'FILE', help: "the Kafka listener's certificate (PEM): serves SSL; config key ssl.certificate.location" },
  'ssl-key': { kind: 'string', arg: 'FILE', help: 'its private key (PEM); config key ssl.key.location' },
  'ssl-ca': { kind: 'string', arg: 'FILE', help: 'CA certificates trusted for client certificates (PEM); config key ssl.ca.location' },
  'ssl-client-auth': {
    kind: 'string',
    arg: 'none|requested|required',
    help: 'client certificates (mTLS); config key ssl.client.auth',
    defaultText: 'none',
  },
} as const;

/** The TLS flags given, as config keys. */
export function tlsFlagsAsConfig(flags: { 'ssl-cert'?: string; 'ssl-key'?: string; 'ssl-ca'?: string; 'ssl-client-auth'?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (flags['ssl-cert'] !== undefined) out['ssl.certificate.location'] = flags['ssl-cert'];
  if (flags['ssl-key'] !== undefined) out['ssl.key.location'] = flags['ssl-key'];
  if (flags['ssl-ca'] !== undefined) out['ssl.ca.location'] = flags['ssl-ca'];
  if (flags['ssl-client-auth'] !== undefined) out['ssl.client.auth'] = flags['ssl-client-auth'];
  return out;
}
