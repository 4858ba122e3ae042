// Materializes a table (a topic of key -> latest value) into Redis: each
// update sets the key, each tombstone deletes it. Values go to plain string
// keys or to hashes (one field per property); an optional TTL expires keys.
// A batch is one round trip: MULTI/EXEC by default (readers see a batch all at
// once), or a plain pipeline. Writes are idempotent, so a retried batch after
// a lost connection leaves the same state.
//
// String keys without a TTL are written in bulk: within a batch only the last
// update of a key matters (a key's records share a partition, so the batch has
// them in order), so the batch becomes one MSET and one DEL.
import type { Redis } from 'ioredis';
import type { Rejection, SinkConnector, SinkRecord, SinkWriteOutcome } from '../connector';
import { execForRecords, type OwnedCommand } from './replies';
import { hashFields, redisText } from './text';

export interface RedisTableSinkOptions<K, V> {
  readonly redis: Redis;
  readonly name?: string;
  /** 'string' (default): SET key <value text>; 'hash': the value's properties as hash fields. */
  readonly mode?: 'string' | 'hash';
  /** Hash updates: 'replace' (default) drops fields the new value lacks; 'merge' keeps them. */
  readonly hashUpdate?: 'replace' | 'merge';
  /** Prepended to every Redis key, e.g. 'counts:'. */
  readonly keyPrefix?: string;
  /** Expire keys this long after their last update. */
  readonly ttlMs?: number;
  /** The Redis key of a record key (before the prefix). Default: strings as they are, others as JSON. */
  readonly redisKey?: (key: K) => string;
  /** The string stored in 'string' mode. Default: strings as they are, others as JSON. */
  readonly encodeValue?: (value: V) => string;
  /** MULTI/EXEC per batch (default true); false: a plain pipeline. */
  readonly transactional?: boolean;
}

export function redisTableSink<K, V>(options: RedisTableSinkOptions<K, V>): SinkConnector<K, V> {
  const redis = options.redis;
  const prefix = options.keyPrefix ?? '';
  const keyOf = options.redisKey ?? redisText;
  const textOf = options.encodeValue ?? redisText;
  const mode = options.mode ?? 'string';
  const ttl = options.ttlMs;
  const transactional = options.transactional ?? true;
  const noKey = 'a table record needs a key (this one has none)';

  /** The commands of one record (one reply each), or why the record cannot be written. */
  function commandsFor(r: SinkRecord<K, V>, index: number): OwnedCommand[] | string {
    if (r.key === null) return noKey;
    const key = prefix + keyOf(r.key);
    const owners = [index];
    if (r.value === null) return [{ owners, add: (c) => void c.del(key) }];
    if (mode === 'string') {
      const text = textOf(r.value);
      return [{ owners, add: (c) => void (ttl === undefined ? c.set(key, text) : c.set(key, text, 'PX', ttl)) }];
    }
    const h = hashFields(r.value);
    if (!h.ok) return h.reason;
    const commands: OwnedCommand[] = [];
    if (options.hashUpdate !== 'merge') commands.push({ owners, add: (c) => void c.del(key) });
    commands.push({ owners, add: (c) => void c.hset(key, h.fields) });
    if (ttl !== undefined) commands.push({ owners, add: (c) => void c.pexpire(key, ttl) });
    return commands;
  }

  /** Record by record: hashes and TTLs. */
  function perRecord(batch: readonly SinkRecord<K, V>[]): Promise<SinkWriteOutcome> {
    const rejected: Rejection[] = [];
    const commands: OwnedCommand[] = [];
    batch.forEach((r, index) => {
      const c = commandsFor(r, index);
      if (typeof c === 'string') rejected.push({ index, reason: c });
      else commands.push(...c);
    });
    return execForRecords(redis, transactional, commands, rejected);
  }

  /** String keys, no TTL: the last write of each key, as one MSET and one DEL. */
  function bulk(batch: readonly SinkRecord<K, V>[]): Promise<SinkWriteOutcome> {
    const rejected: Rejection[] = [];
    const last = new Map<string, { text: string | null; owners: number[] }>();
    batch.forEach((r, index) => {
      if (r.key === null) return void rejected.push({ index, reason: noKey });
      const key = prefix + keyOf(r.key);
      const text = r.value === null ? null : textOf(r.value);
      const entry = last.get(key);
      if (entry) {
        entry.text = text;
        entry.owners.push(index);
      } else last.set(key, { text, owners: [index] });
    });
    const sets: string[] = [];
    const setOwners: number[] = [];
    const dels: string[] = [];
    const delOwners: number[] = [];
    for (const [key, { text, owners }] of last) {
      if (text === null) {
        dels.push(key);
        delOwners.push(...owners);
      } else {
        sets.push(key, text);
        setOwners.push(...owners);
      }
    }
    const commands: OwnedCommand[] = [];
    if (sets.length) commands.push({ owners: setOwners, add: (c) => void c.mset(...sets) });
    if (dels.length) commands.push({ owners: delOwners, add: (c) => void c.del(...dels) });
    return execForRecords(redis, transactional, commands, rejected);
  }

  return {
    name: options.name ?? `redis-table${prefix ? `-${prefix.replace(/[^\w-]/g, '')}` : ''}`,
    write: (batch) => (mode === 'string' && ttl === undefined ? bulk(batch) : perRecord(batch)),
  };
}
