// The console's HTTP server: the page, its script and style, and the JSON API
// the page polls. Read-only: anything but GET (and HEAD) is refused. Every bad
// request gets a JSON error and the server goes on serving the others.
import type * as http from 'node:http';
import { type HttpListener, type HttpSecurity, startHttpListener } from '../../core/http';
import { BrokerError, ErrorCode } from '../../core/client';
import type { ControllerAddress } from '../../core/cluster';
import { ControllersUnavailable, ControllerView } from './controller-view';
import { uiBundle } from './assets';
import { KafkaView, type KafkaViewOptions, type Seek } from './kafka-view';
import { LiveFeeds } from './live-feed';
import type { AppView, ConsoleInfo, ErrorView, MessagesView, TopologyView, WorkerStatusView } from '../model';
import { CONSOLE_CSS, CONSOLE_HTML } from './page';
import { RegistryCallError, RegistryView } from './registry-view';
import { renderBytes } from './render';
import { WorkerStatusReader } from './worker-status-topic';

export interface ConsoleOptions extends KafkaViewOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1: the console shows every record, so it listens on loopback unless told otherwise. */
  readonly host?: string;
  /** The schema registry's REST URL: the Schemas page, and Avro values decoded in the message browser. */
  readonly registry?: string;
  /** How often the pages refresh (default 5000 ms): the live streams' polling, or the pages' own. */
  readonly refreshMs?: number;
  /** How often a quiet live stream gets a heartbeat comment (default 15 s). */
  readonly heartbeatMs?: number;
  /** Live streams (server-sent events) open at once, at most (default 64); pages beyond poll. */
  readonly maxLiveStreams?: number;
  /** The worker serving this console (`rill worker --console-port`): its live status at /api/worker, and on the Stream apps page. */
  readonly worker?: { readonly id: string; status(): Promise<WorkerStatusView> };
  /** A Rill cluster's controllers: the quorum on the Cluster page, and the Stream apps page. */
  readonly controllers?: readonly ControllerAddress[];
  /** Pipelines' topologies, drawn on the Stream apps page (beside their workers, when the controllers are known). */
  readonly topologies?: readonly TopologyView[];
  /** HTTPS and/or basic auth on the console's port (a browser asks for the user and password); default plain HTTP. */
  readonly security?: HttpSecurity;
}

/** Records one message-browser page shows, at most. */
const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 50;

/** A request the console cannot answer as asked (HTTP 400). */
class BadRequest extends Error {}

export class ConsoleServer {
  private constructor(
    private readonly listener: HttpListener,
    private readonly kafka: KafkaView,
    /** The pages' live streams (exposed for tests: how many are open, how many paths are polled). */
    readonly live: LiveFeeds,
  ) {}

  get url(): string {
    return this.listener.url;
  }

