// Byte fixtures per API version (test/core/protocol/fixtures/<Api>.json, made by
// fixtures/generate.ts from Kafka's message definitions and by kafkajs's and
// @platformatic/kafka's own encoders): Rill's schemas decode every request and re-encode it byte for byte,
// header included, and encode the response to the same bytes; what they decode is
// the values Kafka's encoder was given (a client's: strings it was given). And
// Rill's schemas have, field by field, the names, types, versions and
// nullability of Kafka's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, Reader, Writer, decodeMessage, encodeMessage, inRange, readRequestHeader, responseHeader, writeRequestHeader } from '../../../core/protocol';
import type { ApiDefinition, Field, FieldType, MessageSchema, VersionRange } from '../../../core/protocol';
import { FIXTURE_HEADER, sampleSeeds, type FixtureCase, type FixtureFile } from './fixtures/fixture-file';
import { hasVersion, sampleMessage, type Sample, type SampleValue } from './fixtures/kafka-encoder';
import { KAFKA_MESSAGES, type KafkaField, type KafkaMessage } from './fixtures/kafka-messages';
import { KAFKAJS_REQUEST_ARGS, PLATFORMATIC_REQUEST_ARGS } from './fixtures/client-args';
import { FIXTURE_APIS } from './fixtures/fixture-apis';

