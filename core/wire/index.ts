// core/wire: what every binary format of Rill shares -- Kafka's error codes and
// API keys, the primitive codec (Reader/Writer, varints, int64), the schema
// walker that reads and writes any message described as data, and the one
// frame decoder. It imports nothing else from the repo, so every module
// (core/log included) may use it. The only door into this folder.
export { ErrorCode, errorName } from './error-codes';
export type { ErrorCodeName, ErrorCodeValue } from './error-codes';
export { ApiKey, apiKeyName } from './api-keys';
export type { ApiKeyName, ApiKeyValue } from './api-keys';
export { Reader, Writer, DecodeError } from './codec';
export { readInt64, writeInt64 } from './int64';
// Kafka's varints (zigzag varint/varlong, unsigned varint): read, write, size.
export * from './varint';
export { decodeMessage, encodeMessage, field, array, struct, message, versions, inRange } from './schema';
export type { MessageSchema, Field, FieldType, FieldOptions, Primitive, VersionRange, Message } from './schema';
export { FrameDecoder } from './frame-decoder';
export type { FrameDecoderOptions, FrameResult } from './frame-decoder';
