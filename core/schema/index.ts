// core/schema: Avro serdes, the Confluent wire format, a schema registry on a
// compacted topic, compatibility rules, and the registry's REST API.
export { defineAvroSchema, parseTypedAvroSchema } from './typed-schema';
export type { AvroSchemaDefinition, AvroValue, InferAvro, TypedAvroSchema } from './typed-schema';
export { parseAvroType, canonicalSchemaText } from './avro-type';
export type { InvalidSchema } from './avro-type';

export { avroSerde, bytesSerde, jsonSerde, stringSerde, orThrow, fastSerializeInto, fastDeserializeFrom } from './serde';
export type { Serde } from './serde';
export { confluentAvroDeserializer, confluentAvroSerde } from './confluent-serde';
export type { ConfluentAvroSerdeOptions, SchemaSource, WriterSchemaRecord } from './confluent-serde';
export { SerdeException, describeLocation } from './serde-error';
export type { RecordLocation, SerdeError, SerdeErrorKind } from './serde-error';
export { FRAME_HEADER_SIZE, MAGIC_BYTE, frame, readSchemaId } from './wire-format';

export { recordNameStrategy, topicNameStrategy, topicRecordNameStrategy } from './subject-naming';
export type { SubjectNameInput, SubjectNameStrategy } from './subject-naming';

export { COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY, checkCompatibility, parseCompatibilityLevel } from './compatibility';
export type { CompatibilityLevel, ExistingVersion } from './compatibility';

export { SchemaRegistry } from './registry';
export type { CompatibilityResult, RegisterOptions, RegisteredSchema, SubjectVersion, VersionRef } from './registry';
export { RegistryErrorCode } from './registry-error';
export type { RegistryError } from './registry-error';
export { EphemeralSchemaStorage } from './schema-storage';
export type { SchemaStorage } from './schema-storage';
export { FileSchemaStorage } from './file-schema-storage';
export { LogSchemaStorage, openSchemaRegistry, SCHEMAS_TOPIC } from './log-schema-storage';
export type { StoredRecord } from './registry-records';

export { startSchemaRegistryServer } from './rest-server';
export type { SchemaRegistryServer, SchemaRegistryServerOptions } from './rest-server';
export { subjectAccess, FORBIDDEN_ERROR_CODE } from './subject-access';
export type { RegistryAccess, RegistryAuthorizer, RegistryOperation } from './subject-access';
export { handleRestRequest } from './rest-api';
export type { RestRequest, RestResponse } from './rest-api';
