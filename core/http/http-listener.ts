// An HTTP(S) listener with optional TLS and optional HTTP basic auth (RFC
// 7617), for every HTTP endpoint Rill serves: the schema registry, interactive
// queries, the console and /metrics. One place decides how a request is
// admitted, so every endpoint refuses the same way: a missing or wrong
// credential gets 401 with a WWW-Authenticate challenge (and nothing else), a
// failed TLS handshake (a wrong or missing client certificate, plaintext sent
// to the TLS port) closes that connection, and the listener goes on serving
// the others.
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type * as tls from 'node:tls';
import { basicCredentials } from './basic-auth';

/** Checks a user name and password (the users of `rill user`, wherever the caller keeps them). */
export type PasswordCheck = (user: string, password: string) => boolean | Promise<boolean>;

/** How an endpoint is protected; empty: plain HTTP, nobody asked. */
export interface HttpSecurity {
  /**
   * Serve HTTPS with these node:tls options: cert and key; with ca,
   * requestCert and rejectUnauthorized a client certificate signed by that CA
   * is asked for (and required).
   */
  readonly tls?: tls.TlsOptions;
  /** HTTP basic auth: whether a user name and password are good. Absent: no authentication. */
  readonly authenticate?: PasswordCheck;
}

/** Who sent an admitted request. */
export interface Caller {
  /** The basic-auth user name, when the endpoint asks for one. */
  readonly user?: string;
  /** The client's address. */
  readonly host: string;
}

export type HttpHandler = (request: http.IncomingMessage, response: http.ServerResponse, caller: Caller) => void;

/** The answer to a refused request: its body and content type. */
export type Refusal = (status: number, message: string) => { readonly type: string; readonly body: string };

export interface HttpListenerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly security?: HttpSecurity;
  /** The protection space named in the 401 challenge (RFC 7617 section 2), e.g. "Rill metrics". */
  readonly realm: string;
  readonly handle: HttpHandler;
  /** The body of a 401; default JSON {"error_code": 401, "message": ...} (Confluent's shape). */
  readonly refusal?: Refusal;
  /** More connections than this are refused (default: no limit). */
  readonly maxConnections?: number;
  /** A request whose headers or body take longer is cut off (default 10 s). */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** A TLS handshake not finished by then closes the connection. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export const jsonRefusal: Refusal = (status, message) => ({
  type: 'application/json; charset=utf-8',
  body: JSON.stringify({ error_code: status, message }),
});

export interface HttpListener {
  readonly port: number;
  readonly host: string;
  /** https when it serves TLS. */
  readonly scheme: 'http' | 'https';
  /** scheme://host:port */
  readonly url: string;
  close(): Promise<void>;
}

/** Listens; rejects when the port cannot be bound. */
export function startHttpListener(options: HttpListenerOptions): Promise<HttpListener> {
  const { security = {} } = options;
  const host = options.host ?? '127.0.0.1';
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const serverOptions: http.ServerOptions = { requestTimeout: timeout, headersTimeout: timeout };
  const serve = (request: http.IncomingMessage, response: http.ServerResponse) => admit(request, response, options);
  const server = security.tls
    ? https.createServer({ handshakeTimeout: HANDSHAKE_TIMEOUT_MS, ...security.tls, ...serverOptions }, serve)
    : http.createServer(serverOptions, serve);
  // A refused handshake (untrusted or missing client certificate, plaintext to this port) ends that connection only.
  server.on('tlsClientError', (_e: Error, socket: tls.TLSSocket) => socket.destroy());
  server.on('clientError', (_e: Error, socket) => socket.destroy());
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  server.keepAliveTimeout = 5_000;
  const scheme = security.tls ? 'https' : 'http';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        host,
        scheme,
        url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections(); // idle keep-alive sockets would hold close() open
          }),
      });
    });
  });
}

/** Runs the handler for a request with good credentials (or on an endpoint that asks for none); answers 401 to the others, their body unread. */
function admit(request: http.IncomingMessage, response: http.ServerResponse, options: HttpListenerOptions): void {
  const host = request.socket.remoteAddress ?? 'unknown';
  const authenticate = options.security?.authenticate;
  if (authenticate === undefined) return options.handle(request, response, { host });
  const credentials = basicCredentials(request.headers.authorization);
  const refuse = (message: string) => {
    const { type, body } = (options.refusal ?? jsonRefusal)(401, message);
    response.writeHead(401, {
      'WWW-Authenticate': `Basic realm="${options.realm}", charset="UTF-8"`,
      Connection: 'close',
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
  };
  if (credentials === undefined) return refuse('Authentication required: HTTP basic auth (user and password)');
  Promise.resolve()
    .then(() => authenticate(credentials.user, credentials.password))
    .then(
      (good) => (good ? options.handle(request, response, { user: credentials.user, host }) : refuse('Bad user name or password')),
      // The user check itself failed (its broker unreachable): nobody is let in, and the caller learns why.
      (e: unknown) => refuse(`Cannot check the password now: ${e instanceof Error ? e.message : String(e)}`),
    );
}
