// A histogram whose hot path is a Map lookup, a short loop over the bucket
// bounds and three additions (prom-client's own observe hashes and checks its
// labels each time, about 0.6 µs). It is registered as a metric of its own and
// written out in Prometheus' histogram form (cumulative _bucket{le}, _sum,
// _count) when scraped.
import type { Registry } from 'prom-client';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface Sample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

export class KeyedHistogram<K> {
  private readonly series = new Map<K, Series>();
  private readonly bounds: readonly number[];

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    /** The labels of a key, computed once, at its first observation. */
    private readonly labelsOf: (key: K) => Readonly<Record<string, string>>,
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    // prom-client's registry takes any object with a name and get() (its "metric" contract).
    registry.registerMetric({ name, help, type: 'histogram', aggregator: 'sum', get: async () => this.get(), reset: () => this.series.clear() } as never);
  }

  observe(key: K, value: number): void {
    let s = this.series.get(key);
    if (s === undefined) this.series.set(key, (s = { labels: this.labelsOf(key), counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }));
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  private get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] } {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: i < this.bounds.length ? this.bounds[i] : '+Inf', ...s.labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
