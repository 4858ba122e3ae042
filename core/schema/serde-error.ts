// Failures of serializing and deserializing record keys and values, as values.
// Every message says what was wrong and where (topic, partition, offset when
// the caller knows them), so a bad record in a stream of millions can be found.

/** Where a record came from; every part optional (a serde may run outside a log). */
export interface RecordLocation {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  /** True when the bytes are a record key, false or absent for a value. */
  readonly isKey?: boolean;
}

export type SerdeErrorKind =
  /** The frame is shorter than the 5-byte Confluent header. */
  | 'truncated-frame'
  /** The first byte is not the Confluent magic byte 0. */
  | 'wrong-magic-byte'
  /** The frame names a schema id the registry does not know. */
  | 'unknown-schema-id'
  /** The writer's schema cannot be resolved to the reader's. */
  | 'incompatible-writer-schema'
  /** The bytes are not a valid encoding for the (writer) schema. */
  | 'invalid-payload'
  /** A value to serialize does not match the schema. */
  | 'invalid-value'
  /** Registering or looking up the writer schema failed. */
  | 'registry-error';

export interface SerdeError {
  readonly kind: SerdeErrorKind;
  readonly message: string;
  readonly location: RecordLocation;
  readonly schemaId?: number;
  /** For invalid-value: the paths of the offending fields, e.g. `address.zip`. */
  readonly paths?: readonly string[];
}

export function describeLocation(location: RecordLocation): string {
  const parts: string[] = [];
  if (location.topic !== undefined) parts.push(`topic ${location.topic}`);
  if (location.partition !== undefined) parts.push(`partition ${location.partition}`);
  if (location.offset !== undefined) parts.push(`offset ${location.offset}`);
  const what = location.isKey ? 'key' : 'value';
  return parts.length === 0 ? `record ${what}` : `record ${what} at ${parts.join(', ')}`;
}

export function serdeError(
  kind: SerdeErrorKind,
  detail: string,
  location: RecordLocation = {},
  extra: { schemaId?: number; paths?: readonly string[] } = {},
): SerdeError {
  return { kind, message: `${describeLocation(location)}: ${detail}`, location, ...extra };
}

/** Thrown by the `*OrThrow` conveniences; carries the SerdeError value. */
export class SerdeException extends Error {
  constructor(readonly error: SerdeError) {
    super(error.message);
    this.name = 'SerdeException';
  }
}
