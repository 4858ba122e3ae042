// The schema registry: subjects, versions, global schema ids, compatibility
// configuration, soft and hard deletes. Its state is a fold over the records
// of the `_schemas` topic (registry-records.ts): every change is appended to
// storage first and then applied through the same `apply` that replays the
// topic on open, so what is in memory is exactly what a restart rebuilds.
// The API is synchronous, like the partition log under it; over a remote log
// a change is durable once flushed() resolves (client/log-client-schema-storage.ts).
import type { Type } from 'avsc';
import { left, right, type Either } from 'fp-ts/Either';
import { canonicalSchemaText, parseAvroType } from './avro-type';
import { checkCompatibility, DEFAULT_COMPATIBILITY, parseCompatibilityLevel, type CompatibilityLevel, type ExistingVersion } from './compatibility';
import { registryError, RegistryErrorCode, type RegistryError } from './registry-error';
import { decodeRegistryRecord, encodeRegistryRecord, type RegistryRecord, type SchemaValue } from './registry-records';
import type { SchemaStorage } from './schema-storage';

/** A schema as stored under a global id. */
export interface RegisteredSchema {
  readonly id: number;
  /** Compact JSON text of the schema. */
  readonly schema: string;
  readonly type: Type;
}

/** One version of a subject. */
export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly messages: readonly string[];
}

/** A version reference: a number, or 'latest' (Confluent also accepts -1). */
export type VersionRef = number | 'latest';

interface SchemaEntry extends RegisteredSchema {
  readonly canonical: string;
}

interface ParsedCandidate {
  readonly text: string;
  readonly type: Type;
  readonly canonical: string;
}

export interface RegisterOptions {
  /** Confluent `schemaType`; only AVRO (the default) is supported. */
  readonly schemaType?: string;
  /** Confluent schema references; not supported, must be empty. */
  readonly references?: readonly unknown[];
}

export class SchemaRegistry {
  private readonly subjectVersions = new Map<string, Map<number, SchemaValue>>();
  private readonly schemasById = new Map<number, SchemaEntry>();
  private readonly idsByCanonical = new Map<string, number>();
  private readonly subjectConfigs = new Map<string, CompatibilityLevel>();
  private globalConfig: CompatibilityLevel | undefined;
  /** Ids are never reused within a process, even after a hard delete. */
  private highestId = 0;

  private constructor(private readonly storage: SchemaStorage) {}

  /** Opens a registry on `storage`, replaying every stored record. */
  static open(storage: SchemaStorage): SchemaRegistry {
    const registry = new SchemaRegistry(storage);
    for (const stored of storage.replay()) {
      const record = decodeRegistryRecord(stored);
      if (record) registry.apply(record);
    }
    return registry;
  }

  /** Closes the storage; awaited, a remote storage has written every change first. */
  close(): void | Promise<void> {
    return this.storage.close();
  }

  /**
   * Resolves once every change made so far is durable. A change is applied
   * as soon as it is appended; on a remote storage (a `_schemas` topic on
   * Kafka) it is durable only when this resolves, so whoever acknowledges a
   * change to a client (the REST server) waits for it. Rejects when a change
   * could not be written.
   */
  async flushed(): Promise<void> {
    await this.storage.flushed?.();
  }

  // ---- schemas and subjects -------------------------------------------------

