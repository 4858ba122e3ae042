// What only a cluster broker knows, beside the Kafka front end's metrics:
// its partition logs, the leaders it holds whose ISR is short, and its ISR
// changes. Gauges are read from the replicas when scraped; the ISR counters move
// once per accepted AlterPartition.
import { Counter, Gauge, type Registry } from '../../metrics';
import { partitionLogGauges } from '../../protocol';
import type { BrokerView } from './broker-view';

export class ClusterBrokerMetrics {
  private readonly shrinks: Counter;
  private readonly expands: Counter;

  constructor(registry: Registry, broker: BrokerView) {
    partitionLogGauges(registry, () => broker.replicas.values());
    new Gauge({
      name: 'rill_broker_under_replicated_partitions',
      help: 'Partitions this broker leads whose ISR is smaller than their replica set (Kafka UnderReplicatedPartitions)',
      registers: [registry],
      collect() {
        let n = 0;
        for (const h of broker.replicas.values()) {
          if (h.replica.role !== 'leader') continue;
          const registered = broker.image.partition(h.topicId, h.partition);
          if (registered !== undefined && registered.isr.length < registered.replicas.length) n++;
        }
        this.set(n);
      },
    });
    this.shrinks = new Counter({
      name: 'rill_broker_isr_shrinks_total',
      help: 'ISR shrinks this broker proposed as leader and the controller accepted (Kafka IsrShrinksPerSec)',
      registers: [registry],
    });
    this.expands = new Counter({
      name: 'rill_broker_isr_expands_total',
      help: 'ISR expansions this broker proposed as leader and the controller accepted (Kafka IsrExpandsPerSec)',
      registers: [registry],
    });
  }

  /** An AlterPartition the controller accepted, from an ISR of `before` members to `after`. */
  isrChanged(before: number, after: number): void {
    if (after < before) this.shrinks.inc();
    else if (after > before) this.expands.inc();
  }
}
