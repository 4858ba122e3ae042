// The Kafka listeners of a `rill broker` (either mode), from its settings:
// Kafka's `listeners`, `listener.security.protocol.map`, `advertised.listeners`
// and `sasl.enabled.mechanisms`, or -- when `listeners` is not given -- the one
// listener of --host/--port, SSL with --ssl-cert, SASL with --sasl-mechanisms.
// Each SSL or SASL_SSL listener may have TLS files of its own (Kafka's
// `listener.name.<name>.ssl.*` overrides, flags --listener-ssl-cert NAME=FILE ...);
// a setting a listener does not override is the broker's `ssl.*` one.
import { UsageError } from './args';
import { tlsOfSettings } from './tls-settings';
import {
  CLIENT_AUTH_VALUES,
  type ClientAuth,
  exposureWarning,
  type ListenerSasl,
  type ListenerSpec,
  type ListenerTlsOptions,
  parseListeners,
  SASL_MECHANISM_NAMES,
  type SecurityPort,
  usesSasl,
  usesTls,
} from '../core/protocol';

/** The settings listeners are made of (a subset of BrokerSettings). */
export interface ListenerSettings {
  host: string;
  port: number;
  advertisedHost?: string;
  listeners?: string;
  listenerSecurityProtocolMap?: string;
  advertisedListeners?: string;
  saslEnabledMechanisms?: string;
  saslServerMaxReceiveSize?: number;
  saslHandshakeTimeoutMs?: number;
  /** connections.max.reauth.ms (KIP-368); 0 or absent: no re-authentication. */
  connectionsMaxReauthMs?: number;
  /** listener.name.<name>.ssl.*: TLS files of one listener, by its upper-case name. */
  listenerSsl?: Record<string, ListenerSslOverride>;
}

/** The ssl.* settings one listener overrides (listener.name.<name>.ssl.*). */
export interface ListenerSslOverride {
  cert?: string;
  key?: string;
  ca?: string;
  clientAuth?: ClientAuth;
}

/** The ssl.* keys a listener may override, Kafka's PEM names, and the override each fills. */
const LISTENER_SSL_KEYS = {
  'ssl.certificate.location': 'cert',
  'ssl.key.location': 'key',
  'ssl.ca.location': 'ca',
  'ssl.client.auth': 'clientAuth',
} as const satisfies Record<string, keyof ListenerSslOverride>;

const LISTENER_SSL_KEY = /^listener\.name\.([A-Za-z][A-Za-z0-9_]*)\.(ssl\.[a-z.]+)$/;

/** Whether a config key is a listener's TLS override (listener.name.<name>.ssl.*). */
export function isListenerSslKey(key: string): boolean {
  return LISTENER_SSL_KEY.test(key);
}

/**
 * Records one listener.name.<name>.ssl.* setting (`source` names the file or
 * "flags" in errors); throws a UsageError for a key Rill does not know or a bad value.
 */
export function applyListenerSslKey(settings: Pick<ListenerSettings, 'listenerSsl'>, key: string, value: string, source: string): void {
  const m = LISTENER_SSL_KEY.exec(key);
  const field = m && (LISTENER_SSL_KEYS as Record<string, keyof ListenerSslOverride>)[m[2]];
  if (!m || !field)
    throw new UsageError(`${source}: "${key}" is not a listener TLS setting; known: listener.name.<name>.{${Object.keys(LISTENER_SSL_KEYS).join(',')}}`);
  if (value === '') throw new UsageError(`${source}: "${key}" must be non-empty`);
  if (field === 'clientAuth' && !(CLIENT_AUTH_VALUES as readonly string[]).includes(value))
    throw new UsageError(`${source}: "${key}" must be ${CLIENT_AUTH_VALUES.join(', ')}, got "${value}"`);
  const name = m[1].toUpperCase();
  const all = (settings.listenerSsl ??= {});
  all[name] = { ...all[name], [field]: value };
}

/** The TLS of one listener: its own listener.name.<name>.ssl.* files over the broker's ssl.* ones. */
export function listenerTlsOf(
  spec: ListenerSpec,
  s: Pick<ListenerSettings, 'listenerSsl'>,
  shared: ListenerTlsOptions | undefined,
): ListenerTlsOptions | undefined {
  if (!usesTls(spec.protocol)) return undefined;
  const own = s.listenerSsl?.[spec.name];
  if (own === undefined) return shared;
  const keys = `listener.name.${spec.name.toLowerCase()}.ssl`;
  // Certificate and key are one identity: a listener names both or neither (then the broker's pair).
  if ((own.cert === undefined) !== (own.key === undefined))
    throw new UsageError(`${keys}.certificate.location and ${keys}.key.location go together: give both (or neither, for the broker's ssl.* pair)`);
  const tls = tlsOfSettings(
    {
      cert: own.cert ?? shared?.certFile,
      key: own.key ?? shared?.keyFile,
      ca: own.ca ?? shared?.caFile,
      clientAuth: own.clientAuth ?? shared?.clientAuth,
    },
    { keys, flags: `--listener-ssl`, server: `listener ${spec.name}` },
  );
  return tls;
}

