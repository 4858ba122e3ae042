// Avro values for `rill produce` / `rill consume`, through a schema registry's
// REST API (Rill's or Confluent's): records carry the Confluent framing
// (magic byte 0 + 4-byte schema id) so other Kafka tools can read them.
import avro from 'avsc';
import { frame, readSchemaId } from '../core/schema';
import { CommandError } from './wire';

export const DEFAULT_REGISTRY = 'http://localhost:8081';

async function registryCall(url: string, init?: RequestInit): Promise<any> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' } });
  } catch (e) {
    throw new CommandError(
      `cannot reach the schema registry at ${new URL(url).origin}: ${(e as Error).message}. Give --schema-registry URL (rill broker serves one).`,
    );
  }
  const body: any = await response.json().catch(() => ({}));
  if (!response.ok) throw new CommandError(`schema registry: ${body.message ?? response.statusText} (HTTP ${response.status})`);
  return body;
}

/** Registers `schemaText` under `<topic>-value` and returns an encoder of JSON text to framed Avro. */
export async function avroEncoder(registry: string, topic: string, schemaText: string): Promise<(json: string, line: number) => Buffer> {
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(JSON.parse(schemaText));
  } catch (e) {
    throw new CommandError(`the Avro schema is not valid: ${(e as Error).message}`);
  }
  const { id } = await registryCall(`${registry}/subjects/${encodeURIComponent(topic + '-value')}/versions`, {
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
export function avroDecoder(registry: string): (bytes: Buffer) => Promise<string> {
  const types = new Map<number, Promise<avro.Type>>();
  return async (bytes) => {
    const id = readSchemaId(bytes);
    if (id._tag === 'Left') throw new CommandError(`a record is not Confluent-framed Avro: ${id.left.message}`);
    let type = types.get(id.right);
    if (!type) {
      type = registryCall(`${registry}/schemas/ids/${id.right}`).then((r) => avro.Type.forSchema(JSON.parse(r.schema)));
      types.set(id.right, type);
    }
    return JSON.stringify((await type).fromBuffer(bytes.subarray(5)));
  };
}