  static async start(options: ConsoleOptions): Promise<ConsoleServer> {
    const kafka = new KafkaView(options);
    const registry = options.registry === undefined ? undefined : new RegistryView(options.registry.replace(/\/+$/, ''));
    const controllers = options.controllers === undefined || options.controllers.length === 0 ? undefined : new ControllerView(options.controllers);
    const info: ConsoleInfo = {
      bootstrap: options.bootstrap,
      registry: registry?.url ?? null,
      controllers: controllers !== undefined,
      apps: controllers !== undefined || (options.topologies ?? []).length > 0,
      refreshMs: options.refreshMs ?? 5000,
      worker: options.worker?.id ?? null,
    };
    const statuses = new WorkerStatusReader(kafka.logClient);
    const api = apiRoutes({ kafka, registry, controllers, topologies: options.topologies ?? [], statuses, worker: options.worker }, info);
    const live = new LiveFeeds({
      answer: (url) => answerPath(url, api),
      refreshMs: info.refreshMs,
      heartbeatMs: options.heartbeatMs,
      maxStreams: options.maxLiveStreams,
    });
    // Behind the listener's TLS and basic auth, as every other request.
    const serve = (request: http.IncomingMessage, response: http.ServerResponse) => {
      if (isLiveStream(request)) return live.serve(request, response, new URL(request.url ?? '/', 'http://console'), SECURITY_HEADERS);
      answer(request, api).then(
        ({ status, type, body }) => send(response, status, type, body),
        (e) => send(response, 500, JSON_TYPE, JSON.stringify({ error: (e as Error).message } satisfies ErrorView)),
      );
    };
    try {
      const listener = await startHttpListener({
        port: options.port,
        host: options.host,
        security: options.security,
        realm: 'Rill console',
        handle: serve,
        refusal: (_status, message) => ({ type: JSON_TYPE, body: JSON.stringify({ error: message } satisfies ErrorView) }),
      });
      return new ConsoleServer(listener, kafka, live);
    } catch (e) {
      live.close();
      await kafka.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    this.live.close();
    await this.listener.close();
    await this.kafka.close();
  }
}

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

type ApiRoute = { readonly pattern: RegExp; readonly handle: (match: string[], query: URLSearchParams) => Promise<unknown> };

const JSON_TYPE = 'application/json; charset=utf-8';

interface Sources {
  readonly kafka: KafkaView;
  readonly registry?: RegistryView;
  readonly controllers?: ControllerView;
  readonly topologies: readonly TopologyView[];
  readonly statuses: WorkerStatusReader;
  readonly worker?: ConsoleOptions['worker'];
}

function apiRoutes({ kafka, registry, controllers, topologies, statuses, worker }: Sources, info: ConsoleInfo): ApiRoute[] {
  const needControllers = (): ControllerView => {
    if (controllers === undefined) throw new BadRequest("the console was not given the cluster's controllers (rill console --controllers 1@HOST:PORT,...)");
    return controllers;
  };
  /** The controllers' applications with their topologies, and the topologies of applications no worker runs. */
  const apps = async (): Promise<AppView[]> => {
    if (controllers === undefined && topologies.length === 0) needControllers();
    const running = controllers === undefined ? [] : await controllers.apps();
    const drawn = new Map(topologies.map((t) => [t.app, t]));
    const known = await Promise.all(running.map(async (a) => ({ ...a, workers: await withStatuses(a), topology: drawn.get(a.app) ?? null })));
    const idle = topologies
      .filter((t) => !running.some((a) => a.app === t.app))
      .map((t) => ({ app: t.app, generation: -1, workers: [], tasks: [], topology: t }));
    return [...known, ...idle].sort((a, b) => a.app.localeCompare(b.app));
  };
  /** Each live worker's own status: this console's worker's taken now, the others' last written to the app's worker-status topic. */
  const withStatuses = async (a: AppView): Promise<AppView['workers']> => {
    const written = await statuses.statuses(a.app).catch(() => new Map<string, WorkerStatusView>());
    const own = worker !== undefined && a.workers.some((w) => w.workerId === worker.id) ? await worker.status() : undefined;
    return a.workers.map((w) => ({ ...w, status: w.workerId === own?.workerId ? own : (written.get(w.workerId) ?? null) }));
  };
  const needWorker = () => {
    if (worker === undefined) throw new BadRequest('this console is not served by a worker (rill worker --console-port)');
    return worker;
  };
  return [
    { pattern: /^\/api\/info$/, handle: async () => info },
    { pattern: /^\/api\/cluster$/, handle: () => kafka.cluster() },
    { pattern: /^\/api\/topics$/, handle: () => kafka.topics() },
    { pattern: /^\/api\/topics\/([^/]+)$/, handle: ([name]) => kafka.topic(name) },
    { pattern: /^\/api\/topics\/([^/]+)\/messages$/, handle: ([name], query) => messages(kafka, registry, name, query) },
    { pattern: /^\/api\/groups$/, handle: () => kafka.groups() },
    { pattern: /^\/api\/groups\/([^/]+)$/, handle: ([id]) => kafka.group(id) },
    { pattern: /^\/api\/quorum$/, handle: () => needControllers().quorum() },
    { pattern: /^\/api\/apps$/, handle: apps },
    { pattern: /^\/api\/worker$/, handle: () => needWorker().status() },
    {
      pattern: /^\/api\/schemas$/,
      handle: () => {
        if (registry === undefined) throw new BadRequest('no schema registry was given (rill console --schema-registry URL)');
        return registry.schemas();
      },
    },
  ];
}

async function answer(request: http.IncomingMessage, api: readonly ApiRoute[]): Promise<Answer> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return error(405, 'the console is read-only: only GET is served');
  return answerPath(new URL(request.url ?? '/', 'http://console'), api);
}

