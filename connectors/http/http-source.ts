// Accepts records POSTed over HTTP into a topic. The reply comes only after
// the log acknowledged every record of the request: 200 means "in the topic".
// A body that is not records gets 400 with the reason (the sender can fix it;
// nothing reaches the topic). While maxPending records wait, new requests get
// 503 with Retry-After (backpressure reaches the sender). On stop, requests
// still waiting get 503: they were not acknowledged and should be re-sent.
//
// Body: one JSON record `{"key": "k", "value": {...}, "headers": {...}}` or an
// array of them; `value` is required (null is a tombstone).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Waiters, type SourceConnector, type SourceEntry, type SourcePoll, type SourceRecord } from '../connector';

export interface HttpSourceOptions {
  readonly name?: string;
  /** Default 0: a free port (read it from `port` after start). */
  readonly port?: number;
  readonly host?: string;
  /** Only this path accepts records (default '/records'). */
  readonly path?: string;
  /** Records accepted and not yet acknowledged before 503 (default 10 000). */
  readonly maxPending?: number;
  /** Larger bodies get 413 (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

/** Which request a record came from. */
export interface HttpPosition {
  readonly request: number;
}

interface PendingRequest {
  remaining: number;
  respond: (status: number, body: object) => void;
}

export interface HttpSource extends SourceConnector<string, unknown, HttpPosition> {
  /** The bound port, once started. */
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function httpSource(options: HttpSourceOptions = {}): HttpSource {
  const maxPending = options.maxPending ?? 10_000;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const path = options.path ?? '/records';
  const queue: SourceEntry<string, unknown, HttpPosition>[] = [];
  const requests = new Map<number, PendingRequest>();
  let pendingRecords = 0;
  let nextRequest = 0;
  let server: http.Server | undefined;
  const pollers = new Waiters();

  function accept(records: SourceRecord<string, unknown>[], respond: PendingRequest['respond']): void {
    const id = nextRequest++;
    requests.set(id, { remaining: records.length, respond });
    pendingRecords += records.length;
    for (const record of records) queue.push({ kind: 'record', record, position: { request: id } });
    pollers.wakeAll();
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const respond = (status: number, body: object, headers: Record<string, string> = {}) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (new URL(req.url ?? '/', 'http://x').pathname !== path) return respond(404, { error: `POST records to ${path}` });
    if (req.method !== 'POST') return respond(405, { error: 'only POST' }, { allow: 'POST' });
    if (pendingRecords >= maxPending) return respond(503, { error: 'too many records waiting for the log; retry later' }, { 'retry-after': '1' });
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) return respond(413, { error: `body larger than ${maxBody} bytes` });
      const parsed = parseRecords(Buffer.concat(chunks).toString('utf8'));
      if (typeof parsed === 'string') return respond(400, { error: parsed });
      if (parsed.length === 0) return respond(200, { accepted: 0 });
      accept(parsed, (status, body) => respond(status, body));
    });
  }

  return {
    name: options.name ?? 'http',
    get port() {
      return (server?.address() as AddressInfo | null)?.port ?? 0;
    },
    async start() {
      const s = http.createServer(handle);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          s.off('error', reject);
          resolve();
        });
      });
      server = s;
    },
    async poll(max, signal): Promise<SourcePoll<string, unknown, HttpPosition>> {
      while (queue.length === 0 && !signal.aborted) {
        await pollers.wait(undefined, signal);
      }
      return { kind: 'entries', entries: queue.splice(0, max) };
    },
    async acknowledge(entries) {
      for (const e of entries) {
        const r = requests.get(e.position.request);
        pendingRecords--;
        if (!r || --r.remaining > 0) continue;
        requests.delete(e.position.request);
        r.respond(200, { accepted: true });
      }
    },
    async stop() {
      for (const r of requests.values()) r.respond(503, { error: 'the source stopped before the log acknowledged these records; send them again' });
      requests.clear();
      queue.length = 0;
      pendingRecords = 0;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
    },
  };
}

/** The records of a body, or why it is not records. */
export function parseRecords(text: string): SourceRecord<string, unknown>[] | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return `body is not JSON: ${(e as Error).message}`;
  }
  const items = Array.isArray(body) ? body : [body];
  const out: SourceRecord<string, unknown>[] = [];
  for (const [i, item] of items.entries()) {
    const where = Array.isArray(body) ? `record ${i}` : 'the record';
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return `${where} must be an object like {"key": "k", "value": ...}`;
    const r = item as Record<string, unknown>;
    if (!('value' in r)) return `${where} has no "value" (use null for a tombstone)`;
    if (r.key !== undefined && r.key !== null && typeof r.key !== 'string') return `${where}: "key" must be a string`;
    if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null || Object.values(r.headers).some((v) => typeof v !== 'string'))) {
      return `${where}: "headers" must be an object of strings`;
    }
    out.push({ key: (r.key as string | undefined) ?? null, value: r.value as unknown, headers: r.headers as Record<string, string> | undefined });
  }
  return out;
}
