// Avro values for `rill produce` / `rill consume`, through a schema registry's
// REST API (Rill's or Confluent's): records carry the Confluent framing
// (magic byte 0 + 4-byte schema id) so other Kafka tools can read them.
// https and basic auth: the URL's user:password@, or the --command-config
// file's schema.registry.* keys (Confluent's client names).
import avro from 'avsc';
import { type SchemaRegistryAnswer, schemaRegistryRequest, type SchemaRegistryClientOptions } from '../core/client';
import { frame, readSchemaId } from '../core/schema';
import { readConfigFile } from './broker-config';
import { CommandError, namedFileReader } from './wire';

export const DEFAULT_REGISTRY = 'http://localhost:8081';

/** The registry client's TLS files and basic auth from a --command-config file (none without one). */
export function registryClientOf(flags: { 'command-config'?: string }): SchemaRegistryClientOptions {
  const file = flags['command-config'];
  if (file === undefined) return {};
  const settings = readConfigFile(file);
  const read = namedFileReader(settings, file);
  const userInfo = settings['schema.registry.basic.auth.user.info'];
  const colon = userInfo?.indexOf(':') ?? -1;
  if (userInfo !== undefined && colon < 0) throw new CommandError(`${file}: schema.registry.basic.auth.user.info must be USER:PASSWORD`);
  return {
    ca: read('schema.registry.ssl.ca.location'),
    cert: read('schema.registry.ssl.certificate.location'),
    key: read('schema.registry.ssl.key.location'),
    ...(userInfo !== undefined ? { username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) } : {}),
  };
}

async function registryCall(url: string, client: SchemaRegistryClientOptions, request: { method?: string; body?: string } = {}): Promise<any> {
  const origin = new URL(url).origin;
  let answer: SchemaRegistryAnswer;
  try {
    answer = await schemaRegistryRequest(url, request, client);
  } catch (e) {
    throw new CommandError(`cannot reach the schema registry at ${origin}: ${(e as Error).message}. Give --schema-registry URL (rill broker serves one).`);
  }
  const body = answer.body as { message?: string };
  if (answer.status === 401)
    throw new CommandError(
      `schema registry at ${origin}: ${body.message ?? 'unauthorized'} (HTTP 401): give USER:PASSWORD@ in --schema-registry, or schema.registry.basic.auth.user.info in --command-config`,
    );
  if (answer.status < 200 || answer.status > 299) throw new CommandError(`schema registry: ${body.message ?? 'failed'} (HTTP ${answer.status})`);
  return body;
}

/** Registers `schemaText` under `<topic>-value` and returns an encoder of JSON text to framed Avro. */
export async function avroEncoder(
  registry: string,
  topic: string,
  schemaText: string,
  client: SchemaRegistryClientOptions = {},
): Promise<(json: string, line: number) => Buffer> {
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(JSON.parse(schemaText));
  } catch (e) {
    throw new CommandError(`the Avro schema is not valid: ${(e as Error).message}`);
  }
  const { id } = await registryCall(`${registry}/subjects/${encodeURIComponent(topic + '-value')}/versions`, client, {
    method: 'POST',
    body: JSON.stringify({ schema: schemaText }),
  });
  return (json, line) => {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw new CommandError(`line ${line}: not JSON, so it cannot be encoded with the Avro schema`);
    }
    const errors: string[] = [];
    if (!type.isValid(value, { errorHook: (path) => errors.push(path.join('.') || '(root)') })) {
      throw new CommandError(`line ${line}: does not match the Avro schema (at ${errors.join(', ')})`);
    }
    return frame(id, type.toBuffer(value));
  };
}

/** Decodes framed Avro values to JSON text, fetching writer schemas by id (cached). */
export function avroDecoder(registry: string, client: SchemaRegistryClientOptions = {}): (bytes: Buffer) => Promise<string> {
  const types = new Map<number, Promise<avro.Type>>();
  return async (bytes) => {
    const id = readSchemaId(bytes);
    if (id._tag === 'Left') throw new CommandError(`a record is not Confluent-framed Avro: ${id.left.message}`);
    let type = types.get(id.right);
    if (!type) {
      type = registryCall(`${registry}/schemas/ids/${id.right}`, client).then((r) => avro.Type.forSchema(JSON.parse(r.schema)));
      types.set(id.right, type);
    }
    return JSON.stringify((await type).fromBuffer(bytes.subarray(5)));
  };
}
