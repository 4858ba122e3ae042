// Mutual TLS on the cluster's own links: controller RPC, replication between
// brokers, Raft between controllers, and the links of workers and admin tools
// to the controllers. Every node presents its certificate both as a server
// and as a client, and both ends require the other's to be signed by the
// internal CA (and, when node principals are listed, its subject to be one of
// them), so a process without such a certificate cannot join, fetch replicas
// or vote. The files are read and checked once, by core/protocol's ListenerTls
// (the Kafka listener's loader), under the setting names internal.ssl.*.
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { certificatePrincipal, ListenerTls } from '../../protocol';
import type { LinkSockets } from '../../raft';

/** The internal TLS files (PEM) and who may be a node; plain data, so it can be handed to a worker thread. */
export interface InternalTlsOptions {
  /** internal.ssl.certificate.location: this node's certificate, presented to peers and to callers. */
  readonly certFile: string;
  /** internal.ssl.key.location: its private key (unencrypted PEM). */
  readonly keyFile: string;
  /** internal.ssl.ca.location: the CA that signs every node's certificate. */
  readonly caFile: string;
  /**
   * internal.ssl.principals: the nodes' principals ("User:CN=node-1,O=Acme", as
   * Kafka writes a certificate subject). Absent or empty: any certificate the CA signed.
   */
  readonly principals?: readonly string[];
}

/** A refused peer is logged at most this often per address: a node retrying its link would fill the log. */
const REFUSAL_LOG_EVERY_MS = 10_000;
const MAX_REMEMBERED_REFUSALS = 1024;
/** OpenSSL's answers to bytes that are not a TLS handshake at all. */
const NOT_TLS = /wrong version number|unknown protocol|http request|packet length too long|unsupported protocol|record layer failure/i;

/** Kafka-style principal lists are ';'-separated: a DN has commas of its own (super.users does the same). */
export function parsePrincipals(text: string): string[] {
  return text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export class InternalTls {
  private constructor(
    private readonly files: ListenerTls,
    private readonly principals: ReadonlySet<string>,
  ) {}

  /** Reads and checks the files; throws a message naming the bad setting. */
  static load(options: InternalTlsOptions): InternalTls {
    const principals = new Set(options.principals ?? []);
    for (const p of principals)
      if (!p.startsWith('User:')) throw new Error(`internal.ssl.principals: "${p}" is not a principal (User:CN=...,O=..., as its certificate subject reads)`);
    const files = ListenerTls.load({ certFile: options.certFile, keyFile: options.keyFile, caFile: options.caFile, clientAuth: 'required' }, 'internal.');
    return new InternalTls(files, principals);
  }

  /** Why a peer's certificate (already verified against the CA) is not a node's, or undefined when it is. */
  private refusal(certificate: tls.PeerCertificate | undefined): string | undefined {
    if (this.principals.size === 0) return undefined;
    const principal = certificatePrincipal(certificate);
    return this.principals.has(principal) ? undefined : `${principal} is not one of the node principals (internal.ssl.principals)`;
  }

  /** Sockets of this node's links; `log` gets one line per refused peer (at most one per address every 10 s). */
  sockets(log: (m: string) => void): LinkSockets {
    const lastLogged = new Map<string, number>();
    const refused = (address: string, why: string) => {
      const now = Date.now();
      if (now - (lastLogged.get(address) ?? 0) < REFUSAL_LOG_EVERY_MS) return;
      if (lastLogged.size >= MAX_REMEMBERED_REFUSALS) lastLogged.clear();
      lastLogged.set(address, now);
      log(`internal TLS: refused a connection from ${address}: ${why}`);
    };
    return {
      createServer: (onSocket) => {
        const server = tls.createServer({ ...this.files.serverOptions(), noDelay: true }, (socket) => {
          const why = this.refusal(socket.getPeerCertificate());
          if (why === undefined) return onSocket(socket);
          refused(`${socket.remoteAddress}:${socket.remotePort}`, why);
          socket.destroy();
        });
        server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) =>
          refused(
            socket.remoteAddress === undefined ? 'a peer' : `${socket.remoteAddress}:${socket.remotePort}`,
            NOT_TLS.test(error.message)
              ? `it does not speak TLS (a node started without the internal TLS settings?): ${error.message}`
              : `${error.message} (a node's certificate must be signed by the internal CA, internal.ssl.ca.location)`,
          ),
        );
        return server;
      },
      connect: ({ host, port, onread }): net.Socket => {
        // node:tls takes net's onread too (its types do not say so).
        const options: tls.ConnectionOptions & { onread?: net.OnReadOpts } = {
          host,
          port,
          onread,
          ...this.files.clientOptions(),
          // The host name (or IP) is checked against the certificate as any TLS client does, then the node principals.
          checkServerIdentity: (hostname, certificate) => {
            const mismatch = tls.checkServerIdentity(hostname, certificate);
            if (mismatch !== undefined) return mismatch;
            const why = this.refusal(certificate);
            return why === undefined ? undefined : new Error(`internal TLS: ${host}:${port} is refused: ${why}`);
          },
        };
        const socket = tls.connect(options);
        socket.setNoDelay(true);
        // Say which setting a refused certificate points at, in whatever line the caller makes of the error.
        socket.prependListener('error', (e: NodeJS.ErrnoException) => {
          if (/CERT|VERIFY|SIGNATURE|ISSUER/.test(e.code ?? ''))
            e.message = `internal TLS: ${e.message} (is internal.ssl.ca.location the CA that signed the other nodes?)`;
        });
        return socket;
      },
    };
  }
}
