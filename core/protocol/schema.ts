// Moved to core/wire (the one schema walker); this re-export stays until the
// files that import it here have moved on.
export { decodeMessage, encodeMessage, field, array, struct, message, versions, inRange } from '../wire';
export type { MessageSchema, Field, FieldType, FieldOptions, Primitive, VersionRange, Message } from '../wire';
