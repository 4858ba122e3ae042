// The Confluent Schema Registry REST API's core endpoints, as a pure function
// from request to response over a SchemaRegistry. The HTTP shell
// (rest-server.ts) only moves bytes; everything an endpoint means is here.
//
//   GET    /subjects                                      GET /schemas/ids/{id}[/schema|/versions]
//   GET    /subjects/{subject}/versions                   GET /schemas/types
//   POST   /subjects/{subject}/versions        register   GET|PUT /config
//   GET    /subjects/{subject}/versions/{v}[/schema]      GET|PUT|DELETE /config/{subject}
//   DELETE /subjects/{subject}/versions/{v}[?permanent]   POST /compatibility/subjects/{subject}/versions[/{v}]
//   POST   /subjects/{subject}                 lookup
//   DELETE /subjects/{subject}[?permanent]
import type { Either } from 'fp-ts/Either';
import { registryError, RegistryErrorCode, type RegistryError } from './registry-error';
import type { SchemaRegistry, VersionRef } from './registry';

export interface RestRequest {
  readonly method: string;
  /** Path without the query string, still percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Parsed JSON body; undefined when there is none. */
  readonly body: unknown;
}

export interface RestResponse {
  readonly status: number;
  readonly body: unknown;
}

type Handler = (registry: SchemaRegistry, request: RestRequest, params: string[]) => RestResponse;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: Handler;
}

const ok = (body: unknown): RestResponse => ({ status: 200, body });

export function errorResponse(status: number, code: number, message: string): RestResponse {
  return { status, body: { error_code: code, message } };
}

function fromRegistryError(error: RegistryError): RestResponse {
  return errorResponse(error.status, error.code, error.message);
}

/** Turns an Either into a response: Right through `render`, Left as the Confluent error body. */
function respond<T>(result: Either<RegistryError, T>, render: (value: T) => unknown = (value) => value): RestResponse {
  return result._tag === 'Left' ? fromRegistryError(result.left) : ok(render(result.right));
}

