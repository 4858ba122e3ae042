// /metrics over HTTP(S) for one registry, on core/http's listener (optional
// TLS and basic auth: Prometheus' scrape config has tls_config and
// basic_auth): GET only, no request body read, a bounded number of
// connections and short timeouts (a scraper that hangs cannot hold the
// process). Closed by its owner with the rest of it.
import type * as http from 'node:http';
import type { Registry } from 'prom-client';
import { type HttpListener, type HttpSecurity, startHttpListener } from '../http';

export interface MetricsServerOptions {
  readonly registry: Registry;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** HTTPS and/or basic auth; default plain HTTP, nobody asked. */
  readonly security?: HttpSecurity;
}

/** Scrapers are few: more connections than this are refused. */
const MAX_CONNECTIONS = 32;

export class MetricsServer {
  private constructor(private readonly listener: HttpListener) {}

  static async start(options: MetricsServerOptions): Promise<MetricsServer> {
    const listener = await startHttpListener({
      port: options.port,
      host: options.host,
      security: options.security,
      realm: 'Rill metrics',
      maxConnections: MAX_CONNECTIONS,
      handle: (req, res) => answer(options.registry, req, res),
      refusal: (_status, message) => ({ type: TEXT, body: `${message}\n` }),
    });
    return new MetricsServer(listener);
  }

  get port(): number {
    return this.listener.port;
  }

  get host(): string {
    return this.listener.host;
  }

  /** Where Prometheus scrapes. */
  get url(): string {
    return `${this.listener.url}/metrics`;
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}

const TEXT = 'text/plain; charset=utf-8';

function answer(registry: Registry, req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume(); // a body, if any, is not read into memory
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics') return plain(res, 404, 'not found: metrics are served at /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, `method ${req.method} not allowed: use GET\n`);
  }
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (e: unknown) => plain(res, 500, `collecting metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
  );
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': TEXT });
  res.end(text);
}
