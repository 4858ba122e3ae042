// Schema compatibility, as the Confluent Schema Registry defines the levels,
// decided by avsc's schema resolution (can a reader schema read what a writer
// schema wrote?). avsc decides; `explainIncompatibility` only says why, in
// terms of the field and the rule, because avsc's own messages name neither.
import type { Type } from 'avsc';

export const COMPATIBILITY_LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export function parseCompatibilityLevel(value: unknown): CompatibilityLevel | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.toUpperCase();
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(upper) ? (upper as CompatibilityLevel) : undefined;
}

/** A registered version the candidate is checked against. */
export interface ExistingVersion {
  readonly version: number;
  readonly type: Type;
}

/**
 * Checks `candidate` against the existing versions (oldest first) at `level`.
 * Returns one message per violation; empty means compatible.
 *  - BACKWARD: the new schema reads data written with the latest version;
 *  - FORWARD: the latest version reads data written with the new schema;
 *  - FULL: both; *_TRANSITIVE: against every version, not only the latest.
 */
export function checkCompatibility(candidate: Type, existing: readonly ExistingVersion[], level: CompatibilityLevel): string[] {
  if (level === 'NONE' || existing.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? existing : existing.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  for (const old of [...against].reverse()) {
    if (backward) {
      const why = cannotRead(candidate, old.type);
      if (why) messages.push(`${level}: the new schema cannot read data written with version ${old.version}: ${why}`);
    }
    if (forward) {
      const why = cannotRead(old.type, candidate);
      if (why) messages.push(`${level}: version ${old.version} cannot read data written with the new schema: ${why}`);
    }
  }
  return messages;
}

/** Undefined when `reader` can resolve data written with `writer`, else why not. */
export function cannotRead(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return explainIncompatibility(reader, writer) ?? (error as Error).message;
  }
}

// avsc's Type classes expose their structure under these names.
interface TypeNode {
  typeName: string;
  name?: string;
  aliases?: string[];
  fields?: FieldNode[];
  types?: Type[];
  itemsType?: Type;
  valuesType?: Type;
  underlyingType?: Type;
  symbols?: string[];
  default?: unknown;
  size?: number;
}

interface FieldNode {
  name: string;
  aliases: string[];
  type: Type;
  defaultValue(): unknown;
}

const node = (type: Type): TypeNode => type as unknown as TypeNode;

function resolves(reader: Type, writer: Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/** Type changes Avro resolution allows: writer type -> reader types. */
const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

const PROMOTION_RULE = 'allowed type changes are int -> long/float/double, long -> float/double, float -> double, string <-> bytes';

function describe(type: Type): string {
  const n = node(type);
  return n.name ? `${n.typeName} ${n.name}` : n.typeName.replace(/^union:\w+$/, 'union');
}

function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

function isUnion(type: Type): boolean {
  return node(type).typeName.startsWith('union');
}

function unwrapLogical(type: Type): Type {
  return node(type).underlyingType ?? type;
}

function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** Named types match on full name, or when the reader lists the writer's name in its aliases. */
function namesMatch(reader: TypeNode, writer: TypeNode): boolean {
  if (!reader.name || !writer.name) return true;
  if (reader.name === writer.name) return true;
  return (reader.aliases ?? []).some((alias) => alias === writer.name || unqualified(alias) === unqualified(writer.name!));
}

/**
 * Finds the first place where `reader` cannot resolve `writer` and names the
 * field path and the rule broken. Undefined if it finds nothing (then the
 * caller falls back to avsc's message).
 */
export function explainIncompatibility(readerType: Type, writerType: Type, path = ''): string | undefined {
  const reader = unwrapLogical(readerType);
  const writer = unwrapLogical(writerType);
  const at = path === '' ? (node(reader).name ?? 'the root') : path;

  if (isUnion(writer)) {
    // Every branch the writer may have written must be readable.
    for (const branch of node(writer).types ?? []) {
      if (!resolves(reader, branch)) {
        return (
          explainIncompatibility(reader, branch, path) ??
          `field ${at}: the writer's union branch ${describe(branch)} cannot be read as ${describe(reader)} (rule: a union branch may only be removed if the reader can still read it)`
        );
      }
    }
    return undefined;
  }
  if (isUnion(reader)) {
    const branches = node(reader).types ?? [];
    if (branches.some((branch) => resolves(branch, writer))) return undefined;
    return `field ${at}: the writer's ${describe(writer)} matches no branch of the reader's union [${branches.map(describe).join(', ')}] (rule: a union must keep a branch for every type the writer may write)`;
  }

  const r = node(reader);
  const w = node(writer);
  if (r.typeName !== w.typeName) {
    if (PROMOTIONS[w.typeName]?.includes(r.typeName)) return undefined;
    return `field ${at}: ${article(describe(writer))} cannot be read as ${article(describe(reader))} (rule: type change; ${PROMOTION_RULE})`;
  }
  if ((r.typeName === 'record' || r.typeName === 'error' || r.typeName === 'enum' || r.typeName === 'fixed') && !namesMatch(r, w)) {
    return `field ${at}: ${describe(writer)} cannot be read as ${describe(reader)} (rule: a named type keeps its name, or lists the old name in its aliases)`;
  }
  switch (r.typeName) {
    case 'record':
    case 'error':
      return explainRecord(r, w, path === '' ? (r.name ?? '') : path);
    case 'enum': {
      const missing = (w.symbols ?? []).filter((symbol) => !(r.symbols ?? []).includes(symbol));
      if (missing.length > 0 && r.default === undefined) {
        return `field ${at}: enum ${r.name} lacks the symbol${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that the writer may write (rule: an enum symbol may only be removed if the reader's enum has a default)`;
      }
      return undefined;
    }
    case 'fixed':
      return r.size === w.size ? undefined : `field ${at}: fixed ${r.name} has size ${r.size}, the writer's has ${w.size} (rule: a fixed type keeps its size)`;
    case 'array':
      return explainIncompatibility(r.itemsType!, w.itemsType!, `${at}[]`);
    case 'map':
      return explainIncompatibility(r.valuesType!, w.valuesType!, `${at}{}`);
    default:
      return undefined;
  }
}

function explainRecord(reader: TypeNode, writer: TypeNode, path: string): string | undefined {
  const writerFields = writer.fields ?? [];
  for (const field of reader.fields ?? []) {
    const written = writerFields.find((candidate) => candidate.name === field.name) ?? writerFields.find((candidate) => field.aliases.includes(candidate.name));
    const fieldPath = `${path}.${field.name}`;
    if (!written) {
      if (field.defaultValue() === undefined) {
        return `field ${fieldPath}: the reader has field '${field.name}' without a default and the writer does not write it (rule: a field without a default can be neither added for new readers nor removed for old ones; give it a default, or an alias if it was renamed)`;
      }
      continue;
    }
    const why = explainIncompatibility(field.type, written.type, fieldPath);
    if (why) return why;
  }
  return undefined;
}
