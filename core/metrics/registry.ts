// The registry of one process or app instance, and the buckets latency histograms share.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * A fresh registry (not prom-client's global one). `process: true` adds the
 * process's own metrics (CPU, memory, event loop lag, GC, handles): for the one
 * registry of a process (`rill broker`, a cluster node, `rill worker`).
 */
export function metricsRegistry(options: { process?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.process) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Request, commit and process latencies: 0.5 ms to 10 s (a long poll's 500 ms wait lands in its own bucket). */
export const SECONDS_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A gauge without labels whose value is read when scraped: nothing is counted in between. */
export function readAtScrape(registry: Registry, name: string, help: string, read: () => number | Promise<number>): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read());
    },
  });
}
