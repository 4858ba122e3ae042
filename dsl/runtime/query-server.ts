// Interactive queries over HTTP (Kafka Streams' interactive queries with
// application.server): every instance of an application serves its stores
// as JSON, and answers for the whole application:
//
//   GET /stores/:store/keys/:key                       a key-value store's value of a key
//   GET /stores/:store/keys/:key/windows?from=&to=     a window store's windows of a key, by start in [from, to]
//   GET /stores/:store/range?from=&to=&limit=          a key-value store's entries with keys in [from, to], by key bytes
//   GET /stores/:store/range?prefix=&limit=            ... whose serialized key starts with the prefix
//   GET /stores/:store/keys/:key/metadata              the key's partition and the instance that hosts it
//   GET /metadata                                      every instance (applicationServer) and its partitions
//
// A key's query that reaches an instance not hosting the key's partition is
// forwarded to the one that does (one hop: the forwarded request carries
// FORWARDED_HEADER, and an instance that gets one for a partition it does not
// host answers 503 instead of forwarding again). A scan asks every other
// instance for its part (the same way) and merges. Owners come from the
// TaskDirectory: the group's members advertise their applicationServer.
// Errors: 404 unknown store (or no value for the key), 400 bad parameters,
// 503 with Retry-After while the answer is not to be had (restoring, a
// rebalance moving the partition, its owner unknown or unreachable).
//
// Security (core/http's listener): HTTPS and/or basic auth. The instances of
// an application are set up alike, so with TLS they ask each other over
// https (trusting forwardTls' CA), and a forwarded request carries its
// caller's Authorization: the owner checks the same user again.
import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import { type HttpListener, type HttpSecurity, startHttpListener } from '../../core/http';
import type { ResolvedStore } from '../topology/topology';
import type { InteractiveQueries } from './interactive-queries';
import { decodeKey, decodePrefix, keyBytes, keyEncodingOf, toJson, type Decoded } from './query-codec';
import type { TaskDirectory } from './task-directory';

/** Set on a request one instance forwards to another: the receiver answers from its own tasks only. */
export const FORWARDED_HEADER = 'x-rill-query-forwarded';
/** Set on every answer: the applicationServer of the instance whose tasks answered. */
export const SERVED_BY_HEADER = 'x-rill-query-served-by';
/** Seconds a 503 asks the caller to wait before trying again. */
const RETRY_AFTER_S = 1;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
const MAX_CONNECTIONS = 256;
const REQUEST_TIMEOUT_MS = 10_000;
/** How long a forwarded request may take, and the most bytes its answer may have. */
const FORWARD_TIMEOUT_MS = 5_000;
const MAX_FORWARDED_BYTES = 64 * 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface QueryServerOptions {
  readonly queries: InteractiveQueries;
  /** Who owns the tasks this instance does not run. */
  readonly directory: TaskDirectory;
  /** Why this instance cannot answer from its stores now (starting, restoring, stopping); undefined when it can. */
  readonly notReady: () => string | undefined;
  /** 0 picks a free port. */
  readonly port: number;
  /** The address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** The applicationServer this instance advertises (default: host:port it listens on). */
  readonly advertised?: string;
  /** HTTPS and/or basic auth on the query port; default plain HTTP, nobody asked. */
  readonly security?: HttpSecurity;
  /** TLS of this instance's forwarded requests to the others: the CA their certificates are signed by, a client certificate if they require one. Default: Node's trusted CAs. */
  readonly forwardTls?: tls.ConnectionOptions;
}

class QueryError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new QueryError(400, 'bad-request', message);
const unavailable = (message: string) => new QueryError(503, 'unavailable', message);

/** An answer: JSON text with its status, and the instance that made it. */
interface Answer {
  readonly status: number;
  readonly body: string;
  readonly servedBy?: string;
  readonly retryAfter?: string;
}

export class QueryServer {
  private constructor(
    private readonly listener: HttpListener,
    private readonly options: QueryServerOptions,
    /** The applicationServer of this instance: how the others reach it. */
    readonly advertised: string,
  ) {}