/** Config keys of the listener settings (Kafka's names; sasl.handshake.timeout.ms is Rill's). */
export const LISTENER_KEYS = {
  listeners: { setting: 'listeners', kind: 'string' },
  'listener.security.protocol.map': { setting: 'listenerSecurityProtocolMap', kind: 'string' },
  'advertised.listeners': { setting: 'advertisedListeners', kind: 'string' },
  'sasl.enabled.mechanisms': { setting: 'saslEnabledMechanisms', kind: 'string' },
  'sasl.server.max.receive.size': { setting: 'saslServerMaxReceiveSize', kind: 'int' },
  'sasl.handshake.timeout.ms': { setting: 'saslHandshakeTimeoutMs', kind: 'int' },
  'connections.max.reauth.ms': { setting: 'connectionsMaxReauthMs', kind: 'int' },
} as const;

/** SCRAM only by default: PLAIN sends the password itself, so it is enabled by name (over SASL_SSL). */
export const DEFAULT_SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

export const LISTENER_FLAGS = {
  listeners: {
    kind: 'string',
    arg: 'LIST',
    help: 'Kafka listeners NAME://HOST:PORT,... (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL or a mapped name), instead of --host/--port; config key listeners',
  },
  'advertised-listeners': { kind: 'string', arg: 'LIST', help: 'NAME://HOST:PORT clients are told per listener; config key advertised.listeners' },
  'listener-security-protocol-map': {
    kind: 'string',
    arg: 'NAME:PROTO,...',
    help: 'protocols of listener names that are not one (INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL); config key listener.security.protocol.map',
  },
  'sasl-mechanisms': {
    kind: 'string',
    arg: 'LIST',
    help: `SASL mechanisms of the SASL listeners (${SASL_MECHANISM_NAMES.join(', ')}); without --listeners it makes the listener SASL_PLAINTEXT (SASL_SSL with --ssl-cert); config key sasl.enabled.mechanisms`,
    defaultText: DEFAULT_SASL_MECHANISMS.join(','),
  },
  'connections-max-reauth-ms': {
    kind: 'number',
    arg: 'MS',
    help: 'KIP-368: how long a SASL authentication lasts before the client must re-authenticate on its connection (0: until it closes); config key connections.max.reauth.ms',
    defaultText: '0',
  },
  'listener-ssl-cert': {
    kind: 'strings',
    arg: 'NAME=FILE',
    help: "one SSL/SASL_SSL listener's own certificate (PEM), instead of --ssl-cert (repeat per listener); config key listener.name.<name>.ssl.certificate.location",
  },
  'listener-ssl-key': { kind: 'strings', arg: 'NAME=FILE', help: 'its private key (PEM); config key listener.name.<name>.ssl.key.location' },
  'listener-ssl-ca': {
    kind: 'strings',
    arg: 'NAME=FILE',
    help: 'CA certificates that listener trusts for client certificates, instead of --ssl-ca; config key listener.name.<name>.ssl.ca.location',
  },
  'listener-ssl-client-auth': {
    kind: 'strings',
    arg: 'NAME=none|requested|required',
    help: 'client certificates on that listener, instead of --ssl-client-auth; config key listener.name.<name>.ssl.client.auth',
  },
} as const;

/** The per-listener TLS flags and the listener.name.<name>.ssl.* key each stands for. */
const LISTENER_SSL_FLAGS = {
  'listener-ssl-cert': 'ssl.certificate.location',
  'listener-ssl-key': 'ssl.key.location',
  'listener-ssl-ca': 'ssl.ca.location',
  'listener-ssl-client-auth': 'ssl.client.auth',
} as const;

/** --listener-ssl-* NAME=VALUE flags as listener.name.<name>.ssl.* config keys. */
export function listenerSslFlagsAsConfig(flags: Partial<Record<keyof typeof LISTENER_SSL_FLAGS, string[]>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [flag, key] of Object.entries(LISTENER_SSL_FLAGS)) {
    for (const given of flags[flag as keyof typeof LISTENER_SSL_FLAGS] ?? []) {
      const eq = given.indexOf('=');
      if (eq <= 0 || eq === given.length - 1) throw new UsageError(`--${flag}: "${given}" is not NAME=VALUE (the listener's name, as in --listeners)`);
      out[`listener.name.${given.slice(0, eq).toLowerCase()}.${key}`] = given.slice(eq + 1);
    }
  }
  return out;
}

