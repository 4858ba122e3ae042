// A counter with one label whose children are cached: the hot paths (a Produce
// per topic, a request per API) pay one Map lookup, not prom-client's label
// hashing, per increment.
import { Counter, type Registry } from 'prom-client';

export class LabelledCounter {
  private readonly counter: Counter<string>;
  private readonly children = new Map<string, Counter.Internal>();

  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly label: string,
  ) {
    this.counter = new Counter({ name, help, labelNames: [label], registers: [registry] });
  }

  inc(value: string, by = 1): void {
    let child = this.children.get(value);
    if (child === undefined) this.children.set(value, (child = this.counter.labels({ [this.label]: value })));
    child.inc(by);
  }
}
