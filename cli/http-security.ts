// The security flags of every HTTP endpoint the commands serve, one naming
// scheme for all: --<endpoint>-ssl-cert/-ssl-key/-ssl-ca/-ssl-client-auth
// (HTTPS, optionally with client certificates) and --<endpoint>-basic-auth
// (HTTP basic auth against the users of `rill user`), for the endpoints
// schema-registry, metrics, console and query. What the flags make is
// core/http's HttpSecurity.
import type * as tls from 'node:tls';
import type { HttpSecurity, PasswordCheck } from '../core/http';
import { CLIENT_AUTH_VALUES, type ClientAuth, ListenerTls } from '../core/protocol';
import { UsageError } from './args';
import { tlsOfSettings } from './tls-settings';

type FileFlag = { readonly kind: 'string'; readonly arg: 'FILE'; readonly help: string };

/** The flags of one endpoint, named after its prefix. */
export type HttpSecurityFlags<P extends string> = { readonly [K in `${P}-ssl-cert` | `${P}-ssl-key` | `${P}-ssl-ca`]: FileFlag } & {
  readonly [K in `${P}-ssl-client-auth`]: { readonly kind: 'string'; readonly arg: string; readonly help: string; readonly defaultText: string };
} & { readonly [K in `${P}-basic-auth`]: { readonly kind: 'boolean'; readonly help: string } };

/** One endpoint's security settings as given (flags or config keys). */
export interface HttpSecuritySettings {
  cert?: string;
  key?: string;
  ca?: string;
  clientAuth?: ClientAuth;
  basicAuth?: boolean;
}

/**
 * The flags of the endpoint `prefix` ("metrics", "console", ...), `what` named
 * in their help ("the metrics port"); `configKeys`: the config-key prefix
 * each flag's help names too ("schema.registry" for the broker's registry).
 */
export function httpSecurityFlags<P extends string>(prefix: P, what: string, users: string, configKeys?: string): HttpSecurityFlags<P> {
  const key = (name: string) => (configKeys === undefined ? '' : `; config key ${configKeys}.${name}`);
  return {
    [`${prefix}-ssl-cert`]: { kind: 'string', arg: 'FILE', help: `a certificate (PEM) for ${what}: serves HTTPS${key('ssl.certificate.location')}` },
    [`${prefix}-ssl-key`]: { kind: 'string', arg: 'FILE', help: `its private key (PEM)${key('ssl.key.location')}` },
    [`${prefix}-ssl-ca`]: { kind: 'string', arg: 'FILE', help: `CAs trusted for client certificates on ${what} (PEM)${key('ssl.ca.location')}` },
    [`${prefix}-ssl-client-auth`]: {
      kind: 'string',
      arg: CLIENT_AUTH_VALUES.join('|'),
      help: `client certificates on ${what}${key('ssl.client.auth')}`,
      defaultText: 'none',
    },
    [`${prefix}-basic-auth`]: {
      kind: 'boolean',
      help: `HTTP basic auth on ${what}, checked against ${users}${configKeys === undefined ? '' : `; config key ${configKeys}.authentication.method=BASIC`}`,
    },
  } as HttpSecurityFlags<P>;
}

/** The settings the flags of `prefix` give; a bad --PREFIX-ssl-client-auth is refused. */
export function httpSecuritySettings(flags: Readonly<Record<string, unknown>>, prefix: string): HttpSecuritySettings {
  const text = (name: string) => flags[`${prefix}-${name}`] as string | undefined;
  const clientAuth = text('ssl-client-auth');
  if (clientAuth !== undefined && !(CLIENT_AUTH_VALUES as readonly string[]).includes(clientAuth))
    throw new UsageError(`--${prefix}-ssl-client-auth must be one of ${CLIENT_AUTH_VALUES.join(', ')}, not "${clientAuth}"`);
  return {
    cert: text('ssl-cert'),
    key: text('ssl-key'),
    ca: text('ssl-ca'),
    clientAuth: clientAuth as ClientAuth | undefined,
    basicAuth: flags[`${prefix}-basic-auth`] === true,
  };
}

/** Whether the settings ask for anything (TLS or basic auth). */
export function asksForSecurity(s: HttpSecuritySettings): boolean {
  return s.basicAuth === true || s.cert !== undefined || s.key !== undefined || s.ca !== undefined || s.clientAuth !== undefined;
}

/** An endpoint's protection, and the TLS it calls its peers with (the interactive queries forwarding to each other). */
export interface LoadedHttpSecurity {
  readonly security: HttpSecurity;
  /** Its CA and its own certificate (a peer may require one), for its calls to other instances; undefined without TLS. */
  readonly peerTls?: tls.ConnectionOptions;
}

/**
 * Reads the files of the settings (a missing file or a key that does not fit
 * its certificate is refused, naming the flag) and puts basic auth on `users`;
 * basic auth without a user check is refused with `noUsers`, which says what to give.
 */
export function loadHttpSecurity(
  s: HttpSecuritySettings,
  names: { keys?: string; flags: string; server: string },
  users: PasswordCheck | undefined,
  noUsers: string,
): LoadedHttpSecurity {
  const files = tlsOfSettings(s, names);
  if (s.basicAuth && users === undefined) throw new UsageError(noUsers);
  let tlsOptions: ListenerTls | undefined;
  try {
    tlsOptions = files && ListenerTls.load(files, names.keys?.replace(/ssl$/, '') ?? '');
  } catch (e) {
    throw new UsageError(names.keys === undefined ? `${names.flags}-*: ${(e as Error).message}` : (e as Error).message);
  }
  return {
    security: { tls: tlsOptions?.serverOptions(), authenticate: s.basicAuth ? users : undefined },
    peerTls: tlsOptions?.clientOptions(),
  };
}

/**
 * The protection of the endpoint `prefix` from its flags (undefined when none
 * is given): its files loaded, basic auth on `users`.
 */
export function endpointSecurity(
  flags: Readonly<Record<string, unknown>>,
  prefix: string,
  server: string,
  users: PasswordCheck | undefined,
  noUsers = `--${prefix}-basic-auth: this command has no users to check passwords against`,
): LoadedHttpSecurity | undefined {
  const settings = httpSecuritySettings(flags, prefix);
  return asksForSecurity(settings) ? loadHttpSecurity(settings, { flags: `--${prefix}-ssl`, server }, users, noUsers) : undefined;
}