function parseVersion(text: string): VersionRef | RegistryError {
  if (text === 'latest' || text === '-1') return 'latest';
  if (/^\d{1,10}$/.test(text)) {
    const version = Number(text);
    if (version >= 1 && version <= 0x7fffffff) return version;
  }
  return registryError(
    RegistryErrorCode.invalidVersion,
    `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
  );
}

const isError = (value: unknown): value is RegistryError =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'registry-error';

interface SchemaRequest {
  schema: string;
  schemaType?: string;
  references?: unknown[];
}

function parseSchemaRequest(body: unknown): SchemaRequest | RegistryError {
  const schema = (body as { schema?: unknown } | undefined)?.schema;
  if (typeof schema !== 'string' || schema.trim() === '') {
    return registryError(RegistryErrorCode.invalidSchema, 'Empty schema: the request body must be {"schema": "<schema JSON as a string>"}');
  }
  const { schemaType, references } = body as { schemaType?: unknown; references?: unknown };
  return {
    schema,
    ...(typeof schemaType === 'string' ? { schemaType } : {}),
    ...(Array.isArray(references) ? { references } : {}),
  };
}

function parseLevel(body: unknown): string {
  const level = (body as { compatibility?: unknown } | undefined)?.compatibility;
  return typeof level === 'string' ? level : String(level);
}

const isPermanent = (request: RestRequest) => request.query.get('permanent') === 'true';

/** The body Confluent returns for one schema: schemaType only when not AVRO, so AVRO is omitted. */
const schemaBody = (schema: string) => ({ schema });

const routes: Route[] = [
  { method: 'GET', pattern: /^\/$/, handle: () => ok({}) },
  { method: 'GET', pattern: /^\/schemas\/types$/, handle: () => ok(['AVRO']) },
  {
    method: 'GET',
    pattern: /^\/schemas\/ids\/(\d{1,10})$/,
    handle: (registry, _request, [id]) => respond(registry.schemaById(Number(id)), (found) => schemaBody(found.schema)),
  },
  {
    method: 'GET',
    pattern: /^\/schemas\/ids\/(\d{1,10})\/schema$/,
    handle: (registry, _request, [id]) => respond(registry.schemaById(Number(id)), (found) => JSON.parse(found.schema)),
  },
  {
    method: 'GET',
    pattern: /^\/schemas\/ids\/(\d{1,10})\/versions$/,
    handle: (registry, _request, [id]) => respond(registry.schemaById(Number(id)), () => registry.subjectVersionsForId(Number(id))),
  },
  { method: 'GET', pattern: /^\/subjects$/, handle: (registry) => ok(registry.subjects()) },
  {
    method: 'GET',
    pattern: /^\/subjects\/([^/]+)\/versions$/,
    handle: (registry, _request, [subject]) => respond(registry.versions(subject)),
  },
  {
    method: 'POST',
    pattern: /^\/subjects\/([^/]+)\/versions$/,
    handle: (registry, request, [subject]) => {
      const parsed = parseSchemaRequest(request.body);
      if (isError(parsed)) return fromRegistryError(parsed);
      return respond(registry.register(subject, parsed.schema, parsed), ({ id }) => ({ id }));
    },
  },
  {
    method: 'GET',
    pattern: /^\/subjects\/([^/]+)\/versions\/([^/]+)$/,
    handle: (registry, _request, [subject, versionText]) => {
      const version = parseVersion(versionText);
      if (isError(version)) return fromRegistryError(version);
      return respond(registry.version(subject, version));
    },
  },
  {
    method: 'GET',
    pattern: /^\/subjects\/([^/]+)\/versions\/([^/]+)\/schema$/,
    handle: (registry, _request, [subject, versionText]) => {
      const version = parseVersion(versionText);
      if (isError(version)) return fromRegistryError(version);
      return respond(registry.version(subject, version), (found) => JSON.parse(found.schema));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/subjects\/([^/]+)\/versions\/([^/]+)$/,
    handle: (registry, request, [subject, versionText]) => {
      const version = parseVersion(versionText);
      if (isError(version)) return fromRegistryError(version);
      return respond(registry.deleteVersion(subject, version, isPermanent(request)));
    },
  },
  {
    method: 'POST',
    pattern: /^\/subjects\/([^/]+)$/,
    handle: (registry, request, [subject]) => {
      const parsed = parseSchemaRequest(request.body);
      if (isError(parsed)) return fromRegistryError(parsed);
      return respond(registry.lookup(subject, parsed.schema, parsed));
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/subjects\/([^/]+)$/,
    handle: (registry, request, [subject]) => respond(registry.deleteSubject(subject, isPermanent(request))),
  },
  {
    method: 'POST',
    pattern: /^\/compatibility\/subjects\/([^/]+)\/versions(?:\/([^/]+))?$/,
    handle: (registry, request, [subject, versionText]) => {
      const version = versionText === undefined ? 'latest' : parseVersion(versionText);
      if (isError(version)) return fromRegistryError(version);
      const parsed = parseSchemaRequest(request.body);
      if (isError(parsed)) return fromRegistryError(parsed);
      const verbose = request.query.get('verbose') === 'true';
      return respond(registry.testCompatibility(subject, parsed.schema, version, parsed), ({ compatible, messages }) =>
        verbose ? { is_compatible: compatible, messages } : { is_compatible: compatible },
      );
    },
  },
  { method: 'GET', pattern: /^\/config$/, handle: (registry) => ok({ compatibilityLevel: registry.compatibility() }) },
  {
    method: 'PUT',
    pattern: /^\/config$/,
    handle: (registry, request) => respond(registry.setCompatibility(parseLevel(request.body)), (level) => ({ compatibility: level })),
  },
  {
    method: 'GET',
    pattern: /^\/config\/([^/]+)$/,
    handle: (registry, request, [subject]) => {
      if (request.query.get('defaultToGlobal') === 'true') return ok({ compatibilityLevel: registry.compatibility(subject) });
      return respond(registry.subjectCompatibility(subject), (level) => ({ compatibilityLevel: level }));
    },
  },
  {
    method: 'PUT',
    pattern: /^\/config\/([^/]+)$/,
    handle: (registry, request, [subject]) => respond(registry.setCompatibility(parseLevel(request.body), subject), (level) => ({ compatibility: level })),
  },
  {
    method: 'DELETE',
    pattern: /^\/config\/([^/]+)$/,
    handle: (registry, _request, [subject]) => respond(registry.deleteSubjectCompatibility(subject), (level) => ({ compatibilityLevel: level })),
  },
];

/** Routes one request. Never throws: a bug becomes a 500 with the Confluent error body. */
export function handleRestRequest(registry: SchemaRegistry, request: RestRequest): RestResponse {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(request.path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== request.method) continue;
    let params: string[];
    try {
      params = match.slice(1).map((param) => (param === undefined ? (undefined as unknown as string) : decodeURIComponent(param)));
    } catch {
      return errorResponse(400, 400, `Malformed percent-encoding in ${request.path}`);
    }
    try {
      return route.handle(registry, request, params);
    } catch (error) {
      return errorResponse(500, 50001, `Internal error: ${(error as Error).message}`);
    }
  }
  return pathMatched
    ? errorResponse(405, 405, `HTTP 405 Method ${request.method} not allowed on ${request.path}`)
    : errorResponse(404, 404, `HTTP 404 Not Found: ${request.path}`);
}
