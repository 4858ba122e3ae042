// Typed Avro schemas: the user writes the avsc schema once, as a literal, and
// TypeScript infers the record type from it.
//
//   const User = defineAvroSchema({
//     type: 'record', name: 'User',
//     fields: [{ name: 'user', type: 'string' }, { name: 'ts', type: 'long' }],
//   });
//   type User = AvroValue<typeof User>;   // { user: string; ts: number }
//
// The mapping follows how avsc decodes (with unions unwrapped, see avro-type.ts):
// long is a JS number (avsc refuses values beyond 2^53), bytes and fixed are
// Buffers, unions are TypeScript unions, logical types decode as their
// underlying type. A reference to a named type by its name infers `unknown`,
// because a type-level lookup through the whole schema costs more compile
// time than it is worth.
import type { Type } from 'avsc';
import type { Either } from 'fp-ts/Either';
import { parseAvroType, type InvalidSchema } from './avro-type';

/** Any Avro schema written as JSON (the shape avsc accepts). */
export type AvroSchemaDefinition = string | readonly AvroSchemaDefinition[] | { readonly type: AvroSchemaDefinition; readonly [attribute: string]: unknown };

interface AvroPrimitives {
  null: null;
  boolean: boolean;
  int: number;
  long: number;
  float: number;
  double: number;
  bytes: Buffer;
  string: string;
}

interface FieldDefinition {
  readonly name: string;
  readonly type: unknown;
}

/** The TypeScript type of values of an Avro schema literal. */
export type InferAvro<S> = S extends keyof AvroPrimitives
  ? AvroPrimitives[S]
  : S extends readonly unknown[]
    ? InferAvro<S[number]>
    : S extends { readonly logicalType: string; readonly type: infer Underlying }
      ? InferAvro<Underlying>
      : S extends { readonly type: 'record' | 'error'; readonly fields: readonly FieldDefinition[] }
        ? { -readonly [F in S['fields'][number] as F['name']]: InferAvro<F['type']> }
        : S extends { readonly type: 'enum'; readonly symbols: readonly (infer Symbol)[] }
          ? Symbol
          : S extends { readonly type: 'array'; readonly items: infer Items }
            ? InferAvro<Items>[]
            : S extends { readonly type: 'map'; readonly values: infer Values }
              ? Record<string, InferAvro<Values>>
              : S extends { readonly type: 'fixed' }
                ? Buffer
                : S extends { readonly type: infer Primitive extends keyof AvroPrimitives }
                  ? AvroPrimitives[Primitive]
                  : unknown;

/** An Avro schema parsed once, carrying the type of its values. */
export interface TypedAvroSchema<T> {
  /** The schema as written. */
  readonly definition: AvroSchemaDefinition;
  /** The parsed avsc type (unions unwrapped, block counts bounded). */
  readonly avroType: Type;
  /** Compact JSON text of the schema, as sent to a registry. */
  readonly text: string;
  /** Phantom: never set, only carries T for inference. */
  readonly __value?: T;
}

/** The value type of a TypedAvroSchema. */
export type AvroValue<S> = S extends TypedAvroSchema<infer T> ? T : never;

/**
 * Parses a schema literal and infers its value type. An invalid schema is a
 * programming error in the caller's source, so this throws; use
 * `parseTypedAvroSchema` for schemas that come from outside.
 */
export function defineAvroSchema<const S extends AvroSchemaDefinition>(definition: S): TypedAvroSchema<InferAvro<S>> {
  const parsed = parseTypedAvroSchema<InferAvro<S>>(definition);
  if (parsed._tag === 'Left') throw new Error(parsed.left.message);
  return parsed.right;
}

/** Parses a schema of a type the caller asserts (for schemas read at run time). */
export function parseTypedAvroSchema<T = unknown>(definition: AvroSchemaDefinition | object): Either<InvalidSchema, TypedAvroSchema<T>> {
  const parsed = parseAvroType(definition);
  if (parsed._tag === 'Left') return parsed;
  return {
    _tag: 'Right',
    right: { definition: definition as AvroSchemaDefinition, avroType: parsed.right, text: JSON.stringify(definition) },
  };
}
