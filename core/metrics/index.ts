// core/metrics: Prometheus metrics as every process of Rill exposes them. One
// Registry per broker, node, worker or app instance (never prom-client's global
// one: several brokers in one process keep their own numbers), label children
// cached for the hot paths, and a small HTTP server for /metrics. Below
// everything but the wire: any module may count through it.
export { Counter, Gauge, Histogram, Registry } from 'prom-client';
export { KeyedCounter, labelledCounter, TotalCounter } from './labelled';
export { MetricsServer } from './metrics-server';
export type { MetricsServerOptions } from './metrics-server';
export { counterAtScrape, EVENT_LOOP_SAMPLE_MS, metricsRegistry, readAtScrape, SECONDS_BUCKETS } from './registry';
export { KeyedHistogram } from './keyed-histogram';
