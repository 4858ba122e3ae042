// Kafka's listener settings: `listeners` (NAME://HOST:PORT, comma-separated),
// `listener.security.protocol.map` (NAME:PROTOCOL for names that are not a
// protocol themselves) and `advertised.listeners` (the address clients are told
// per name). Parsed and checked here; the broker starts one KafkaServer per listener.
import { isIP } from 'node:net';

/** Kafka's security.protocol of a listener. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export interface ListenerSpec {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  /** Address to bind; an empty host in `listeners` binds loopback (127.0.0.1). */
  readonly host: string;
  readonly port: number;
  /** From advertised.listeners; absent: the address each client connected to. */
  readonly advertisedHost?: string;
  readonly advertisedPort?: number;
}

export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

export function usesSasl(protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

const ENTRY = /^([A-Za-z][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/;

function parseEntries(text: string, setting: string): { name: string; host: string; port: number }[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((entry) => {
      const m = ENTRY.exec(entry);
      if (m === null) throw new Error(`${setting}: "${entry}" is not NAME://HOST:PORT`);
      const port = Number(m[3]);
      if (port > 65535) throw new Error(`${setting}: port ${port} of "${entry}" is above 65535`);
      return { name: m[1].toUpperCase(), host: m[2].replace(/^\[|\]$/g, ''), port };
    });
  const names = entries.map((e) => e.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`${setting}: listener name ${twice} appears twice`);
  return entries;
}

function parseProtocolMap(text: string | undefined): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>(SECURITY_PROTOCOLS.map((p) => [p, p]));
  for (const pair of (text ?? '').split(',').map((p) => p.trim())) {
    if (pair === '') continue;
    const [name, protocol, extra] = pair.split(':').map((s) => s.trim().toUpperCase());
    if (!name || extra !== undefined || !(SECURITY_PROTOCOLS as readonly string[]).includes(protocol))
      throw new Error(`listener.security.protocol.map: "${pair}" is not NAME:PROTOCOL (PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')})`);
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

/** The listeners of the settings; throws a message naming the bad setting. */
export function parseListeners(listeners: string, protocolMap?: string, advertisedListeners?: string): ListenerSpec[] {
  const map = parseProtocolMap(protocolMap);
  const bound = parseEntries(listeners, 'listeners');
  if (bound.length === 0) throw new Error('listeners: no listener given');
  const advertised = new Map(parseEntries(advertisedListeners ?? '', 'advertised.listeners').map((a) => [a.name, a]));
  for (const name of advertised.keys())
    if (!bound.some((b) => b.name === name))
      throw new Error(`advertised.listeners: ${name} is not one of the listeners (${bound.map((b) => b.name).join(', ')})`);
  const ports = bound.map((b) => b.port).filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) throw new Error('listeners: two listeners on the same port');
  return bound.map((b) => {
    const protocol = map.get(b.name);
    if (protocol === undefined)
      throw new Error(`listeners: ${b.name} is not a security protocol: map it with listener.security.protocol.map=${b.name}:SASL_SSL (or another protocol)`);
    const a = advertised.get(b.name);
    if (a !== undefined && (a.host === '' || a.port === 0)) throw new Error(`advertised.listeners: ${a.name} needs a host and a non-zero port`);
    return { name: b.name, protocol, host: b.host === '' ? '127.0.0.1' : b.host, port: b.port, advertisedHost: a?.host, advertisedPort: a?.port };
  });
}

/** Whether only this machine can reach an address. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The warning a listener deserves at start: reachable from other machines
 * with nobody authenticated (PLAINTEXT, or SSL without required client certificates).
 */
export function exposureWarning(spec: ListenerSpec, clientCertificatesRequired: boolean): string | undefined {
  if (isLoopback(spec.host) || usesSasl(spec.protocol) || (spec.protocol === 'SSL' && clientCertificatesRequired)) return undefined;
  return `listener ${spec.name} (${spec.protocol}) on ${spec.host}:${spec.port} is reachable from other machines and authenticates no one: anyone who reaches it can read, write and delete every topic (use SASL_SSL, or SSL with ssl.client.auth=required; docs/security.md)`;
}
