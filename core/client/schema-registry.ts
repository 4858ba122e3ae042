// The schema registry of a broker: stored in its compacted `_schemas` topic
// (partition 0), as Confluent's registry does, so it lives with the rest of the
// log (and will replicate with it). The registry is that topic's only writer.
// And the client side of a registry's REST API: http or https, basic auth.
import * as http from 'node:http';
import * as https from 'node:https';
import { Broker, BrokerError } from '../broker';
import { LogSchemaStorage, SchemaRegistry, SCHEMAS_TOPIC } from '../schema';

export function openBrokerSchemaRegistry(broker: Broker): SchemaRegistry {
  const created = broker.ensureSchemasTopic();
  if (created._tag === 'Left') throw created.left;
  const partition = broker.topics.partition(SCHEMAS_TOPIC, 0);
  if (partition._tag === 'Left') throw new BrokerError(partition.left.code, `The ${SCHEMAS_TOPIC} topic has no partition 0: ${partition.left.message}`);
  return SchemaRegistry.open(new LogSchemaStorage(partition.right.log));
}

/** How a client reaches a schema registry's REST API over HTTPS and with basic auth. */
export interface SchemaRegistryClientOptions {
  /** PEM CAs trusted for the registry's certificate (https URLs); default: Node's. */
  readonly ca?: string | Buffer;
  /** A client certificate and key (PEM), for a registry that asks for one. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** HTTP basic auth; the URL's user:password@ is used when these are not given. */
  readonly username?: string;
  readonly password?: string;
  /** Default 30 s. */
  readonly timeoutMs?: number;
}

export interface SchemaRegistryAnswer {
  readonly status: number;
  /** The parsed JSON body ({} when it is empty or not JSON). */
  readonly body: unknown;
}

/** Answers are schemas and lists of them; a larger one is refused before it is kept. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * One request to a schema registry (Rill's or Confluent's), http or https,
 * with basic auth from the options or the URL. Rejects when the registry
 * cannot be reached or its answer is too large; any HTTP status resolves.
 */
export function schemaRegistryRequest(
  url: string,
  request: { readonly method?: string; readonly body?: string },
  options: SchemaRegistryClientOptions = {},
): Promise<SchemaRegistryAnswer> {
  const target = new URL(url);
  const username = options.username ?? decodeURIComponent(target.username);
  const password = options.password ?? decodeURIComponent(target.password);
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/vnd.schemaregistry.v1+json' };
  if (username !== '') headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  if (request.body !== undefined) headers['Content-Length'] = Buffer.byteLength(request.body);
  target.username = '';
  target.password = '';
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return Promise.reject(new Error(`${target.protocol} is not http: or https:`));
  return new Promise((resolve, reject) => {
    const sent = (secure ? https : http).request(
      target,
      {
        method: request.method ?? 'GET',
        headers,
        timeout: options.timeoutMs ?? 30_000,
        ...(secure ? { ca: options.ca, cert: options.cert, key: options.key } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) response.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => {
          let body: unknown = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // not JSON (a proxy's error page): the status says what happened
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    sent.on('timeout', () => sent.destroy(new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`)));
    sent.on('error', reject);
    sent.end(request.body);
  });
}
