// The schema registry's HTTP security on `rill broker`: TLS (its own
// certificate and key, optionally a CA and client certificates) and HTTP
// basic auth checked against the broker's SCRAM users (the users of `rill
// user`, the same the Kafka listeners authenticate: no second user list).
// Config keys are schema.registry.ssl.* (the Kafka listener's ssl.* names) and
// schema.registry.authentication.method (Confluent's authentication.method).
import type * as https from 'node:https';
import { UsageError } from './args';
import { type ClientAuth, isLoopback, ListenerTls, type SecurityPort, userPasswordMatches } from '../core/protocol';
import { tlsOfSettings } from './tls-settings';

export interface SchemaRegistrySecuritySettings {
  schemaRegistrySslCertFile?: string;
  schemaRegistrySslKeyFile?: string;
  schemaRegistrySslCaFile?: string;
  schemaRegistrySslClientAuth?: ClientAuth;
  /** NONE (default) or BASIC. */
  schemaRegistryAuthenticationMethod?: string;
}

export const SCHEMA_REGISTRY_KEYS = {
  'schema.registry.ssl.certificate.location': { setting: 'schemaRegistrySslCertFile', kind: 'string' },
  'schema.registry.ssl.key.location': { setting: 'schemaRegistrySslKeyFile', kind: 'string' },
  'schema.registry.ssl.ca.location': { setting: 'schemaRegistrySslCaFile', kind: 'string' },
  'schema.registry.ssl.client.auth': { setting: 'schemaRegistrySslClientAuth', kind: 'clientAuth' },
  'schema.registry.authentication.method': { setting: 'schemaRegistryAuthenticationMethod', kind: 'string' },
} as const;

export const SCHEMA_REGISTRY_FLAGS = {
  'schema-registry-ssl-cert': {
    kind: 'string',
    arg: 'FILE',
    help: "the schema registry's certificate (PEM): serves HTTPS; config key schema.registry.ssl.certificate.location",
  },
  'schema-registry-ssl-key': { kind: 'string', arg: 'FILE', help: 'its private key (PEM); config key schema.registry.ssl.key.location' },
  'schema-registry-ssl-ca': { kind: 'string', arg: 'FILE', help: 'CAs trusted for client certificates (PEM); config key schema.registry.ssl.ca.location' },
  'schema-registry-ssl-client-auth': {
    kind: 'string',
    arg: 'none|requested|required',
    help: 'client certificates on the schema registry; config key schema.registry.ssl.client.auth',
    defaultText: 'none',
  },
  'schema-registry-basic-auth': {
    kind: 'boolean',
    help: "HTTP basic auth on the schema registry, checked against the broker's users (rill user); config key schema.registry.authentication.method=BASIC",
  },
} as const;

/** The registry flags given, as config keys. */
export function schemaRegistryFlagsAsConfig(flags: {
  'schema-registry-ssl-cert'?: string;
  'schema-registry-ssl-key'?: string;
  'schema-registry-ssl-ca'?: string;
  'schema-registry-ssl-client-auth'?: string;
  'schema-registry-basic-auth'?: boolean;
}): Record<string, string> {
  const out: Record<string, string> = {};
  if (flags['schema-registry-ssl-cert'] !== undefined) out['schema.registry.ssl.certificate.location'] = flags['schema-registry-ssl-cert'];
  if (flags['schema-registry-ssl-key'] !== undefined) out['schema.registry.ssl.key.location'] = flags['schema-registry-ssl-key'];
  if (flags['schema-registry-ssl-ca'] !== undefined) out['schema.registry.ssl.ca.location'] = flags['schema-registry-ssl-ca'];
  if (flags['schema-registry-ssl-client-auth'] !== undefined) out['schema.registry.ssl.client.auth'] = flags['schema-registry-ssl-client-auth'];
  if (flags['schema-registry-basic-auth']) out['schema.registry.authentication.method'] = 'BASIC';
  return out;
}

/** Whether the settings ask for basic auth; throws on a method Rill does not know. */
function basicAuth(s: SchemaRegistrySecuritySettings): boolean {
  const method = (s.schemaRegistryAuthenticationMethod ?? 'NONE').toUpperCase();
  if (method !== 'NONE' && method !== 'BASIC') throw new UsageError(`schema.registry.authentication.method must be NONE or BASIC, not "${method}"`);
  return method === 'BASIC';
}

/** The warning a registry deserves that other machines reach with nobody authenticated. */
export function schemaRegistryExposureWarning(host: string, s: SchemaRegistrySecuritySettings): string | undefined {
  if (isLoopback(host) || basicAuth(s) || s.schemaRegistrySslClientAuth === 'required') return undefined;
  return `the schema registry on ${host} is reachable from other machines and authenticates no one: anyone who reaches it can register and delete schemas (use --schema-registry-basic-auth with --schema-registry-ssl-cert; docs/security.md)`;
}

/** Checks the settings (files are read later, by schemaRegistrySecurity). */
export function checkSchemaRegistrySecurity(s: SchemaRegistrySecuritySettings): void {
  basicAuth(s);
  registryTls(s);
}

function registryTls(s: SchemaRegistrySecuritySettings) {
  return tlsOfSettings(
    { cert: s.schemaRegistrySslCertFile, key: s.schemaRegistrySslKeyFile, ca: s.schemaRegistrySslCaFile, clientAuth: s.schemaRegistrySslClientAuth },
    { keys: 'schema.registry.ssl', flags: '--schema-registry-ssl', server: 'schema registry' },
  );
}

/**
 * What startSchemaRegistryServer takes for the settings: its HTTPS options, its
 * basic auth over the broker's users. Throws a message naming the setting of a
 * file it cannot use (`rill broker` reports it and exits before serving).
 */
export function schemaRegistrySecurity(
  s: SchemaRegistrySecuritySettings,
  users: SecurityPort,
): { tls?: https.ServerOptions; authenticate?: (user: string, password: string) => boolean } {
  const tls = registryTls(s);
  return {
    tls: tls && ListenerTls.load(tls, 'schema.registry.').serverOptions(),
    authenticate: basicAuth(s) ? (user, password) => userPasswordMatches(users, user, password) : undefined,
  };
}