  /**
   * Registers `schema` under `subject`, returning its global id and version.
   * The same schema registered again returns the same id and version; the
   * same schema under another subject shares the id. Refused with 409 and
   * the violated rules when incompatible at the subject's level.
   */
  register(subject: string, schema: string | object, options: RegisterOptions = {}): Either<RegistryError, { id: number; version: number }> {
    const candidate = this.parseCandidate(schema, options);
    if (candidate._tag === 'Left') return candidate;
    const { text, type, canonical } = candidate.right;
    const live = this.liveVersions(subject);
    const same = live.find((version) => this.schemasById.get(version.id)?.canonical === canonical);
    if (same) return right({ id: same.id, version: same.version });

    const level = this.compatibility(subject);
    const messages = checkCompatibility(type, this.existingVersions(live), level);
    if (messages.length > 0) {
      return left(
        registryError(
          RegistryErrorCode.incompatibleSchema,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}": ${messages.join('; ')}`,
          messages,
        ),
      );
    }
    const id = this.idsByCanonical.get(canonical) ?? this.highestId + 1;
    const version = Math.max(0, ...(this.subjectVersions.get(subject)?.keys() ?? [])) + 1;
    const written = this.write([{ key: { keytype: 'SCHEMA', subject, version }, value: { subject, version, id, schema: text, deleted: false } }]);
    if (written._tag === 'Left') return written;
    return right({ id, version });
  }

  /** Finds the version of `subject` holding `schema` (Confluent `POST /subjects/{subject}`). */
  lookup(subject: string, schema: string | object, options: RegisterOptions = {}): Either<RegistryError, SubjectVersion> {
    const candidate = this.parseCandidate(schema, options);
    if (candidate._tag === 'Left') return candidate;
    const live = this.liveVersions(subject);
    if (live.length === 0) return left(subjectNotFound(subject));
    const found = live.find((version) => this.schemasById.get(version.id)?.canonical === candidate.right.canonical);
    if (!found) return left(registryError(RegistryErrorCode.schemaNotFound, `Schema not found under subject "${subject}"`));
    return right(toSubjectVersion(found));
  }

  schemaById(id: number): Either<RegistryError, RegisteredSchema> {
    const entry = this.schemasById.get(id);
    if (!entry) return left(registryError(RegistryErrorCode.schemaNotFound, `Schema ${id} not found`));
    return right(entry);
  }

  /** Subjects with at least one live (not soft-deleted) version, sorted. */
  subjects(): string[] {
    return [...this.subjectVersions.keys()].filter((subject) => this.liveVersions(subject).length > 0).sort();
  }

  /** Subject-version pairs that use schema `id`. */
  subjectVersionsForId(id: number): { subject: string; version: number }[] {
    const found: { subject: string; version: number }[] = [];
    for (const [subject, versions] of this.subjectVersions) {
      for (const value of versions.values()) if (value.id === id && !value.deleted) found.push({ subject, version: value.version });
    }
    return found;
  }

  versions(subject: string): Either<RegistryError, number[]> {
    const live = this.liveVersions(subject);
    if (live.length === 0) return left(subjectNotFound(subject));
    return right(live.map((value) => value.version));
  }

  version(subject: string, ref: VersionRef): Either<RegistryError, SubjectVersion> {
    const found = this.findLiveVersion(subject, ref);
    return found._tag === 'Left' ? found : right(toSubjectVersion(found.right));
  }

  /**
   * Soft delete (default): the subject's versions are hidden but their ids
   * still resolve, so old records stay readable. Permanent: only after a soft
   * delete; the records are tombstoned and compaction forgets them.
   * Returns the versions deleted.
   */
  deleteSubject(subject: string, permanent = false): Either<RegistryError, number[]> {
    const all = [...(this.subjectVersions.get(subject)?.values() ?? [])].sort((a, b) => a.version - b.version);
    if (all.length === 0) return left(subjectNotFound(subject));
    const live = all.filter((value) => !value.deleted);
    if (!permanent) {
      if (live.length === 0) {
        return left(registryError(RegistryErrorCode.subjectSoftDeleted, `Subject "${subject}" was soft deleted. Set permanent=true to delete permanently`));
      }
      const written = this.write(live.map((value) => ({ key: schemaKey(subject, value.version), value: { ...value, deleted: true } })));
      return written._tag === 'Left' ? written : right(live.map((value) => value.version));
    }
    if (live.length > 0) {
      return left(
        registryError(
          RegistryErrorCode.subjectNotSoftDeleted,
          `Subject "${subject}" was not deleted first before being permanently deleted; soft delete it first`,
        ),
      );
    }
    const tombstones: RegistryRecord[] = all.map((value) => ({ key: schemaKey(subject, value.version), value: null }));
    if (this.subjectConfigs.has(subject)) tombstones.push({ key: { keytype: 'CONFIG', subject }, value: null });
    const written = this.write(tombstones);
    return written._tag === 'Left' ? written : right(all.map((value) => value.version));
  }

  /** Deletes one version; same soft-then-permanent rule as subjects. Returns the version deleted. */
  deleteVersion(subject: string, ref: VersionRef, permanent = false): Either<RegistryError, number> {
    const versions = this.subjectVersions.get(subject);
    if (!versions || versions.size === 0) return left(subjectNotFound(subject));
    let value: SchemaValue | undefined;
    if (ref === 'latest' || ref === -1) {
      const candidates = [...versions.values()].filter((v) => permanent || !v.deleted);
      value = candidates.sort((a, b) => b.version - a.version)[0];
    } else {
      if (!isValidVersion(ref)) return left(invalidVersion(ref));
      value = versions.get(ref);
    }
    if (!value) return left(versionNotFound(subject, ref));
    if (!permanent) {
      if (value.deleted) {
        return left(
          registryError(
            RegistryErrorCode.versionSoftDeleted,
            `Version ${value.version} of subject "${subject}" was soft deleted. Set permanent=true to delete permanently`,
          ),
        );
      }
      const written = this.write([{ key: schemaKey(subject, value.version), value: { ...value, deleted: true } }]);
      return written._tag === 'Left' ? written : right(value.version);
    }
    if (!value.deleted) {
      return left(
        registryError(
          RegistryErrorCode.versionNotSoftDeleted,
          `Version ${value.version} of subject "${subject}" must be soft deleted first before being permanently deleted`,
        ),
      );
    }
    const written = this.write([{ key: schemaKey(subject, value.version), value: null }]);
    return written._tag === 'Left' ? written : right(value.version);
  }

  // ---- compatibility --------------------------------------------------------

  /** The level in force for `subject` (its own, else the global), or the global level. */
  compatibility(subject?: string): CompatibilityLevel {
    return (subject === undefined ? undefined : this.subjectConfigs.get(subject)) ?? this.globalConfig ?? DEFAULT_COMPATIBILITY;
  }

  /** The subject's own level; 40408 if it has none (it then follows the global level). */
  subjectCompatibility(subject: string): Either<RegistryError, CompatibilityLevel> {
    const level = this.subjectConfigs.get(subject);
    if (level === undefined) {
      return left(
        registryError(RegistryErrorCode.subjectCompatibilityNotConfigured, `Subject "${subject}" does not have subject-level compatibility configured`),
      );
    }
    return right(level);
  }

  /** Sets the level of `subject`, or the global level when `subject` is undefined. */
  setCompatibility(level: string, subject?: string): Either<RegistryError, CompatibilityLevel> {
    const parsed = parseCompatibilityLevel(level);
    if (parsed === undefined) {
      return left(
        registryError(
          RegistryErrorCode.invalidCompatibilityLevel,
          `Invalid compatibility level "${level}"; use one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE`,
        ),
      );
    }
    const written = this.write([{ key: { keytype: 'CONFIG', subject: subject ?? null }, value: { compatibilityLevel: parsed } }]);
    return written._tag === 'Left' ? written : right(parsed);
  }

  /** Removes the subject's own level (it falls back to the global); returns the level removed. */
  deleteSubjectCompatibility(subject: string): Either<RegistryError, CompatibilityLevel> {
    const level = this.subjectCompatibility(subject);
    if (level._tag === 'Left') return level;
    const written = this.write([{ key: { keytype: 'CONFIG', subject }, value: null }]);
    return written._tag === 'Left' ? written : level;
  }

  /**
   * Would `schema` be accepted under `subject`? Checked against `ref` (default
   * latest) for the non-transitive levels, against every live version for
   * the transitive ones.
   */
  testCompatibility(
    subject: string,
    schema: string | object,
    ref: VersionRef = 'latest',
    options: RegisterOptions = {},
  ): Either<RegistryError, CompatibilityResult> {
    const candidate = this.parseCandidate(schema, options);
    if (candidate._tag === 'Left') return candidate;
    const level = this.compatibility(subject);
    let against: SchemaValue[];
    if (level.endsWith('_TRANSITIVE')) {
      against = this.liveVersions(subject);
      if (against.length === 0) return left(subjectNotFound(subject));
    } else {
      const found = this.findLiveVersion(subject, ref);
      if (found._tag === 'Left') return found;
      against = [found.right];
    }
    const messages = checkCompatibility(candidate.right.type, this.existingVersions(against), level);
    return right({ compatible: messages.length === 0, messages });
  }

  // ---- state ----------------------------------------------------------------

  private write(records: readonly RegistryRecord[]): Either<RegistryError, void> {
    try {
      this.storage.append(records.map(encodeRegistryRecord));
    } catch (error) {
      return left(registryError(RegistryErrorCode.storageError, `Could not store the registry change: ${(error as Error).message}`));
    }
    for (const record of records) this.apply(record);
    return right(undefined);
  }

  /** Applies one record of the `_schemas` topic; the only place state changes. */
  private apply(record: RegistryRecord): void {
    if (record.key.keytype === 'CONFIG') {
      const value = record.value as { compatibilityLevel: CompatibilityLevel } | null;
      if (record.key.subject === null) this.globalConfig = value?.compatibilityLevel;
      else if (value === null) this.subjectConfigs.delete(record.key.subject);
      else this.subjectConfigs.set(record.key.subject, value.compatibilityLevel);
      return;
    }
    const { subject, version } = record.key;
    const value = record.value as SchemaValue | null;
    let versions = this.subjectVersions.get(subject);
    const previous = versions?.get(version);
    if (value === null) {
      versions?.delete(version);
      if (versions?.size === 0) this.subjectVersions.delete(subject);
      if (previous) this.forgetSchemaIfUnused(previous.id);
      return;
    }
    if (!this.schemasById.has(value.id)) {
      const parsed = parseAvroType(value.schema);
      if (parsed._tag === 'Left') return; // damaged record: skipped, as unknown records are
      const canonical = canonicalSchemaText(parsed.right);
      this.schemasById.set(value.id, { id: value.id, schema: value.schema, type: parsed.right, canonical });
      if (!this.idsByCanonical.has(canonical)) this.idsByCanonical.set(canonical, value.id);
    }
    this.highestId = Math.max(this.highestId, value.id);
    if (!versions) {
      versions = new Map();
      this.subjectVersions.set(subject, versions);
    }
    versions.set(version, value);
    if (previous && previous.id !== value.id) this.forgetSchemaIfUnused(previous.id);
  }

  private forgetSchemaIfUnused(id: number): void {
    for (const versions of this.subjectVersions.values()) {
      for (const value of versions.values()) if (value.id === id) return;
    }
    const entry = this.schemasById.get(id);
    this.schemasById.delete(id);
    if (entry && this.idsByCanonical.get(entry.canonical) === id) this.idsByCanonical.delete(entry.canonical);
  }

  private liveVersions(subject: string): SchemaValue[] {
    const versions = this.subjectVersions.get(subject);
    if (!versions) return [];
    return [...versions.values()].filter((value) => !value.deleted).sort((a, b) => a.version - b.version);
  }

  private findLiveVersion(subject: string, ref: VersionRef): Either<RegistryError, SchemaValue> {
    if (ref !== 'latest' && ref !== -1 && !isValidVersion(ref)) return left(invalidVersion(ref));
    const live = this.liveVersions(subject);
    if (live.length === 0) return left(subjectNotFound(subject));
    const found = ref === 'latest' || ref === -1 ? live[live.length - 1] : live.find((value) => value.version === ref);
    return found ? right(found) : left(versionNotFound(subject, ref));
  }

  private existingVersions(values: readonly SchemaValue[]): ExistingVersion[] {
    const existing: ExistingVersion[] = [];
    for (const value of values) {
      const entry = this.schemasById.get(value.id);
      if (entry) existing.push({ version: value.version, type: entry.type });
    }
    return existing;
  }

  private parseCandidate(schema: string | object, options: RegisterOptions): Either<RegistryError, ParsedCandidate> {
    if (options.schemaType !== undefined && options.schemaType.toUpperCase() !== 'AVRO') {
      return left(registryError(RegistryErrorCode.invalidSchema, `Schema type ${options.schemaType} is not supported; Rill's registry holds AVRO schemas`));
    }
    if (options.references && options.references.length > 0) {
      return left(registryError(RegistryErrorCode.invalidSchema, 'Schema references are not supported; inline the referenced types'));
    }
    const parsed = parseAvroType(schema);
    if (parsed._tag === 'Left') return left(registryError(RegistryErrorCode.invalidSchema, parsed.left.message));
    return right({ text: compactSchemaText(schema), type: parsed.right, canonical: canonicalSchemaText(parsed.right) });
  }
}

