// The Kafka listeners of a `rill broker` (either mode), from its settings:
// Kafka's `listeners`, `listener.security.protocol.map`, `advertised.listeners`
// and `sasl.enabled.mechanisms`, or -- when `listeners` is not given -- the one
// listener of --host/--port, SSL with --ssl-cert, SASL with --sasl-mechanisms.
import { UsageError } from './args';
import {
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
} as const;

/** The listener flags given, as config keys. */
export function listenerFlagsAsConfig(flags: {
  listeners?: string;
  'advertised-listeners'?: string;
  'listener-security-protocol-map'?: string;
  'sasl-mechanisms'?: string;
}): Record<string, string> {
  const out: Record<string, string> = {};
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
  for (const spec of specs)
    if (usesTls(spec.protocol) && tls === undefined)
      throw new UsageError(`listener ${spec.name} is ${spec.protocol}: give its certificate and key (--ssl-cert, --ssl-key)`);
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
    tls: usesTls(spec.protocol) ? tls : undefined,
    sasl,
  };
}

/** One warning per listener other machines reach without authentication. */
export function exposureWarnings(specs: readonly ListenerSpec[], tls: ListenerTlsOptions | undefined): string[] {
  return specs.flatMap((spec) => exposureWarning(spec, tls?.clientAuth === 'required') ?? []);
}
