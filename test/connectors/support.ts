// Helpers for connector tests: an embedded Rill in a temp dir, a clock that
// never waits (and records the waits asked for), topic readers, and tiny
// in-memory connectors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rill } from '../../core/client';
import { rillLogClient, type LogClient, type LogRecord } from '../../dsl';
import type { ConnectorClock } from '../../connectors';

export interface TempRill {
  rill: Rill;
  client: LogClient;
  dir: string;
  close(): Promise<void>;
}

export function openTempRill(): TempRill {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-connectors-'));
  const rill = Rill.open({ dir, scheduler: false });
  return {
    rill,
    client: rillLogClient(rill),
    dir,
    async close() {
      await rill.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A clock whose sleeps return on the next turn of the event loop; `waits` lists what was asked. */
export function instantClock(): ConnectorClock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => 1_700_000_000_000,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** Every record of a topic, in partition then offset order. */
export async function readTopic(rill: Rill, topic: string): Promise<LogRecord[]> {
  const offsets = await rill.admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((n, o) => n + o.highWatermark - o.logStartOffset, 0);
  const out: LogRecord[] = [];
  if (total === 0) return out;
  const consumer = rill.consumer({ autoOffsetReset: 'earliest' });
  await consumer.assign(offsets.map((o) => ({ topic, partition: o.partition })));
  for await (const r of consumer) {
    out.push(r);
    if (out.length >= total) break;
  }
  await consumer.close();
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

export function headerMap(r: LogRecord): Record<string, string> {
  return Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value?.toString() ?? '']));
}

/** Resolves once `check` holds; checks after each turn of the event loop (bounded by jest's timeout). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, limit = 20_000): Promise<void> {
  const deadline = Date.now() + limit;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A deferred: a promise and the functions that settle it. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
