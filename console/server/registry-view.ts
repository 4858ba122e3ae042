// The schema registry as the console sees it: its REST API (Rill's or
// Confluent's) for subjects, versions and compatibility, and the writer
// schemas by id that decode Confluent-framed Avro values in the message browser.
import avro from 'avsc';
import { FRAME_HEADER_SIZE, readSchemaId } from '../../core/schema';
import type { SchemasView, SubjectView } from '../model';

/** The registry answered with an error, or could not be reached. */
export class RegistryCallError extends Error {
  constructor(
    message: string,
    /** The HTTP status the console answers with. */
    readonly status: number,
  ) {
    super(message);
  }
}

/** Confluent's error code for "the subject has no compatibility level of its own". */
const SUBJECT_LEVEL_NOT_CONFIGURED = 40408;

export class RegistryView {
  private readonly types = new Map<number, Promise<avro.Type>>();

  constructor(readonly url: string) {}

  async schemas(): Promise<SchemasView> {
    const global = await this.call<{ compatibilityLevel: string }>('/config');
    const subjects: SubjectView[] = [];
    for (const subject of (await this.call<string[]>('/subjects')).sort()) {
      const path = `/subjects/${encodeURIComponent(subject)}`;
      const versions = await this.call<number[]>(`${path}/versions`);
      const latest = await this.call<{ version: number; id: number; schemaType?: string; schema: string }>(`${path}/versions/latest`);
      subjects.push({
        subject,
        versions,
        latest: { version: latest.version, id: latest.id, schemaType: latest.schemaType ?? 'AVRO', schema: latest.schema },
        compatibility: await this.subjectLevel(path),
      });
    }
    return { compatibility: global.compatibilityLevel, subjects };
  }

  /** A Confluent-framed Avro value as JSON text with its schema id, or undefined when the bytes are not such a frame or do not decode. */
  async decode(bytes: Buffer): Promise<{ schemaId: number; json: string } | undefined> {
    const id = readSchemaId(bytes);
    if (id._tag === 'Left') return undefined;
    let type = this.types.get(id.right);
    if (type === undefined) {
      type = this.call<{ schema: string }>(`/schemas/ids/${id.right}`).then((r) => avro.Type.forSchema(JSON.parse(r.schema)));
      this.types.set(id.right, type);
      // A schema that could not be fetched is asked for again next time.
      type.catch(() => this.types.delete(id.right));
    }
    try {
      const value = (await type).fromBuffer(bytes.subarray(FRAME_HEADER_SIZE));
      return { schemaId: id.right, json: JSON.stringify(value, avroJson) };
    } catch {
      return undefined;
    }
  }

  private async subjectLevel(path: string): Promise<string | null> {
    try {
      return (await this.call<{ compatibilityLevel: string }>(`/config${path.slice('/subjects'.length)}`)).compatibilityLevel;
    } catch (e) {
      if (e instanceof RegistryCallError && e.message.includes(`(${SUBJECT_LEVEL_NOT_CONFIGURED})`)) return null;
      throw e;
    }
  }

  private async call<T>(path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, { headers: { accept: 'application/vnd.schemaregistry.v1+json' }, signal: AbortSignal.timeout(10000) });
    } catch (e) {
      throw new RegistryCallError(`cannot reach the schema registry at ${this.url}: ${(e as Error).message}`, 502);
    }
    const body = (await response.json().catch(() => ({}))) as { message?: string; error_code?: number };
    if (!response.ok)
      throw new RegistryCallError(`schema registry ${path}: ${body.message ?? response.statusText} (${body.error_code ?? response.status})`, 502);
    return body as T;
  }
}

/** Avro's bytes and fixed values as text, and longs beyond 2^53 as strings: JSON the browser can show. */
function avroJson(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && (value as { type?: string }).type === 'Buffer')
    return Buffer.from((value as { data: number[] }).data).toString('latin1');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