/** GET /api/live: the pages' live stream (LiveFeeds). */
function isLiveStream(request: http.IncomingMessage): boolean {
  return request.method === 'GET' && (request.url === '/api/live' || (request.url ?? '').startsWith('/api/live?'));
}

async function answerPath(url: URL, api: readonly ApiRoute[]): Promise<Answer> {
  if (url.pathname === '/' || url.pathname === '/index.html') return { status: 200, type: 'text/html; charset=utf-8', body: CONSOLE_HTML };
  if (url.pathname === '/console.css') return { status: 200, type: 'text/css; charset=utf-8', body: CONSOLE_CSS };
  if (url.pathname === '/console.js') return { status: 200, type: 'text/javascript; charset=utf-8', body: await uiBundle() };
  for (const route of api) {
    const match = route.pattern.exec(url.pathname);
    if (match === null) continue;
    try {
      const params = match.slice(1).map(decodeURIComponent);
      return { status: 200, type: JSON_TYPE, body: JSON.stringify(await route.handle(params, url.searchParams)) };
    } catch (e) {
      return failure(e);
    }
  }
  return error(404, `nothing at ${url.pathname}`);
}

/** A failure as an HTTP answer: the Kafka error code when a broker refused. */
function failure(e: unknown): Answer {
  if (e instanceof BadRequest || e instanceof URIError) return error(400, e.message);
  if (e instanceof RegistryCallError) return error(e.status, e.message);
  if (e instanceof ControllersUnavailable) return error(502, e.message);
  if (e instanceof BrokerError) {
    const missing = e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || e.code === ErrorCode.GROUP_ID_NOT_FOUND;
    return error(missing ? 404 : 502, e.message, e.code);
  }
  return error(502, (e as Error).message);
}

function error(status: number, message: string, code?: number): Answer {
  return { status, type: JSON_TYPE, body: JSON.stringify({ error: message, code } satisfies ErrorView) };
}

async function messages(kafka: KafkaView, registry: RegistryView | undefined, topic: string, query: URLSearchParams): Promise<MessagesView> {
  const partition = integer(query, 'partition') ?? 0;
  const limit = integer(query, 'limit') ?? DEFAULT_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) throw new BadRequest(`limit must be from 1 to ${MAX_LIMIT}`);
  const read = await kafka.read(topic, partition, seekOf(query), limit);
  const messages = [];
  for (const r of read.records)
    messages.push({
      partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: await renderBytes(r.key, registry),
      value: await renderBytes(r.value, registry),
    });
  return { topic, partition, from: read.from, startOffset: read.startOffset, endOffset: read.endOffset, messages };
}

/** ?offset=N, ?timestamp=T (epoch ms or ISO-8601), ?from=beginning|end (default end: the last records). */
function seekOf(query: URLSearchParams): Seek {
  const offset = integer(query, 'offset');
  if (offset !== undefined) return { offset };
  const timestamp = query.get('timestamp');
  if (timestamp !== null && timestamp !== '') {
    const ms = /^\d+$/.test(timestamp) ? Number(timestamp) : Date.parse(timestamp);
    if (!Number.isFinite(ms)) throw new BadRequest(`timestamp "${timestamp}" is neither epoch milliseconds nor an ISO-8601 date`);
    return { timestamp: ms };
  }
  const from = query.get('from') ?? 'end';
  if (from !== 'beginning' && from !== 'end') throw new BadRequest(`from must be beginning or end, not "${from}"`);
  return from;
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new BadRequest(`${name} must be an integer, not "${text}"`);
  return Number(text);
}

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  // Everything comes from the console itself: no CDN, no inline script.
  'content-security-policy': "default-src 'self'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
};

function send(response: http.ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  response.end(body);
}