  static async start(options: QueryServerOptions): Promise<QueryServer> {
    const host = options.host ?? '127.0.0.1';
    let self: QueryServer | undefined;
    const listener = await startHttpListener({
      port: options.port,
      host,
      security: options.security,
      realm: 'Rill interactive queries',
      maxConnections: MAX_CONNECTIONS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      handle: (req, res) => self?.handle(req, res),
      refusal: (status, message) => ({ type: JSON_TYPE, body: toJson({ error: message, code: status === 401 ? 'unauthorized' : 'refused' }) }),
    }).catch((e: Error) => {
      throw new Error(`cannot serve interactive queries on ${host}:${options.port}: ${e.message}; pick another queryPort`);
    });
    self = new QueryServer(listener, options, options.advertised ?? `${host.includes(':') ? `[${host}]` : host}:${listener.port}`);
    return self;
  }

  get port(): number {
    return this.listener.port;
  }

  /** The base URL of this instance's queries (its applicationServer). */
  get url(): string {
    return `${this.listener.scheme}://${this.advertised}`;
  }

  private get queries(): InteractiveQueries {
    return this.options.queries;
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume(); // a body, if any, is not read into memory
    this.answer(req)
      .catch((e: unknown): Answer => {
        if (e instanceof QueryError) return this.error(e);
        // A bug or a store that broke: say so, and keep serving.
        return this.error(new QueryError(500, 'internal', e instanceof Error ? e.message : String(e)));
      })
      .then((a) => {
        const headers: http.OutgoingHttpHeaders = { 'Content-Type': JSON_TYPE };
        if (a.servedBy) headers[SERVED_BY_HEADER] = a.servedBy;
        if (a.retryAfter) headers['Retry-After'] = a.retryAfter;
        res.writeHead(a.status, headers);
        res.end(req.method === 'HEAD' ? undefined : a.body);
      })
      // The asker went away meanwhile: nothing to answer, and nothing else is hurt.
      .catch(() => res.destroy());
  }

  private error(e: QueryError): Answer {
    return {
      status: e.status,
      body: toJson({ error: e.message, code: e.code }),
      servedBy: this.advertised,
      retryAfter: e.status === 503 ? String(RETRY_AFTER_S) : undefined,
    };
  }

