// Reads a Redis Stream as a member of a consumer group (XREADGROUP) and
// acknowledges entries (XACK) only once the log acknowledged their records.
// Entries delivered to this consumer earlier but never acknowledged (a crash,
// a failed append) are read again first, so nothing is lost: at-least-once.
// If Redis restarted and lost the group (no persistence), it is created again.
import type { Redis } from 'ioredis';
import type { SourceConnector, SourceEntry, SourcePoll, SourceRecord } from '../connector';

export interface RedisStreamSourceOptions<V> {
  readonly redis: Redis;
  readonly name?: string;
  readonly stream: string;
  readonly group: string;
  /** This reader's name in the group (default: the connector name). */
  readonly consumer?: string;
  /** Where a new group starts: '0' (default) the whole stream, '$' only new entries. */
  readonly startId?: '0' | '$';
  /** Longest wait for new entries per poll (default 1000 ms). */
  readonly blockMs?: number;
  /** An entry as a record; a string is why it cannot be one (a bad record). Default: see defaultStreamRecord. */
  readonly toRecord?: (id: string, fields: Record<string, string>) => SourceRecord<string, V> | string;
}

/** Stream entry id, e.g. "1700000000000-0". */
export type StreamEntryId = string;

/**
 * Default entry -> record: the field "key" is the key; the field "value",
 * parsed as JSON when it is JSON, else as text, is the value; an entry with
 * other fields and no "value" becomes an object of all its fields.
 */
export function defaultStreamRecord(_id: string, fields: Record<string, string>): SourceRecord<string, unknown> {
  const { key, value, ...rest } = fields;
  let v: unknown = rest;
  if (value !== undefined) {
    try {
      v = JSON.parse(value);
    } catch {
      v = value;
    }
  }
  return { key: key ?? null, value: v };
}

export function redisStreamSource<V = unknown>(
  options: RedisStreamSourceOptions<V>,
): SourceConnector<string, V, StreamEntryId> & { readonly readerStatus: () => string } {
  const name = options.name ?? `redis-stream-${options.stream}`;
  const consumer = options.consumer ?? name;
  const toRecord = options.toRecord ?? (defaultStreamRecord as (id: string, f: Record<string, string>) => SourceRecord<string, V>);
  // Blocking reads get their own connection: XACK must not wait behind them, and stop() can end a read at once by closing it.
  let reader: Redis | undefined;
  let groupReady = false;
  /** Read our pending entries ('0') until there are none, then new ones ('>'). */
  let readingPending = true;

  async function ensureGroup(): Promise<void> {
    if (groupReady) return;
    try {
      await options.redis.xgroup('CREATE', options.stream, options.group, options.startId ?? '0', 'MKSTREAM');
    } catch (e) {
      if (!/BUSYGROUP/.test((e as Error).message)) throw e;
    }
    groupReady = true;
  }

  function toEntries(reply: unknown): SourceEntry<string, V, StreamEntryId>[] {
    const streams = (reply ?? []) as [string, [string, string[] | null][]][];
    const out: SourceEntry<string, V, StreamEntryId>[] = [];
    for (const [, entries] of streams) {
      for (const [id, flat] of entries) {
        if (!flat) continue; // deleted while pending: nothing to bring in; it is acknowledged with the batch.
        const fields: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
        const r = toRecord(id, fields);
        out.push(
          typeof r === 'string'
            ? { kind: 'bad', reason: r, raw: Buffer.from(JSON.stringify(fields)), position: id }
            : { kind: 'record', record: r, position: id },
        );
      }
    }
    return out;
  }

  return {
    name,
    readerStatus: () => reader?.status ?? 'none',
    async start() {
      reader = options.redis.duplicate();
    },
    async poll(max, signal): Promise<SourcePoll<string, V, StreamEntryId>> {
      const r = reader!;
      const onAbort = () => r.disconnect();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await ensureGroup();
        const from = readingPending ? '0' : '>';
        const block: (string | number)[] = readingPending ? [] : ['BLOCK', options.blockMs ?? 1000];
        const reply = await r.xreadgroup('GROUP', options.group, consumer, 'COUNT', max, ...(block as ['BLOCK', number]), 'STREAMS', options.stream, from);
        const entries = toEntries(reply);
        if (readingPending && entries.length === 0) readingPending = false;
        return { kind: 'entries', entries };
      } catch (e) {
        if (signal.aborted) return { kind: 'entries', entries: [] };
        const message = (e as Error).message;
        if (/NOGROUP/.test(message)) groupReady = false;
        // After a lost connection, first re-read what was delivered to us and not acknowledged.
        readingPending = true;
        return { kind: 'unavailable', reason: `redis stream ${options.stream}: ${message}` };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async acknowledge(entries) {
      if (entries.length === 0) return;
      await options.redis.xack(options.stream, options.group, ...entries.map((e) => e.position));
    },
    async stop() {
      // QUIT (answered, then closed by Redis) rather than only ending our side:
      // a half-closed socket may never see its close, and keep the process alive.
      if (reader?.status === 'ready') await reader.quit().catch(() => undefined);
      // (ioredis arms a 2 s timer on every disconnect(), even of a closed connection.)
      if (reader && reader.status !== 'end') reader.disconnect();
    },
  };
}
