// Avro in the Confluent wire format, with schemas in a registry: what Rill
// writes to topics and what Confluent-compatible tools read.
//
// Serializing registers (or looks up) the schema once and caches its id.
// Deserializing reads the writer's schema id from the frame, fetches that
// schema once, and resolves it to the serde's own (reader) schema: a
// consumer on schema v3 reads records written with v1 and v2.
import type { Type } from 'avsc';
import { left, right, type Either } from 'fp-ts/Either';
import { canonicalSchemaText } from './avro-type';
import { decodeAvro, encodeAvro } from './avro-codec';
import { cannotRead } from './compatibility';
import type { RegistryError } from './registry-error';
import type { RegisterOptions, RegisteredSchema, SubjectVersion } from './registry';
import { invalidValue, type Serde } from './serde';
import { serdeError, type RecordLocation, type SerdeError } from './serde-error';
import { topicNameStrategy, type SubjectNameStrategy } from './subject-naming';
import type { TypedAvroSchema } from './typed-schema';
import { FRAME_HEADER_SIZE, readSchemaId, writeFrameHeader } from './wire-format';

/** What the serde needs from a registry (SchemaRegistry provides it). */
export interface SchemaSource {
  register(subject: string, schema: string, options?: RegisterOptions): Either<RegistryError, { id: number; version: number }>;
  lookup(subject: string, schema: string): Either<RegistryError, SubjectVersion>;
  schemaById(id: number): Either<RegistryError, RegisteredSchema>;
}

export interface ConfluentAvroSerdeOptions<T> {
  readonly registry: SchemaSource;
  /** The schema values are written with, and read into. */
  readonly schema: TypedAvroSchema<T>;
  readonly topic: string;
  /** True for a record key serde (subject `<topic>-key`). */
  readonly isKey?: boolean;
  /** Default: topicNameStrategy. */
  readonly subjectNameStrategy?: SubjectNameStrategy;
  /** Register the schema on first use (default), or only look it up (it must already be registered). */
  readonly autoRegister?: boolean;
}

type Resolver = ReturnType<Type['createResolver']>;

/** How to read records written with one schema id. */
type WriterPlan = { readonly resolver: Resolver | undefined } | { readonly incompatible: string };

function unknownSchemaId(schemaId: number, location: RecordLocation): SerdeError {
  return serdeError('unknown-schema-id', `unknown schema id ${schemaId}: the registry has no such schema`, location, { schemaId });
}

function invalidPayload(schemaId: number, reason: string, location: RecordLocation): SerdeError {
  return serdeError('invalid-payload', `schema id ${schemaId}: ${reason}`, location, { schemaId });
}

export function confluentAvroSerde<T>(options: ConfluentAvroSerdeOptions<T>): Serde<T> {
  const { registry, schema, topic } = options;
  const isKey = options.isKey ?? false;
  const readerType = schema.avroType;
  const readerCanonical = canonicalSchemaText(readerType);
  const recordName = (readerType as { name?: string }).name;
  const subject = (options.subjectNameStrategy ?? topicNameStrategy)({ topic, isKey, recordName });
  if (subject === undefined) {
    throw new Error(`The subject name strategy needs a named (record) schema; ${topic}'s ${isKey ? 'key' : 'value'} schema has no name`);
  }
  const autoRegister = options.autoRegister ?? true;
  let ownId: number | undefined;
  const plans = new Map<number, WriterPlan>();
  const locate = (location: RecordLocation | undefined): RecordLocation => ({ topic, isKey, ...location });

  const resolveOwnId = (location: RecordLocation): Either<SerdeError, number> => {
    if (ownId !== undefined) return right(ownId);
    const found = autoRegister ? registry.register(subject, schema.text) : registry.lookup(subject, schema.text);
    if (found._tag === 'Left') {
      const action = autoRegister ? 'register' : 'find';
      return left(serdeError('registry-error', `could not ${action} its schema under subject "${subject}": ${found.left.message}`, location));
    }
    ownId = found.right.id;
    plans.set(ownId, { resolver: undefined });
    return right(ownId);
  };

  const planFor = (schemaId: number, location: RecordLocation): Either<SerdeError, WriterPlan> => {
    const cached = plans.get(schemaId);
    if (cached) return right(cached);
    const writer = registry.schemaById(schemaId);
    if (writer._tag === 'Left') {
      // Not cached: the id may be registered later (by another producer).
      return left(unknownSchemaId(schemaId, location));
    }
    let plan: WriterPlan;
    if (canonicalSchemaText(writer.right.type) === readerCanonical) {
      plan = { resolver: undefined };
    } else {
      try {
        plan = { resolver: readerType.createResolver(writer.right.type) };
      } catch {
        plan = { incompatible: cannotRead(readerType, writer.right.type) ?? 'schemas do not resolve' };
      }
    }
    plans.set(schemaId, plan);
    return right(plan);
  };

  return {
    format: 'avro-confluent',
    serialize(value, at) {
      const location = locate(at);
      const id = resolveOwnId(location);
      if (id._tag === 'Left') return id;
      const encoded = encodeAvro(readerType, value, FRAME_HEADER_SIZE);
      if (encoded._tag === 'Left') return left(invalidValue(encoded.left, location, id.right));
      writeFrameHeader(encoded.right, id.right);
      return encoded;
    },
    deserialize(bytes, at) {
      const location = locate(at);
      const schemaId = readSchemaId(bytes, location);
      if (schemaId._tag === 'Left') return schemaId;
      const plan = planFor(schemaId.right, location);
      if (plan._tag === 'Left') return plan;
      if ('incompatible' in plan.right) {
        return left(
          serdeError(
            'incompatible-writer-schema',
            `written with schema id ${schemaId.right}, which this reader's schema cannot read: ${plan.right.incompatible}`,
            location,
            { schemaId: schemaId.right },
          ),
        );
      }
      const decoded = decodeAvro(readerType, bytes, FRAME_HEADER_SIZE, plan.right.resolver);
      if (decoded._tag === 'Left') {
        return left(invalidPayload(schemaId.right, decoded.left, location));
      }
      return decoded as Either<never, T>;
    },
  };
}

export interface WriterSchemaRecord {
  readonly schemaId: number;
  readonly value: unknown;
}

/**
 * Decodes Confluent-framed Avro with whatever schema wrote it, for tools that
 * have no reader schema of their own (printing a topic, a dead-letter viewer).
 */
export function confluentAvroDeserializer(options: { registry: SchemaSource; topic?: string; isKey?: boolean }): {
  deserialize(bytes: Buffer, location?: RecordLocation): Either<SerdeError, WriterSchemaRecord>;
} {
  const { registry } = options;
  return {
    deserialize(bytes, at) {
      const location: RecordLocation = { topic: options.topic, isKey: options.isKey, ...at };
      const schemaId = readSchemaId(bytes, location);
      if (schemaId._tag === 'Left') return schemaId;
      const writer = registry.schemaById(schemaId.right);
      if (writer._tag === 'Left') {
        return left(unknownSchemaId(schemaId.right, location));
      }
      const decoded = decodeAvro(writer.right.type, bytes, FRAME_HEADER_SIZE);
      if (decoded._tag === 'Left') {
        return left(invalidPayload(schemaId.right, decoded.left, location));
      }
      return right({ schemaId: schemaId.right, value: decoded.right });
    },
  };
}
