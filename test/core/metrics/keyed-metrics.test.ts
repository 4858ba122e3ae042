// The hot-path counter and histogram write exactly what prom-client's own
// Counter and Histogram write for the same observations.
import { Counter, Histogram, KeyedCounter, KeyedHistogram, metricsRegistry, TotalCounter } from '../../../core/metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const observations: [string, number][] = [
  ['Produce', 0.0005],
  ['Produce', 0.001],
  ['Fetch', 0.5],
  ['Produce', 0.05],
  ['Fetch', 3],
];

test('KeyedHistogram writes what prom-client’s Histogram writes', async () => {
  const ours = metricsRegistry();
  const theirs = metricsRegistry();
  const keyed = new KeyedHistogram<string>(ours, 'latency_seconds', 'help text', BUCKETS, (api) => ({ api }));
  const reference = new Histogram({ name: 'latency_seconds', help: 'help text', labelNames: ['api'], buckets: BUCKETS, registers: [theirs] });
  for (const [api, v] of observations) {
    keyed.observe(api, v);
    reference.labels(api).observe(v);
  }
  expect(await ours.metrics()).toBe(await theirs.metrics());
});

test('KeyedCounter writes what prom-client’s Counter writes', async () => {
  const ours = metricsRegistry();
  const theirs = metricsRegistry();
  const keyed = new KeyedCounter<number>(ours, 'requests_total', 'help text', ['api', 'version'], (key) => ({
    api: String(key >> 8),
    version: String(key & 255),
  }));
  const reference = new Counter({ name: 'requests_total', help: 'help text', labelNames: ['api', 'version'], registers: [theirs] });
  for (const [api, version, n] of [
    [0, 9, 3],
    [1, 12, 1],
    [0, 9, 2],
  ]) {
    keyed.inc((api << 8) | version, n);
    reference.labels(String(api), String(version)).inc(n);
  }
  expect(await ours.metrics()).toBe(await theirs.metrics());
});

test('TotalCounter writes what prom-client’s Counter writes, and moves between scrapes', async () => {
  const ours = metricsRegistry();
  const theirs = metricsRegistry();
  const total = new TotalCounter(ours, 'records_total', 'help text');
  const reference = new Counter({ name: 'records_total', help: 'help text', registers: [theirs] });
  expect(await ours.metrics()).toBe(await theirs.metrics());
  for (const n of [500, 1, 437]) {
    total.inc(n);
    reference.inc(n);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  }
  total.inc();
  expect(await ours.metrics()).toContain('records_total 939');
});
