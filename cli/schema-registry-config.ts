// The schema registry's HTTP security on `rill broker`: TLS (its own
// certificate and key, optionally a CA and client certificates) and HTTP
// basic auth checked against the broker's SCRAM users (the users of `rill
// user`, the same the Kafka listeners authenticate: no second user list).
// Config keys are schema.registry.ssl.* (the Kafka listener's ssl.* names) and
// schema.registry.authentication.method (Confluent's authentication.method).
import type { HttpSecurity, PasswordCheck } from '../core/http';
import { UsageError } from './args';
import { type ClientAuth, isLoopback } from '../core/protocol';
import { type HttpSecuritySettings, httpSecurityFlags, loadHttpSecurity } from './http-security';
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

export const SCHEMA_REGISTRY_FLAGS = httpSecurityFlags('schema-registry', 'the schema registry', "the broker's users (rill user)", 'schema.registry');

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
  tlsOfSettings(httpSettings(s), NAMES);
}

const NAMES = { keys: 'schema.registry.ssl', flags: '--schema-registry-ssl', server: 'schema registry' };

function httpSettings(s: SchemaRegistrySecuritySettings): HttpSecuritySettings {
  return {
    cert: s.schemaRegistrySslCertFile,
    key: s.schemaRegistrySslKeyFile,
    ca: s.schemaRegistrySslCaFile,
    clientAuth: s.schemaRegistrySslClientAuth,
    basicAuth: basicAuth(s),
  };
}

/**
 * What startSchemaRegistryServer takes for the settings: its HTTPS options, its
 * basic auth over `users`. Throws a message naming the setting of a file it
 * cannot use (the command reports it and exits before serving).
 */
export function schemaRegistrySecurity(s: SchemaRegistrySecuritySettings, users: PasswordCheck | undefined, noUsers: string): HttpSecurity {
  return loadHttpSecurity(httpSettings(s), NAMES, users, noUsers).security;
}
