// One place that turns schema JSON into an avsc Type, so every part of Rill
// parses schemas with the same options.
import avro from 'avsc';
import { left, right, type Either } from 'fp-ts/Either';
import { boundedBlocksTypeHook } from './bounded-blocks';

export interface InvalidSchema {
  readonly kind: 'invalid-schema';
  readonly message: string;
}

/**
 * Unions are unwrapped (`'never'`): a `['null', 'string']` field holds
 * `null | string`, which is what the typed schemas infer. For ambiguous
 * unions (two records) avsc writes the first branch that accepts the value.
 * A fresh object per parse: avsc records named types in `opts.registry`.
 */
const parseOptions = () => ({ wrapUnions: 'never' as const, typeHook: boundedBlocksTypeHook });

/** Parses schema JSON (text or object). Never throws. */
export function parseAvroType(schema: string | object): Either<InvalidSchema, avro.Type> {
  let definition: unknown = schema;
  if (typeof schema === 'string') {
    try {
      definition = JSON.parse(schema);
    } catch {
      // A bare primitive name ("string") is valid Avro schema text too.
      definition = schema;
    }
  }
  try {
    const type = avro.Type.forSchema(definition as avro.Schema, parseOptions());
    return right(type);
  } catch (error) {
    return left({ kind: 'invalid-schema', message: `Invalid Avro schema: ${(error as Error).message}` });
  }
}

/**
 * The form two schemas are compared in to decide "same schema, same id":
 * whitespace, attribute order and docs do not matter, defaults, aliases and
 * logical types do (they change how data resolves).
 */
export function canonicalSchemaText(type: avro.Type): string {
  return JSON.stringify(type.schema({ exportAttrs: true }));
}
