// Registry failures as values, carrying the Confluent Schema Registry's
// error codes and HTTP statuses so the REST API can return them unchanged.

export const RegistryErrorCode = {
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectSoftDeleted: 40404,
  subjectNotSoftDeleted: 40405,
  versionSoftDeleted: 40406,
  versionNotSoftDeleted: 40407,
  subjectCompatibilityNotConfigured: 40408,
  incompatibleSchema: 409,
  invalidSchema: 42201,
  invalidVersion: 42202,
  invalidCompatibilityLevel: 42203,
  storageError: 50001,
} as const;

export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

export interface RegistryError {
  readonly kind: 'registry-error';
  /** Confluent `error_code`. */
  readonly code: RegistryErrorCode;
  /** HTTP status the REST API answers with. */
  readonly status: number;
  readonly message: string;
  /** For incompatible schemas: one message per violated rule. */
  readonly details?: readonly string[];
}

function httpStatus(code: RegistryErrorCode): number {
  if (code === RegistryErrorCode.incompatibleSchema) return 409;
  return Math.floor(code / 100);
}

export function registryError(code: RegistryErrorCode, message: string, details?: readonly string[]): RegistryError {
  return { kind: 'registry-error', code, status: httpStatus(code), message, ...(details ? { details } : {}) };
}