function fixtureOf(api: ApiDefinition): FixtureFile {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${api.name}.json`), 'utf8')) as FixtureFile;
}

function framed(body: Buffer): string {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]).toString('hex');
}

const camel = (kafkaName: string) => kafkaName[0].toLowerCase() + kafkaName.slice(1);

/** The sample with Rill's (camelCase) field names. */
function camelized(v: SampleValue): unknown {
  if (Array.isArray(v)) return v.map(camelized);
  if (v === null || Buffer.isBuffer(v) || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), camelized(x)]));
}

/**
 * What Rill should decode from a request: the sample, and for each field the
 * version lacks (of those a served version has) Kafka's default -- what a
 * handler reads in its place.
 */
function expectedRequest(fields: KafkaField[], sample: Sample, served: VersionRange): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const x = sample[f.name];
    if (x !== undefined)
      out[camel(f.name)] = f.type === '[]' && Array.isArray(x) ? x.map((e) => expectedRequest(f.fields!, e as Sample, served)) : camelized(x);
    else if (someVersion(served, (v) => hasVersion(f.versions, v))) out[camel(f.name)] = kafkaDefault(f);
  }
  return out;
}

/** Kafka's defaults, stated apart from Rill's (schema.ts) which they check. */
function kafkaDefault(f: KafkaField): unknown {
  if ('default' in f) return f.default;
  if (f.type.startsWith('[]')) return [];
  switch (f.type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return '0'.repeat(32);
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'struct':
      // A tagged struct (Fetch's ReplicaState) the request left out: Rill reads nothing there.
      return undefined;
    default:
      return 0;
  }
}

function someVersion(r: VersionRange, holds: (v: number) => boolean): boolean {
  for (let v = r.min; v <= r.max; v++) if (holds(v)) return true;
  return false;
}

/** The decoded value cut to the fields `like` has (a decoded message also holds the defaults of fields its version lacks). */
function projected(decoded: unknown, like: unknown): unknown {
  if (Array.isArray(like) && Array.isArray(decoded)) return decoded.map((x, i) => projected(x, like[i] ?? null));
  if (like === null || Buffer.isBuffer(like) || typeof like !== 'object' || Array.isArray(like) || typeof decoded !== 'object' || decoded === null)
    return decoded;
  const d = decoded as Record<string, unknown>;
  return Object.fromEntries(Object.keys(like).map((k) => [k, projected(d[k], (like as Record<string, unknown>)[k])]));
}

function strings(v: unknown, out: Set<string>): Set<string> {
  if (typeof v === 'string') out.add(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** Decoded as sent: the kafka-schema sample itself (a request with Kafka's defaults for what its version lacks), or (a client's bytes) no string the client was not given. */
function expectDecodedAsSent(api: ApiDefinition, c: FixtureCase, kind: 'request' | 'response', decoded: unknown, recordBatch: Buffer): void {
  if (c.source !== 'kafka-schema') {
    // Besides the strings given: the defaults of fields the version lacks ('' and the zero topic id).
    const args = c.source === 'kafkajs' ? KAFKAJS_REQUEST_ARGS[api.name] : PLATFORMATIC_REQUEST_ARGS[api.name];
    const given = strings(args, new Set(['', '0'.repeat(32)]));
    expect([...strings(decoded, new Set())].filter((s) => !given.has(s))).toEqual([]);
    return;
  }
  const sample = sampleOf(api, c, kind, recordBatch);
  const expected = kind === 'request' ? expectedRequest(KAFKA_MESSAGES[api.name].request.fields, sample, api.versions) : camelized(sample);
  expect(projected(decoded, expected)).toEqual(expected);
}

/** The values a kafka-schema fixture encodes (re-made from its seed). */
function sampleOf(api: ApiDefinition, c: FixtureCase, kind: 'request' | 'response', recordBatch: Buffer): Sample {
  return sampleMessage(KAFKA_MESSAGES[api.name][kind], c.version, sampleSeeds(c.version)[kind], recordBatch);
}

describe.each(FIXTURE_APIS.map((api) => [api.name, api] as const))('%s', (_name, api) => {
  const fixture = fixtureOf(api);
  const recordBatch = Buffer.from(fixture.recordBatch, 'hex');
  const served = Array.from({ length: api.versions.max - api.versions.min + 1 }, (_, i) => api.versions.min + i);

  test('has a Kafka-schema fixture for every served version, and only those (else: run fixtures/generate.ts)', () => {
    expect(fixture.apiKey).toBe(api.key);
    expect(fixture.cases.filter((c) => c.source === 'kafka-schema').map((c) => c.version)).toEqual(served);
    expect(fixture.cases.every((c) => inRange(api.versions, c.version))).toBe(true);
  });

  test.each(fixture.cases.map((c) => [`v${c.version} ${c.source}`, c] as const))('request %s decodes as sent and re-encodes byte for byte', (_label, c) => {
    const frame = Buffer.from(c.request, 'hex');
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const flexible = inRange(api.request.flexible, c.version);
    const reader = new Reader(frame, 4);
    const header = readRequestHeader(reader, flexible);
    expect(header).toEqual({ apiKey: api.key, apiVersion: c.version, ...FIXTURE_HEADER });
    const request = decodeMessage(api.request, c.version, reader);
    expect(reader.remaining).toBe(0);
    expectDecodedAsSent(api, c, 'request', request, recordBatch);
    const out = encodeMessage(api.request, c.version, request, writeRequestHeader(new Writer(), header, flexible));
    expect(framed(out.toBuffer())).toBe(c.request);
  });

  test.each(fixture.cases.filter((c) => c.response).map((c) => [`v${c.version}`, c] as const))(
    'response %s decodes as sent and Rill encodes it to the same frame',
    (_label, c) => {
      const frame = Buffer.from(c.response!, 'hex');
      const flexibleHeader = inRange(api.response.flexible, c.version) && api.key !== ApiKey.ApiVersions;
      const correlationId = frame.readInt32BE(4);
      expect(correlationId).toBe(FIXTURE_HEADER.correlationId);
      const reader = new Reader(frame, flexibleHeader ? 9 : 8);
      const response = decodeMessage(api.response, c.version, reader);
      expect(reader.remaining).toBe(0);
      expectDecodedAsSent(api, c, 'response', response, recordBatch);
      const body = encodeMessage(api.response, c.version, response, new Writer()).toBuffer();
      expect(Buffer.concat([responseHeader(correlationId, body.length, flexibleHeader), body]).toString('hex')).toBe(c.response);
      // And the response as a handler would build it (the sample values, in Rill's names) encodes to the same body.
      const built = camelized(sampleOf(api, c, 'response', recordBatch)) as object;
      expect(encodeMessage(api.response, c.version, built, new Writer()).toBuffer().toString('hex')).toBe(body.toString('hex'));
    },
  );

  test("request and response schemas are Kafka's, field by field, at every served version", () => {
    const kafka = KAFKA_MESSAGES[api.name];
    const mismatches = served.flatMap((v) => [
      ...compareMessage(`${api.name} request v${v}`, api.request, kafka.request, v),
      ...compareMessage(`${api.name} response v${v}`, api.response, kafka.response, v),
    ]);
    expect(mismatches).toEqual([]);
  });
});

test('every API Rill serves (or defines) has Kafka message definitions', () => {
  expect(FIXTURE_APIS.filter((api) => KAFKA_MESSAGES[api.name]?.key !== api.key).map((api) => api.name)).toEqual([]);
});

// ---------------------------------------------------------------- schema vs Kafka

function compareMessage(where: string, rill: MessageSchema, kafka: KafkaMessage, v: number): string[] {
  const out: string[] = [];
  if (inRange(rill.flexible, v) !== hasVersion(kafka.flexible, v)) out.push(`${where}: flexible in ${inRange(rill.flexible, v) ? 'Rill' : 'Kafka'} only`);
  compareFields(where, rill.fields, kafka.fields, v, inRange(rill.flexible, v), out);
  return out;
}

function compareFields(where: string, rill: Field[], kafka: KafkaField[], v: number, flexible: boolean, out: string[]): void {
  const isTagged = (f: Field) => flexible && f.tag !== undefined && inRange(f.taggedVersions, v);
  const rillFields = rill.filter((f) => inRange(f.versions, v));
  const kafkaFields = kafka.filter((f) => hasVersion(f.versions, v));
  const kafkaTagged = kafkaFields.filter((f) => flexible && f.tag !== undefined);
  // Tagged fields are matched by tag; the others by position, as they are on the wire.
  for (const f of rillFields.filter(isTagged)) {
    const k = kafkaTagged.find((t) => t.tag === f.tag);
    if (!k) out.push(`${where}: ${f.name} is tagged ${f.tag} in Rill, Kafka has no such tag`);
    else compareField(`${where} ${f.name}`, f, k, v, flexible, out);
  }
  const plain = rillFields.filter((f) => !isTagged(f));
  const kafkaPlain = kafkaFields.filter((f) => !kafkaTagged.includes(f));
  const names = (fs: { name: string }[]) => fs.map((f) => f.name).join(', ');
  if (plain.length !== kafkaPlain.length) {
    out.push(`${where}: Rill has fields [${names(plain)}], Kafka [${names(kafkaPlain)}]`);
    return;
  }
  plain.forEach((f, i) => compareField(`${where} ${f.name}`, f, kafkaPlain[i], v, flexible, out));
}

function compareField(where: string, f: Field, k: KafkaField, v: number, flexible: boolean, out: string[]): void {
  if (f.name !== camel(k.name)) out.push(`${where}: Kafka calls it ${k.name}`);
  const type = kafkaTypeOf(f.type);
  if (type !== k.type) out.push(`${where}: type ${type} in Rill, ${k.type} in Kafka`);
  if (inRange(f.nullable, v) !== hasVersion(k.nullable, v)) out.push(`${where}: nullable in ${inRange(f.nullable, v) ? 'Rill' : 'Kafka'} only`);
  const struct = f.type.kind === 'array' && f.type.element.kind === 'struct' ? f.type.element.fields : f.type.kind === 'struct' ? f.type.fields : undefined;
  if (struct && k.fields) compareFields(where, struct, k.fields, v, flexible, out);
}

function kafkaTypeOf(t: FieldType): string {
  if (t.kind === 'primitive') return t.name;
  if (t.kind === 'struct') return 'struct';
  return t.element.kind === 'primitive' ? `[]${t.element.name}` : '[]';
}
