// Messages described once, as data, like Apache Kafka's message JSON specs:
// every field carries the versions it exists in ("4+", "0-3"), the versions in
// which it may be null, and, for tagged fields, its tag. One generic encoder and
// one decoder walk any schema at any version, flexible (KIP-482) or not.
//
//   const req = message('9+', [
//     field('topics', array([field('name', 'string', '0+')]), '0+', { nullable: '1+' }),
//   ]);
import { DecodeError, Reader, Writer } from './codec';

export interface VersionRange {
  min: number;
  max: number;
}

/** "4+", "0-3", "2", or "none". */
export function versions(spec: string): VersionRange {
  if (spec === 'none') return { min: 1, max: 0 };
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { min: Number(plus[1]), max: Number.MAX_SAFE_INTEGER };
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new Error(`bad version range "${spec}"`);
}

export function inRange(r: VersionRange | undefined, v: number): boolean {
  return r !== undefined && v >= r.min && v <= r.max;
}

export type Primitive =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'uuid'
  | 'string'
  | 'bytes'
  /** Record batches: nullable bytes passed through untouched. */
  | 'records';

export type FieldType = { kind: 'primitive'; name: Primitive } | { kind: 'array'; element: FieldType } | { kind: 'struct'; fields: Field[] };

export interface Field {
  name: string;
  type: FieldType;
  versions: VersionRange;
  nullable?: VersionRange;
  /** Tagged field (flexible versions only): its tag and the versions it is tagged in. */
  tag?: number;
  taggedVersions?: VersionRange;
  /** Value when the field is absent at a version (and for tagged fields: not written when equal). */
  default?: unknown;
}

export interface FieldOptions {
  nullable?: string;
  tag?: number;
  taggedVersions?: string;
  default?: unknown;
}

export function field(name: string, type: Primitive | FieldType, versionSpec: string, options: FieldOptions = {}): Field {
  const f: Field = { name, type: typeof type === 'string' ? { kind: 'primitive', name: type } : type, versions: versions(versionSpec) };
  if (options.nullable) f.nullable = versions(options.nullable);
  if (options.tag !== undefined) {
    f.tag = options.tag;
    f.taggedVersions = versions(options.taggedVersions ?? versionSpec);
  }
  if ('default' in options) f.default = options.default;
  return f;
}

/** An array of structs (a list of fields) or of a primitive. */
export function array(element: Field[] | Primitive): FieldType {
  return { kind: 'array', element: typeof element === 'string' ? { kind: 'primitive', name: element } : { kind: 'struct', fields: element } };
}

export function struct(fields: Field[]): FieldType {
  return { kind: 'struct', fields };
}

export interface MessageSchema {
  flexible: VersionRange;
  fields: Field[];
}

export function message(flexibleVersions: string, fields: Field[]): MessageSchema {
  return { flexible: versions(flexibleVersions), fields };
}

export type Message = Record<string, unknown>;

// ---------------------------------------------------------------- decoding

export function decodeMessage(schema: MessageSchema, version: number, reader: Reader): Message {
  return decodeStruct(schema.fields, version, inRange(schema.flexible, version), reader);
}

function decodeStruct(fields: Field[], version: number, flexible: boolean, reader: Reader): Message {
  const out: Message = {};
  for (const f of fields) {
    if (f.tag !== undefined && flexible && inRange(f.taggedVersions, version)) {
      out[f.name] = defaultOf(f);
      continue;
    }
    out[f.name] = inRange(f.versions, version) ? decodeValue(f, f.type, version, flexible, reader) : defaultOf(f);
  }
  if (flexible) decodeTaggedFields(fields, version, reader, out);
  return out;
}

function decodeTaggedFields(fields: Field[], version: number, reader: Reader, out: Message): void {
  const count = reader.unsignedVarint();
  if (count > reader.remaining) throw new DecodeError(`${count} tagged fields cannot fit in ${reader.remaining} bytes`);
  for (let i = 0; i < count; i++) {
    const tag = reader.unsignedVarint();
    const size = reader.unsignedVarint();
    const known = fields.find((f) => f.tag === tag && inRange(f.taggedVersions, version));
    if (!known) {
      reader.skip(size);
      continue;
    }
    if (size > reader.remaining) throw new DecodeError(`tagged field ${tag} of ${size} bytes overruns the frame`);
    const sub = new Reader(reader.buf, reader.pos, reader.pos + size);
    out[known.name] = decodeValue(known, known.type, version, true, sub);
    reader.pos += size;
  }
}

function decodeValue(f: Field, type: FieldType, version: number, flexible: boolean, reader: Reader): unknown {
  switch (type.kind) {
    case 'primitive':
      return decodePrimitive(f, type.name, flexible, reader);
    case 'struct':
      return decodeStruct(type.fields, version, flexible, reader);
    case 'array': {
      const n = reader.arrayLength(flexible, minSize(type.element, flexible));
      // A null array where the schema has none is read as empty (kafkajs writes null for []).
      if (n < 0) return inRange(f.nullable, version) ? null : [];
      const items = new Array<unknown>(n);
      for (let i = 0; i < n; i++) items[i] = decodeValue(f, type.element, version, flexible, reader);
      return items;
    }
  }
}

