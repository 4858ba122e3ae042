// The HTTP shell around rest-api.ts: JSON in and out and bounded request
// bodies, on core/http's listener (HTTPS with TLS, basic auth checked before
// the body is read), and with an authorizer the ACL checks of
// subject-access.ts. Served in-process by tests and embedded Rill, by `rill
// broker` on the Schema Registry's usual port, and by `rill schema-registry`.
import type * as http from 'node:http';
import { type Caller, type HttpSecurity, startHttpListener } from '../http';
import { errorResponse, handleRestRequest, type RestRequest, type RestResponse } from './rest-api';
import type { SchemaRegistry } from './registry';
import { RegistryErrorCode } from './registry-error';
import { deniedMessage, FORBIDDEN_ERROR_CODE, type RegistryAuthorizer, requestAccess, subjectAccess } from './subject-access';

/** Schemas are small; anything larger is refused before it is buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface SchemaRegistryServerOptions extends HttpSecurity {
  readonly registry: SchemaRegistry;
  /** 0 picks a free port (tests); Confluent's default is 8081. */
  readonly port?: number;
  readonly host?: string;
  /**
   * ACL checks on subjects (subject-access.ts): absent, every admitted caller
   * may do everything. The principal is "User:<basic-auth user>", or
   * User:ANONYMOUS without basic auth.
   */
  readonly authorize?: RegistryAuthorizer;
}

export interface SchemaRegistryServer {
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:8081 */
  readonly url: string;
  close(): Promise<void>;
}

export async function startSchemaRegistryServer(options: SchemaRegistryServerOptions): Promise<SchemaRegistryServer> {
  const { registry } = options;
  const serve = (request: http.IncomingMessage, response: http.ServerResponse, caller: Caller) =>
    void readJsonBody(request).then(async (body) => {
      if (body.kind === 'refused') return send(response, body.response);
      const url = new URL(request.url ?? '/', 'http://registry');
      const method = request.method ?? 'GET';
      const rest: RestRequest = { method, path: url.pathname.replace(/\/+$/, '') || '/', query: url.searchParams, body: body.value };
      const answer = options.authorize ? authorizedAnswer(registry, rest, options.authorize, caller) : handleRestRequest(registry, rest);
      // A change is acknowledged once durable; a read or a refusal needs no wait.
      send(response, method === 'GET' || answer.status >= 400 ? answer : await whenDurable(registry, answer));
    });
  const listener = await startHttpListener({
    port: options.port ?? 8081,
    host: options.host,
    security: options,
    realm: 'Rill Schema Registry',
    handle: serve,
    refusal: (status, message) => ({ type: CONTENT_TYPE, body: JSON.stringify(errorResponse(status, status, message).body) }),
  });
  return { port: listener.port, url: listener.url, close: () => listener.close() };
}

/** The request's answer when the caller may have it: 403 (Confluent's 40301) when not; lists cut to what the caller may describe. */
function authorizedAnswer(registry: SchemaRegistry, request: RestRequest, authorize: RegistryAuthorizer, caller: Caller): RestResponse {
  const who = { principal: caller.user === undefined ? 'User:ANONYMOUS' : `User:${caller.user}`, host: caller.host };
  const describable = (subject: string) => authorize(who, subjectAccess(subject, 'DESCRIBE'));
  const needs = requestAccess(request.method, request.path);
  if (needs.kind === 'access' && !authorize(who, needs.access)) return errorResponse(403, FORBIDDEN_ERROR_CODE, deniedMessage(who.principal, needs.access));
  const anySchema = () => authorize(who, { resource: 'Cluster', name: 'kafka-cluster', operation: 'DESCRIBE' });
  if (needs.kind === 'schema-id' && !registry.subjectVersionsForId(needs.id).some(({ subject }) => describable(subject)) && !anySchema())
    // As for an id nobody uses: whether it exists is not told to who may not see it.
    return errorResponse(404, RegistryErrorCode.schemaNotFound, `Schema ${needs.id} not found`);
  const answer = handleRestRequest(registry, request);
  if (answer.status !== 200) return answer;
  if (needs.kind === 'subject-list') return { ...answer, body: (answer.body as string[]).filter(describable) };
  if (needs.kind === 'schema-id' && request.path.endsWith('/versions'))
    return { ...answer, body: (answer.body as { subject: string }[]).filter(({ subject }) => describable(subject)) };
  return answer;
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
