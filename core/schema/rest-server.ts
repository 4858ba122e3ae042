// The HTTP shell around rest-api.ts: node:http, JSON in and out, bounded
// request bodies. Served in-process by tests and embedded Rill, and by
// `rill broker` on the Schema Registry's usual port.
import * as http from 'node:http';
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
  const server = http.createServer((request, response) => {
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
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8081, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
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

function send(response: http.ServerResponse, result: RestResponse): void {
  const payload = Buffer.from(JSON.stringify(result.body));
  response.writeHead(result.status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': payload.length });
  response.end(payload);
}
