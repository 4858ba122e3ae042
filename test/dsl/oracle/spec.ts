// The oracle's vocabulary: a case is a topology description (built from the
// DSL's operators by topology.ts) and its input records. Plain data, so a
// failing case prints as JSON and fast-check can shrink it.
import { partitionForKey } from '../../../core/client';

export type WindowSpec =
  | { type: 'none' }
  | { type: 'tumbling'; size: number; grace: number }
  | { type: 'hopping'; size: number; advance: number; grace: number }
  | { type: 'sliding'; size: number; grace: number }
  | { type: 'session'; gap: number; grace: number };

/** count; sum: reduce(a + b); fold: aggregate(init 1, a * 31 + v mod 1009), order-sensitive on purpose. */
export type AggKind = 'count' | 'sum' | 'fold';

export type Step = { op: 'mapValues'; mul: number; add: number } | { op: 'filter'; mod: number } | { op: 'flatMapValues' };

export type Terminal =
  | { kind: 'to' }
  | { kind: 'aggregate'; agg: AggKind; window: WindowSpec; emit: 'update' | 'final' }
  | { kind: 'streamTable'; join: 'inner' | 'left' }
  | { kind: 'streamStream'; join: 'inner' | 'left'; before: number; after: number; grace: number }
  | { kind: 'tableTable'; join: 'inner' | 'left' }
  | { kind: 'merge'; then: 'to' | 'count' };

/**
 * rekey 'none': keys stay; 'same': selectKey to a key of the same partition
 * (a real repartition topic, but each of its partitions has one writer);
 * 'scatter': selectKey to any key (several writers per repartition partition).
 */
export interface TopologySpec {
  partitions: number;
  steps: Step[];
  rekey: 'none' | 'same' | 'scatter';
  /** The operator that changes the key (both put a repartition topic before the next keyed step). */
  rekeyWith?: 'selectKey' | 'groupBy';
  terminal: Terminal;
}

export interface InputRecord {
  topic: string;
  key: string;
  /** null: a tombstone. */
  value: number | null;
  timestamp: number;
}

export interface OracleCase {
  topology: TopologySpec;
  /** Written before the first start. */
  phase1: InputRecord[];
  /** Written after the first stop, before the restart. */
  phase2: InputRecord[];
}

/** The source topics a terminal reads besides A. */
export function sourceTopics(t: Terminal): string[] {
  switch (t.kind) {
    case 'streamTable':
      return ['A', 'T'];
    case 'streamStream':
    case 'merge':
      return ['A', 'B'];
    case 'tableTable':
      return ['T', 'U'];
    default:
      return ['A'];
  }
}

export const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

export function partitionOf(key: string, partitions: number): number {
  return partitionForKey(Buffer.from(key, 'utf8'), partitions);
}

/** New keys for rekey: two per partition for 'same' (records of a partition stay in it), any for 'scatter'. */
export function rekeyed(key: string, mode: 'same' | 'scatter', partitions: number): string {
  const i = KEYS.indexOf(key);
  if (mode === 'scatter') return `g${(i * 5 + 3) % 4}`;
  const pool: string[] = [];
  for (let n = 0; pool.length < 2; n++) if (partitionOf(`g${n}`, partitions) === partitionOf(key, partitions)) pool.push(`g${n}`);
  return pool[i % 2];
}