/** The listener flags given, as config keys. */
export function listenerFlagsAsConfig(
  flags: {
    listeners?: string;
    'advertised-listeners'?: string;
    'listener-security-protocol-map'?: string;
    'sasl-mechanisms'?: string;
    'connections-max-reauth-ms'?: number;
  } & Parameters<typeof listenerSslFlagsAsConfig>[0],
): Record<string, string> {
  const out: Record<string, string> = listenerSslFlagsAsConfig(flags);
  if (flags['connections-max-reauth-ms'] !== undefined) out['connections.max.reauth.ms'] = String(flags['connections-max-reauth-ms']);
  if (flags.listeners !== undefined) out.listeners = flags.listeners;
  if (flags['advertised-listeners'] !== undefined) out['advertised.listeners'] = flags['advertised-listeners'];
  if (flags['listener-security-protocol-map'] !== undefined) out['listener.security.protocol.map'] = flags['listener-security-protocol-map'];
  if (flags['sasl-mechanisms'] !== undefined) out['sasl.enabled.mechanisms'] = flags['sasl-mechanisms'];
  return out;
}

/** sasl.enabled.mechanisms, checked (SCRAM-SHA-256 and SCRAM-SHA-512 when not given). */
export function enabledSaslMechanisms(s: Pick<ListenerSettings, 'saslEnabledMechanisms'>): string[] {
  if (s.saslEnabledMechanisms === undefined) return DEFAULT_SASL_MECHANISMS;
  const named = s.saslEnabledMechanisms
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== '');
  const unknown = named.filter((m) => !SASL_MECHANISM_NAMES.includes(m));
  if (named.length === 0 || unknown.length > 0)
    throw new UsageError(`sasl.enabled.mechanisms must name some of ${SASL_MECHANISM_NAMES.join(', ')}, not "${s.saslEnabledMechanisms}"`);
  return named;
}

/** The listeners to serve; throws a UsageError on settings that do not go together. */
export function brokerListeners(s: ListenerSettings, tls: ListenerTlsOptions | undefined): ListenerSpec[] {
  let specs: ListenerSpec[];
  if (s.listeners !== undefined) {
    try {
      specs = parseListeners(s.listeners, s.listenerSecurityProtocolMap, s.advertisedListeners);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else {
    if (s.advertisedListeners !== undefined || s.listenerSecurityProtocolMap !== undefined)
      throw new UsageError('advertised.listeners and listener.security.protocol.map need listeners (--listeners)');
    const sasl = s.saslEnabledMechanisms !== undefined;
    const protocol = sasl ? (tls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : tls ? 'SSL' : 'PLAINTEXT';
    specs = [{ name: protocol, protocol, host: s.host, port: s.port, advertisedHost: s.advertisedHost }];
  }
  for (const name of Object.keys(s.listenerSsl ?? {})) {
    const spec = specs.find((l) => l.name === name);
    if (spec === undefined)
      throw new UsageError(`listener.name.${name.toLowerCase()}.ssl.*: ${name} is not one of the listeners (${specs.map((l) => l.name).join(', ')})`);
    if (!usesTls(spec.protocol))
      throw new UsageError(`listener.name.${name.toLowerCase()}.ssl.*: listener ${name} is ${spec.protocol}, which has no TLS (SSL or SASL_SSL has)`);
  }
  for (const spec of specs)
    if (usesTls(spec.protocol) && listenerTlsOf(spec, s, tls) === undefined)
      throw new UsageError(
        `listener ${spec.name} is ${spec.protocol}: give its certificate and key (--ssl-cert, --ssl-key, or --listener-ssl-cert/--listener-ssl-key ${spec.name}=FILE)`,
      );
  if (specs.some((l) => usesSasl(l.protocol))) enabledSaslMechanisms(s); // bad mechanisms fail here
  return specs;
}

/** What KafkaServer.start needs of one listener besides the broker and its bounds. */
export function listenerServerOptions(
  spec: ListenerSpec,
  s: ListenerSettings,
  tls: ListenerTlsOptions | undefined,
  security: SecurityPort | undefined,
): { host: string; port: number; advertisedHost?: string; advertisedPort?: number; tls?: ListenerTlsOptions; sasl?: ListenerSasl } {
  let sasl: ListenerSasl | undefined;
  if (usesSasl(spec.protocol)) {
    if (security === undefined) throw new UsageError(`listener ${spec.name} is ${spec.protocol} but this node has no credential store`);
    sasl = {
      mechanisms: enabledSaslMechanisms(s),
      security,
      maxReceiveBytes: s.saslServerMaxReceiveSize,
      handshakeTimeoutMs: s.saslHandshakeTimeoutMs,
      reauthMs: s.connectionsMaxReauthMs,
    };
  }
  return {
    host: spec.host,
    port: spec.port,
    advertisedHost: spec.advertisedHost,
    advertisedPort: spec.advertisedPort,
    tls: listenerTlsOf(spec, s, tls),
    sasl,
  };
}

/** One warning per listener other machines reach without authentication. */
export function exposureWarnings(specs: readonly ListenerSpec[], tls: ListenerTlsOptions | undefined, s: Pick<ListenerSettings, 'listenerSsl'> = {}): string[] {
  return specs.flatMap((spec) => exposureWarning(spec, listenerTlsOf(spec, s, tls)?.clientAuth === 'required') ?? []);
}
