// Connector metrics, read from each task's stats when scraped (the tasks count
// anyway; the record path pays nothing more): records moved, bad records, retried
// failures, and whether a task failed, per connector.
import { Counter, Gauge, type Registry } from '../../core/metrics';
import type { ConnectorStats, ConnectorTask } from './task';

export function connectorMetrics(registry: Registry, tasks: () => readonly ConnectorTask[]): void {
  const labelNames = ['connector'] as const;
  const counter = (name: string, help: string, count: (s: ConnectorStats) => number) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const t of tasks()) this.inc({ connector: t.name }, count(t.stats));
      },
    });
  counter(
    'rill_connector_records_total',
    'Records a connector moved: written to the outside (sink) or to its topic (source) (Kafka Connect sink-record-send / source-record-write)',
    (s) => s.written,
  );
  counter(
    'rill_connector_record_errors_total',
    'Records a connector could not read or write: skipped or dead-lettered under its bad-records policy (Kafka Connect total-record-errors)',
    (s) => s.skipped + s.deadLettered,
  );
  counter(
    'rill_connector_dead_lettered_records_total',
    'Bad records a connector sent to its dead-letter topic (Kafka Connect deadletterqueue-produce-requests)',
    (s) => s.deadLettered,
  );
  counter('rill_connector_retries_total', 'Failed tries of a connector that were retried with backoff (Kafka Connect total-retries)', (s) => s.retries);
  new Gauge({
    name: 'rill_connector_failed',
    help: '1 when the connector task has failed (stopped on an error), else 0',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tasks()) this.set({ connector: t.name }, t.state === 'failed' ? 1 : 0);
    },
  });
}