/** The schema as the user wrote it, minus insignificant whitespace. */
function compactSchemaText(schema: string | object): string {
  if (typeof schema !== 'string') return JSON.stringify(schema);
  try {
    return JSON.stringify(JSON.parse(schema));
  } catch {
    return JSON.stringify(schema); // a bare primitive name: store it as JSON text
  }
}

function schemaKey(subject: string, version: number) {
  return { keytype: 'SCHEMA' as const, subject, version };
}

function toSubjectVersion(value: SchemaValue): SubjectVersion {
  return { subject: value.subject, version: value.version, id: value.id, schema: value.schema };
}

function isValidVersion(version: number): boolean {
  return Number.isInteger(version) && version >= 1 && version <= 0x7fffffff;
}

function subjectNotFound(subject: string): RegistryError {
  return registryError(RegistryErrorCode.subjectNotFound, `Subject "${subject}" not found`);
}

function versionNotFound(subject: string, ref: VersionRef): RegistryError {
  return registryError(RegistryErrorCode.versionNotFound, `Version ${ref} not found for subject "${subject}"`);
}

function invalidVersion(ref: VersionRef): RegistryError {
  return registryError(RegistryErrorCode.invalidVersion, `The specified version "${ref}" is not a valid version id; use a positive integer or "latest"`);
}