  private async answer(req: http.IncomingMessage): Promise<Answer> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new QueryError(405, 'method-not-allowed', `method ${req.method} not allowed: queries are GET`);
    const url = new URL(req.url ?? '/', 'http://query');
    let parts: string[];
    try {
      parts = url.pathname
        .split('/')
        .filter((p) => p.length > 0)
        .map(decodeURIComponent);
    } catch {
      throw badRequest(`the path ${url.pathname} is not valid percent-encoding`);
    }
    const forwarded = req.headers[FORWARDED_HEADER] !== undefined;
    const q = url.searchParams;
    if (parts.length === 1 && parts[0] === 'metadata') return this.ok(await this.metadata());
    if (parts[0] === 'stores' && parts.length >= 3) {
      const store = this.store(parts[1]);
      if (parts[2] === 'range' && parts.length === 3) return this.scan(store, q, forwarded, asked(req));
      if (parts[2] === 'keys' && parts.length >= 4 && parts.length <= 5) {
        const key = decoded(decodeKey(store, parts[3], decoded(keyEncodingOf(q.get('keyEncoding')))));
        const what = parts[4];
        if (what === undefined) return this.keyValue(store, parts[3], key, forwarded, asked(req));
        if (what === 'windows') return this.windows(store, key, q, forwarded, asked(req));
        if (what === 'metadata') return this.ok(await this.keyMetadata(store, key));
      }
    }
    throw new QueryError(
      404,
      'not-found',
      `no such query: ${url.pathname}; use /metadata, /stores/STORE/keys/KEY, /stores/STORE/keys/KEY/windows, /stores/STORE/keys/KEY/metadata or /stores/STORE/range`,
    );
  }

  private ok(value: unknown): Answer {
    return { status: 200, body: toJson(value), servedBy: this.advertised };
  }

  private store(name: string): ResolvedStore {
    const spec = this.queries.spec(name);
    if (spec) return spec;
    const names = this.queries.storeNames.join(', ') || 'none';
    throw new QueryError(404, 'unknown-store', `no store "${name}" in application ${this.queries.applicationId} (stores: ${names})`);
  }

  private async keyValue(store: ResolvedStore, text: string, key: unknown, forwarded: boolean, asked: Asked): Promise<Answer> {
    if (store.kind !== 'key-value')
      throw badRequest(`store "${store.name}" is a ${store.kind} store: query a key's windows at /stores/${store.name}/keys/KEY/windows`);
    this.checkReady();
    const r = await this.queries.queryKey(store.name, key);
    if (!r.hosted) return this.forward(r.partition, r.host, forwarded, asked);
    if (r.value === undefined) throw new QueryError(404, 'no-value', `store "${store.name}" has no value for the key ${text} (partition ${r.partition})`);
    return this.ok({ store: store.name, key, partition: r.partition, value: r.value });
  }

  private async windows(store: ResolvedStore, key: unknown, q: URLSearchParams, forwarded: boolean, asked: Asked): Promise<Answer> {
    if (store.kind !== 'window') throw badRequest(`store "${store.name}" is a ${store.kind} store: query a key's value at /stores/${store.name}/keys/KEY`);
    const from = timeParam(q, 'from', 0);
    const to = timeParam(q, 'to', Number.MAX_SAFE_INTEGER);
    if (from > to) throw badRequest(`from (${from}) is after to (${to})`);
    this.checkReady();
    const partition = this.queries.partitionOf(store.name, key);
    if (!this.queries.hosts(partition)) return this.forward(partition, await this.options.directory.hostOf(partition).catch(() => undefined), forwarded, asked);
    const windows = this.queries.windowStore(store.name).fetch(key, from, to);
    return this.ok({
      store: store.name,
      key,
      partition,
      windows: windows.map((w) => ({ start: w.window.start, end: w.window.end, value: w.value })),
    });
  }

  private async keyMetadata(store: ResolvedStore, key: unknown): Promise<unknown> {
    const partition = this.queries.partitionOf(store.name, key);
    const local = this.queries.hosts(partition);
    const host = local ? this.advertised : await this.options.directory.hostOf(partition).catch(() => undefined);
    return { store: store.name, key, partition, host: host ?? null, local };
  }

  private async metadata(): Promise<unknown> {
    const owners = await this.owners();
    const instances = new Map<string, number[]>([[this.advertised, []]]);
    const unassigned: number[] = [];
    for (let p = 0; p < this.queries.taskCount; p++) {
      const host = owners.get(p);
      if (host === undefined) unassigned.push(p);
      else instances.set(host, [...(instances.get(host) ?? []), p]);
    }
    return {
      application: this.queries.applicationId,
      self: this.advertised,
      ready: this.options.notReady() === undefined,
      tasks: this.queries.taskCount,
      instances: [...instances].map(([host, partitions]) => ({ host, partitions })),
      unassigned,
    };
  }

  /** Every task's owner as far as known: this instance for its own, the directory for the others. */
  private async owners(): Promise<Map<number, string>> {
    const known = new Map(await this.options.directory.hosts().catch(() => new Map<number, string>()));
    for (const [p, host] of known) if (host === this.advertised && !this.queries.hosts(p)) known.delete(p);
    for (const p of this.queries.hostedPartitions) known.set(p, this.advertised);
    return known;
  }

  private async scan(store: ResolvedStore, q: URLSearchParams, forwarded: boolean, asked: Asked): Promise<Answer> {
    if (store.kind !== 'key-value')
      throw badRequest(`store "${store.name}" is a ${store.kind} store: scans cover key-value stores; query a key's windows instead`);
    const encoding = decoded(keyEncodingOf(q.get('keyEncoding')));
    const limit = limitParam(q.get('limit'));
    const prefixText = q.get('prefix');
    const [fromText, toText] = [q.get('from'), q.get('to')];
    if (prefixText !== null && (fromText !== null || toText !== null)) throw badRequest('give either prefix, or from and/or to, not both');
    const bound = (text: string | null) => (text === null ? undefined : keyBytes(store, decoded(decodeKey(store, text, encoding))));
    const scan = { from: bound(fromText), to: bound(toText), prefix: prefixText === null ? undefined : decoded(decodePrefix(prefixText, encoding)), limit };
    this.checkReady();
    const local = this.queries.scan(store.name, scan);
    const mine = local.entries.map((e) => ({ key: e.key, value: e.value, keyBytes: e.bytes.toString('base64') }));
    // Forwarded: this instance's part only, with the key bytes the asker merges by.
    if (forwarded) return this.ok({ store: store.name, entries: mine, more: local.more });
    const others = await this.otherOwners();
    const parts = await Promise.all(others.map((host) => this.forwardScan(host, asked)));
    const all = [...mine, ...parts.flatMap((p) => p.entries)];
    all.sort((a, b) => Buffer.compare(Buffer.from(a.keyBytes, 'base64'), Buffer.from(b.keyBytes, 'base64')));
    const more = local.more || parts.some((p) => p.more) || all.length > limit;
    return this.ok({ store: store.name, entries: all.slice(0, limit).map((e) => ({ key: e.key, value: e.value })), more });
  }

  /** The instances that own the tasks this one does not run; 503 when a task has no known owner. */
  private async otherOwners(): Promise<string[]> {
    const owners = await this.owners();
    const others = new Set<string>();
    for (let p = 0; p < this.queries.taskCount; p++) {
      const host = owners.get(p);
      if (host === undefined)
        throw unavailable(`partition ${p} of application ${this.queries.applicationId} has no known owner now (a rebalance is moving it); try again`);
      if (host !== this.advertised) others.add(host);
    }
    return [...others];
  }

  private async forwardScan(host: string, asked: Asked): Promise<{ entries: { key: unknown; value: unknown; keyBytes: string }[]; more: boolean }> {
    const a = await this.forwardTo(host, asked);
    if (a.status !== 200) throw unavailable(`the instance at ${host} could not answer its part of the scan (${a.status}: ${errorOf(a.body)})`);
    return JSON.parse(a.body) as { entries: { key: unknown; value: unknown; keyBytes: string }[]; more: boolean };
  }

  /** A key's query for a partition this instance does not host: asked of its owner, once. */
  private forward(partition: number, host: string | undefined, forwarded: boolean, asked: Asked): Promise<Answer> {
    if (forwarded)
      throw unavailable(`this instance was asked as the owner of partition ${partition}, but does not host it now (a rebalance is moving it); try again`);
    if (host === undefined || host === this.advertised)
      throw unavailable(`partition ${partition} of application ${this.queries.applicationId} has no known owner now (a rebalance is moving it); try again`);
    return this.forwardTo(host, asked);
  }

  private forwardTo(host: string, asked: Asked): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const fail = (why: string) => reject(unavailable(`the owner at ${host} is unreachable: ${why}`));
      const scheme = this.listener.scheme;
      let url: URL;
      try {
        url = new URL(asked.path, `${scheme}://${host}`);
      } catch {
        return fail('not a host:port');
      }
      const headers: http.OutgoingHttpHeaders = { [FORWARDED_HEADER]: this.advertised };
      if (asked.authorization !== undefined) headers.authorization = asked.authorization;
      const options: https.RequestOptions = { headers, timeout: FORWARD_TIMEOUT_MS, ...(scheme === 'https' ? this.options.forwardTls : {}) };
      const req = (scheme === 'https' ? https : http).get(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_FORWARDED_BYTES) req.destroy(new Error(`its answer is over ${MAX_FORWARDED_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', (e) => fail(e.message));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            body: Buffer.concat(chunks).toString('utf8'),
            servedBy: headerText(res.headers[SERVED_BY_HEADER]) ?? host,
            retryAfter: headerText(res.headers['retry-after']),
          }),
        );
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${FORWARD_TIMEOUT_MS} ms`)));
      req.on('error', (e) => fail(e.message));
    });
  }

  private checkReady(): void {
    const why = this.options.notReady();
    if (why !== undefined) throw unavailable(`application ${this.queries.applicationId} cannot answer queries now: ${why}; try again`);
  }
}

/** What a forwarded request repeats of its caller's: the path and query, and the credentials. */
interface Asked {
  readonly path: string;
  readonly authorization?: string;
}

function asked(req: http.IncomingMessage): Asked {
  return { path: req.url ?? '/', authorization: req.headers.authorization };
}

function decoded<T>(d: Decoded<T>): T {
  if (!d.ok) throw badRequest(d.error);
  return d.value;
}

function timeParam(q: URLSearchParams, name: string, otherwise: number): number {
  const text = q.get(name);
  if (text === null) return otherwise;
  const n = /^-?\d+$/.test(text) ? Number(text) : /^\d{4}-/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw badRequest(`${name} must be a time in epoch milliseconds or an ISO-8601 date (got "${text}")`);
  return n;
}

function limitParam(text: string | null): number {
  if (text === null) return DEFAULT_LIMIT;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT} (got "${text}")`);
  return n;
}

function headerText(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function errorOf(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: unknown }).error ?? body);
  } catch {
    return body.slice(0, 200);
  }
}