function decodePrimitive(f: Field, name: Primitive, flexible: boolean, reader: Reader): unknown {
  switch (name) {
    case 'int8':
      return reader.int8();
    case 'int16':
      return reader.int16();
    case 'uint16':
      return reader.uint16();
    case 'int32':
      return reader.int32();
    case 'uint32':
      return reader.uint32();
    case 'int64':
      return reader.int64();
    case 'float64':
      return reader.float64();
    case 'bool':
      return reader.bool();
    case 'uuid':
      return reader.uuid();
    case 'string': {
      const s = reader.string(flexible);
      return s === null && f.nullable === undefined ? '' : s;
    }
    case 'bytes':
    case 'records': {
      const b = reader.bytes(flexible);
      return b === null && f.nullable === undefined && name === 'bytes' ? Buffer.alloc(0) : b;
    }
  }
}

/** Smallest encoding of one element, to bound array counts before allocating. */
function minSize(type: FieldType, flexible: boolean): number {
  if (type.kind === 'array') return flexible ? 1 : 4;
  if (type.kind === 'struct') return 1;
  switch (type.name) {
    case 'int8':
    case 'bool':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
    case 'uuid':
      return 16;
    case 'string':
      return flexible ? 1 : 2;
    default:
      return flexible ? 1 : 4;
  }
}

function defaultOf(f: Field): unknown {
  if ('default' in f) return f.default;
  return defaultOfType(f.type);
}

function defaultOfType(type: FieldType): unknown {
  switch (type.kind) {
    case 'array':
      return [];
    case 'struct': {
      const out: Message = {};
      for (const f of type.fields) out[f.name] = defaultOf(f);
      return out;
    }
    case 'primitive':
      switch (type.name) {
        case 'bool':
          return false;
        case 'uuid':
          return '00000000000000000000000000000000';
        case 'string':
          return '';
        case 'bytes':
          return Buffer.alloc(0);
        case 'records':
          return null;
        default:
          return 0;
      }
  }
}

// ---------------------------------------------------------------- encoding

export function encodeMessage(schema: MessageSchema, version: number, value: object, writer: Writer): Writer {
  encodeStruct(schema.fields, version, inRange(schema.flexible, version), value as Message, writer);
  return writer;
}

function encodeStruct(fields: Field[], version: number, flexible: boolean, value: Message, writer: Writer): void {
  let tagged: Field[] | undefined;
  for (const f of fields) {
    if (f.tag !== undefined && flexible && inRange(f.taggedVersions, version)) {
      const v = value[f.name];
      if (v !== undefined && !isDefault(f, v)) (tagged ??= []).push(f);
      continue;
    }
    if (!inRange(f.versions, version)) continue;
    const v = value[f.name];
    encodeValue(f, f.type, version, flexible, v === undefined ? defaultOf(f) : v, writer);
  }
  if (!flexible) return;
  if (!tagged) {
    writer.unsignedVarint(0);
    return;
  }
  tagged.sort((a, b) => a.tag! - b.tag!);
  writer.unsignedVarint(tagged.length);
  for (const f of tagged) {
    const sub = new Writer(64);
    encodeValue(f, f.type, version, true, value[f.name], sub);
    const bytes = sub.toBuffer();
    writer.unsignedVarint(f.tag!).unsignedVarint(bytes.length).raw(bytes);
  }
}

function isDefault(f: Field, v: unknown): boolean {
  const d = defaultOf(f);
  if (Array.isArray(v)) return Array.isArray(d) && v.length === 0 && d.length === 0;
  if (Buffer.isBuffer(v)) return Buffer.isBuffer(d) && v.equals(d);
  return v === d;
}

function encodeValue(f: Field, type: FieldType, version: number, flexible: boolean, v: unknown, writer: Writer): void {
  switch (type.kind) {
    case 'primitive':
      encodePrimitive(type.name, flexible, v, writer);
      return;
    case 'struct':
      encodeStruct(type.fields, version, flexible, (v ?? {}) as Message, writer);
      return;
    case 'array': {
      if (v === null || v === undefined) {
        writer.arrayLength(inRange(f.nullable, version) ? null : 0, flexible);
        return;
      }
      const items = v as unknown[];
      writer.arrayLength(items.length, flexible);
      for (const item of items) encodeValue(f, type.element, version, flexible, item, writer);
    }
  }
}

function encodePrimitive(name: Primitive, flexible: boolean, v: unknown, writer: Writer): void {
  switch (name) {
    case 'int8':
      writer.int8(v as number);
      return;
    case 'int16':
      writer.int16(v as number);
      return;
    case 'uint16':
      writer.uint16(v as number);
      return;
    case 'int32':
      writer.int32(v as number);
      return;
    case 'uint32':
      writer.uint32(v as number);
      return;
    case 'int64':
      writer.int64(v as number);
      return;
    case 'float64':
      writer.float64(v as number);
      return;
    case 'bool':
      writer.bool(v as boolean);
      return;
    case 'uuid':
      writer.uuid(v as string);
      return;
    case 'string':
      writer.string(v as string | null, flexible);
      return;
    case 'bytes':
    case 'records':
      writer.bytes(v as Buffer | null, flexible);
      return;
  }
}
