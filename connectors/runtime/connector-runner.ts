// Starts and stops a set of connectors on one log. Sources stop first (so
// nothing new comes in), then sinks, each finishing its batch and committing
// what the outside acknowledged. `done` rejects as soon as one task fails; the
// others keep running until stop() (a failed sink must not take healthy ones down).
import { Rill } from '../../core/client';
import { rillLogClient, type LogClient } from '../../core/client';
import { defaultLogger, type Logger } from '../../dsl';
import type { SinkConnector, SourceConnector } from '../connector';
import type { Clock } from './clock';
import { SinkTask, type SinkTaskOptions } from './sink-task';
import { SourceTask, type SourceTaskOptions } from './source-task';
import type { ConnectorTask } from './task';
import type { Registry } from '../../core/metrics';
import { connectorMetrics } from './connector-metrics';

export interface ConnectorRunnerOptions {
  /** The log: an embedded Rill, or any LogClient (kafkaLogClient for Kafka/Redpanda). */
  readonly log: Rill | LogClient;
  /** Default for tasks that do not name their own. */
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Where the connectors' metrics go (records, errors, retries per connector). Absent: none. */
  readonly metrics?: Registry;
}

export class ConnectorRunner {
  readonly client: LogClient;
  private readonly sources: SourceTask<unknown, unknown, unknown>[] = [];
  private readonly sinks: SinkTask<unknown, unknown>[] = [];
  private started = false;

  constructor(private readonly options: ConnectorRunnerOptions) {
    this.client = options.log instanceof Rill ? rillLogClient(options.log) : options.log;
    if (options.metrics) connectorMetrics(options.metrics, () => this.tasks);
  }

  sink<K, V>(connector: SinkConnector<K, V>, options: SinkTaskOptions<K, V>): SinkTask<K, V> {
    const task = new SinkTask(this.client, connector, { logger: this.options.logger ?? defaultLogger(), clock: this.options.clock, ...options });
    this.sinks.push(task as unknown as SinkTask<unknown, unknown>);
    if (this.started) void task.start().catch(() => undefined);
    return task;
  }

  source<K, V, P>(connector: SourceConnector<K, V, P>, options: SourceTaskOptions<K, V>): SourceTask<K, V, P> {
    const task = new SourceTask(this.client, connector, { logger: this.options.logger ?? defaultLogger(), clock: this.options.clock, ...options });
    this.sources.push(task as unknown as SourceTask<unknown, unknown, unknown>);
    if (this.started) void task.start().catch(() => undefined);
    return task;
  }

  get tasks(): readonly ConnectorTask[] {
    return [...this.sources, ...this.sinks];
  }

  /** Starts every task; if one cannot start, stops those already started and rejects. */
  async start(): Promise<void> {
    this.started = true;
    try {
      for (const t of this.tasks) await t.start();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Rejects with the first task failure; resolves once every task stopped cleanly. */
  get done(): Promise<void> {
    return Promise.all(this.tasks.map((t) => t.done)).then(() => undefined);
  }

  async stop(): Promise<void> {
    await Promise.all(this.sources.map((t) => t.stop()));
    await Promise.all(this.sinks.map((t) => t.stop()));
  }
}
