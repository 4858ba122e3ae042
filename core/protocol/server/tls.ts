// TLS on the Kafka listener (Kafka's SSL listener with PEM files): the files are
// read and checked once at start (a missing file or a key that does not match
// its certificate fails before the port is bound), and the listener is a
// node:tls server over them. With client certificates (ssl.client.auth
// requested or required) a connection's principal is "User:<subject DN>".
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

/** Kafka's ssl.client.auth. */
export type ClientAuth = 'none' | 'requested' | 'required';

export const CLIENT_AUTH_VALUES: readonly ClientAuth[] = ['none', 'requested', 'required'];

/** The listener's TLS files (PEM), as an operator names them. */
export interface ListenerTlsOptions {
  /** ssl.certificate.location: the broker's certificate chain. */
  certFile: string;
  /** ssl.key.location: its private key (unencrypted PEM). */
  keyFile: string;
  /** ssl.ca.location: CAs trusted for client certificates. Required when clientAuth is not 'none'. */
  caFile?: string;
  /** ssl.client.auth. Default 'none'. */
  clientAuth?: ClientAuth;
  /** A handshake not finished by then closes the connection. Default 10 s. */
  handshakeTimeoutMs?: number;
}

/** Kafka's principal of a connection without a client certificate. */
export const ANONYMOUS = 'User:ANONYMOUS';

/** The listener's TLS, checked: the options of its node:tls server. */
export class ListenerTls {
  private constructor(
    private readonly pems: Pick<tls.SecureContextOptions, 'cert' | 'key' | 'ca'>,
    readonly clientAuth: ClientAuth,
    readonly handshakeTimeoutMs: number,
  ) {}

  /**
   * Reads and checks the files; throws a message naming the bad one (its
   * setting behind `settingPrefix`: "internal." for the cluster's own links).
   */
  static load(options: ListenerTlsOptions, settingPrefix = ''): ListenerTls {
    const clientAuth = options.clientAuth ?? 'none';
    const setting = (name: string) => `${settingPrefix}ssl.${name}`;
    if (!CLIENT_AUTH_VALUES.includes(clientAuth))
      throw new Error(`${setting('client.auth')} must be one of ${CLIENT_AUTH_VALUES.join(', ')}, not "${clientAuth}"`);
    if (clientAuth !== 'none' && !options.caFile)
      throw new Error(`${setting('client.auth')}=${clientAuth} needs ${setting('ca.location')} (the CA that signs client certificates)`);
    const cert = readPem(options.certFile, setting('certificate.location'));
    const key = readPem(options.keyFile, setting('key.location'));
    const ca = options.caFile ? readPem(options.caFile, setting('ca.location')) : undefined;
    try {
      tls.createSecureContext({ cert, key, ca }); // what the listener's server makes of them, made once to check them
    } catch (e) {
      throw new Error(
        `TLS: cannot use certificate ${options.certFile} with key ${options.keyFile}${ca ? ` and CA ${options.caFile}` : ''}: ${(e as Error).message}`,
      );
    }
    return new ListenerTls({ cert, key, ca }, clientAuth, options.handshakeTimeoutMs ?? 10_000);
  }

  /** The certificate, key and CA, for a client that presents the same identity (a cluster node calling another). */
  clientOptions(): tls.ConnectionOptions {
    return { ...this.pems };
  }

  /** The options of the listener's tls.Server (a failed or late handshake is its 'tlsClientError'). */
  serverOptions(): tls.TlsOptions {
    return {
      ...this.pems,
      requestCert: this.clientAuth !== 'none',
      rejectUnauthorized: this.clientAuth === 'required',
      handshakeTimeout: this.handshakeTimeoutMs,
    };
  }
}

/** "User:<subject DN>" from a verified client certificate, else User:ANONYMOUS. */
export function principalOf(socket: tls.TLSSocket): string {
  return socket.authorized ? certificatePrincipal(socket.getPeerCertificate()) : ANONYMOUS;
}

/** "User:<subject DN>" of a certificate (verified by the caller), User:ANONYMOUS when it has no subject. */
export function certificatePrincipal(certificate: tls.PeerCertificate | undefined): string {
  const subject = certificate?.subject;
  if (!subject || Object.keys(subject).length === 0) return ANONYMOUS;
  // Kafka writes the DN most specific first (RFC 2253): CN=...,OU=...,O=...,C=...
  const parts = Object.entries(subject).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`);
  return `User:${parts.reverse().join(',')}`;
}

function readPem(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${setting}: cannot read ${file}: ${(e as Error).message}`);
  }
}
