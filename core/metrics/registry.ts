// The registry of one process or app instance, and the buckets latency histograms share.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * How often the event loop's delay is sampled for the nodejs_eventloop_lag_*
 * percentiles, in ms. prom-client's default, 10 ms, wakes an idle process 100
 * times a second: 4 CPU-ms a second whether anything happens or not, 4 % of a
 * broker that spends 100 ms a second on requests (bench:client measured it).
 * At 100 ms it is 0.5 ms a second; a stall of the loop still shows in the
 * lag's max and high percentiles whenever it spans a sample (a stall of 100 ms
 * or more, always).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * A fresh registry (not prom-client's global one). `process: true` adds the
 * process's own metrics (CPU, memory, event loop lag, GC, handles): for the one
 * registry of a process (`rill broker`, a cluster node, `rill worker`).
 */
export function metricsRegistry(options: { process?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.process) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}

/** A counter without labels whose total is read when scraped (a plain number kept by its owner, or state it already has). */
export function counterAtScrape(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
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
