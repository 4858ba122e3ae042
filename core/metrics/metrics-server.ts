// /metrics over HTTP (node:http) for one registry: GET only, no request body
// read, a bounded number of connections and short timeouts (a scraper that
// hangs cannot hold the process). Closed by its owner with the rest of it.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  readonly registry: Registry;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

/** Scrapers are few: more connections than this are refused. */
const MAX_CONNECTIONS = 32;
const REQUEST_TIMEOUT_MS = 10_000;

export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    readonly host: string,
  ) {}

  static start(options: MetricsServerOptions): Promise<MetricsServer> {
    const server = http.createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, (req, res) =>
      answer(options.registry, req, res),
    );
    server.maxConnections = MAX_CONNECTIONS;
    server.keepAliveTimeout = 5_000;
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve(new MetricsServer(server, (server.address() as AddressInfo).port, host));
      });
    });
  }

  /** Where Prometheus scrapes. */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/metrics`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

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
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
