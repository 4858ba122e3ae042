// A counter whose hot path is a Map lookup and an addition: counts are kept as
// plain numbers by key (a topic, an API and version, a task) and handed to
// prom-client only when scraped. prom-client's own children hash and check
// their labels on every increment; a Produce per topic or a request per API
// should not pay that.
import { Counter, type Registry } from 'prom-client';
import { counterAtScrape } from './registry';

/** A counter without labels: a plain number until scraped (prom-client's inc() checks its arguments and hashes its labels each time). */
export class TotalCounter {
  private n = 0;

  constructor(registry: Registry, name: string, help: string) {
    counterAtScrape(registry, name, help, () => this.n);
  }

  inc(by = 1): void {
    this.n += by;
  }
}

export class KeyedCounter<K> {
  private readonly counts = new Map<K, { n: number; readonly labels: Readonly<Record<string, string>> }>();

  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    /** The labels of a key, computed once, at its first increment. */
    private readonly labelsOf: (key: K) => Readonly<Record<string, string>>,
  ) {
    const counts = this.counts;
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of counts.values()) this.inc(c.labels, c.n);
      },
    });
  }

  inc(key: K, by = 1): void {
    const c = this.counts.get(key);
    if (c !== undefined) c.n += by;
    else this.counts.set(key, { n: by, labels: this.labelsOf(key) });
  }
}

/** A counter with one label whose value is the key. */
export function labelledCounter(registry: Registry, name: string, help: string, label: string): KeyedCounter<string> {
  return new KeyedCounter<string>(registry, name, help, [label], (value) => ({ [label]: value }));
}
