// The HTTP shell around rest-api.ts: node:http (node:https with TLS), JSON in
// and out, bounded request bodies, and optional HTTP basic auth (RFC 7617)
// checked before the body is read. Served in-process by tests and embedded
// Rill, and by `rill broker` on the Schema Registry's usual port.
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorResponse, handleRestRequest, type RestResponse } from './rest-api';
import type { SchemaRegistry } from './registry';
import { RegistryErrorCode } from './registry-error';

/** Schemas are small; anything larger is refused before it is buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface SchemaRegistryServerOptions {
  readonly registry: SchemaRegistry;
  /** 0 picks a free port (tests); Confluent's default is 8081. */
  readonly port?: number;
  readonly host?: string;
  /** Serve HTTPS with these options (certificate, key, and for client certificates a CA with requestCert); absent: HTTP. */
  readonly tls?: https.ServerOptions;
  /**
   * HTTP basic auth: whether a user name and password are good. Absent: no
   * authentication. A request without them, or with wrong ones, gets 401 and
   * a WWW-Authenticate challenge.
   */
  readonly authenticate?: (user: string, password: string) => boolean;
}

/** The protection space of the challenge (RFC 7617 section 2). */
const REALM = 'Rill Schema Registry';

/** user and password of an `Authorization: Basic` header, or undefined when there is none or it is malformed. */
function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (m === null) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Whether the request may go on; a refused one has its 401 sent (and its body left unread). */
function admitted(request: http.IncomingMessage, response: http.ServerResponse, authenticate: SchemaRegistryServerOptions['authenticate']): boolean {
  if (authenticate === undefined) return true;
  const credentials = basicCredentials(request.headers.authorization);
  if (credentials !== undefined && authenticate(credentials.user, credentials.password)) return true;
  const message = credentials === undefined ? 'Authentication required: HTTP basic auth (user and password)' : 'Bad user name or password';
  send(response, errorResponse(401, 401, message), { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"`, Connection: 'close' });
  return false;
}

export interface SchemaRegistryServer {
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:8081 */
  readonly url: string;
  close(): Promise<void>;
}

export function startSchemaRegistryServer(options: SchemaRegistryServerOptions): Promise<SchemaRegistryServer> {
  const { registry } = options;
  const host = options.host ?? '127.0.0.1';
  const serve = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (!admitted(request, response, options.authenticate)) return;
    void readJsonBody(request).then(async (body) => {
      if (body.kind === 'refused') return send(response, body.response);
      const url = new URL(request.url ?? '/', 'http://registry');
      const method = request.method ?? 'GET';
      const answer = handleRestRequest(registry, {
        method,
        path: url.pathname.replace(/\/+$/, '') || '/',
        query: url.searchParams,
        body: body.value,
      });
      // A change is acknowledged once durable; a read or a refusal needs no wait.
      send(response, method === 'GET' || answer.status >= 400 ? answer : await whenDurable(registry, answer));
    });
  };
  const server = options.tls ? https.createServer(options.tls, serve) : http.createServer(serve);

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8081, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections(); // idle keep-alive sockets would hold close() open
          }),
      });
    });
  });
}

/**
 * Over a remote `_schemas` topic (Kafka) a change is durable once the
 * registry's writes are flushed. A write that failed turns the answer into
 * the registry's storage error.
 */
async function whenDurable(registry: SchemaRegistry, answer: RestResponse): Promise<RestResponse> {
  try {
    await registry.flushed();
    return answer;
  } catch (error) {
    return errorResponse(500, RegistryErrorCode.storageError, `Could not store the registry change: ${(error as Error).message}`);
  }
}

type Body = { kind: 'json'; value: unknown } | { kind: 'refused'; response: RestResponse };

/** Buffers the body up to MAX_BODY_BYTES and parses it as JSON (empty: undefined). Never rejects. */
function readJsonBody(request: http.IncomingMessage): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES)
        tooLarge = true; // keep draining, stop keeping
      else chunks.push(chunk);
    });
    request.on('error', () => resolve({ kind: 'refused', response: errorResponse(400, 400, 'Request body could not be read') }));
    request.on('end', () => {
      if (tooLarge) return resolve({ kind: 'refused', response: errorResponse(413, 413, `Request body larger than ${MAX_BODY_BYTES} bytes`) });
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({ kind: 'json', value: undefined });
      try {
        resolve({ kind: 'json', value: JSON.parse(text) });
      } catch (error) {
        resolve({ kind: 'refused', response: errorResponse(400, 400, `Request body is not valid JSON: ${(error as Error).message}`) });
      }
    });
  });
}

function send(response: http.ServerResponse, result: RestResponse, headers: http.OutgoingHttpHeaders = {}): void {
  const payload = Buffer.from(JSON.stringify(result.body));
  response.writeHead(result.status, { ...headers, 'Content-Type': CONTENT_TYPE, 'Content-Length': payload.length });
  response.end(payload);
}
