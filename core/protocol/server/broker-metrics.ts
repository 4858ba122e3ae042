// A broker's metrics, with Kafka's meanings and Prometheus' names: what the
// Kafka front end counts as requests flow (per request and per batch, never per
// record), and what it reads from its listener and its ports when scraped. The
// same for a single node and a cluster broker; a mode adds what only it knows
// (a single node's partition logs, a cluster's ISR and controller) with
// collectors of its own on the same registry.
import * as E from 'fp-ts/Either';
import { Gauge, KeyedCounter, KeyedHistogram, labelledCounter, readAtScrape, type Registry, SECONDS_BUCKETS, TotalCounter } from '../../metrics';
import { apiByKey } from '../apis';
import { batchHeader } from '../../log';
import type { BrokerPorts, FetchWanted, GroupPort, PartitionPort } from '../ports';

/** What the listener knows at scrape time. */
export interface ListenerGauges {
  readonly connectionCount: number;
  readonly inFlightRequests: number;
  /** Request bytes held in the memory pool (queued.max.request.bytes). */
  readonly queuedRequestBytes: number;
}

/** Ends one request's timing. */
export type RequestDone = () => void;

export class BrokerMetrics {
  private readonly bytesIn: KeyedCounter<string>;
  private readonly bytesOut: KeyedCounter<string>;
  private readonly messagesIn: KeyedCounter<string>;
  /** By api key * 1000 + version. */
  private readonly requests: KeyedCounter<number>;
  /** By api key. */
  private readonly latency: KeyedHistogram<number>;
  private readonly rebalances: TotalCounter;
  private parkedFetches = 0;
  private parkedProduces = 0;

  constructor(registry: Registry, listener: () => ListenerGauges, groups: GroupPort) {
    this.bytesIn = labelledCounter(
      registry,
      'rill_broker_bytes_in_total',
      'Record batch bytes appended by Produce requests, per topic (Kafka BytesInPerSec)',
      'topic',
    );
    this.bytesOut = labelledCounter(
      registry,
      'rill_broker_bytes_out_total',
      'Record batch bytes returned by Fetch requests, per topic (Kafka BytesOutPerSec)',
      'topic',
    );
    this.messagesIn = labelledCounter(
      registry,
      'rill_broker_messages_in_total',
      'Records appended by Produce requests, per topic (Kafka MessagesInPerSec)',
      'topic',
    );
    this.requests = new KeyedCounter<number>(
      registry,
      'rill_broker_requests_total',
      'Requests answered (or closed on), per API and version (Kafka RequestsPerSec)',
      ['api', 'version'],
      (key) => ({ api: apiName(Math.floor(key / 1000)), version: String(key % 1000) }),
    );
    this.latency = new KeyedHistogram<number>(
      registry,
      'rill_broker_request_duration_seconds',
      'Time from a request decoded to its response ready, per API, long polls included (Kafka TotalTimeMs)',
      SECONDS_BUCKETS,
      (key) => ({ api: apiName(key) }),
    );
    this.rebalances = new TotalCounter(registry, 'rill_broker_group_rebalances_total', 'Consumer group generations completed (a JoinGroup round answered)');
    const gauge = (name: string, help: string, read: () => number | Promise<number>) => readAtScrape(registry, name, help, read);
    gauge('rill_broker_connections', 'Open client connections (Kafka connection-count)', () => listener().connectionCount);
    gauge('rill_broker_requests_in_flight', 'Requests read and not yet answered, over all connections', () => listener().inFlightRequests);
    gauge('rill_broker_request_queue_bytes', 'Request bytes held in the memory pool (queued.max.request.bytes)', () => listener().queuedRequestBytes);
    gauge('rill_broker_fetch_purgatory_size', 'Fetch requests waiting for data or their maxWaitMs (Kafka fetch purgatory)', () => this.parkedFetches);
    gauge(
      'rill_broker_produce_purgatory_size',
      'acks=all Produce requests waiting for the in-sync replicas (Kafka produce purgatory)',
      () => this.parkedProduces,
    );
    gauge('rill_broker_groups', 'Consumer groups this broker coordinates', async () => (await groups.listGroups()).length);
  }

  /** Starts timing one request; the answer (or the closed connection) calls what it returns. */
  request(apiKey: number, version: number): RequestDone {
    this.requests.inc(apiKey * 1000 + version);
    const started = performance.now();
    return () => this.latency.observe(apiKey, (performance.now() - started) / 1000);
  }

  /** The ports the handlers see: the same, counting produced and fetched bytes and the requests parked in them. */
  meter(ports: BrokerPorts): BrokerPorts {
    return { ...ports, partitions: this.meterPartitions(ports.partitions), groups: this.meterGroups(ports.groups) };
  }

  private meterPartitions(port: PartitionPort): PartitionPort {
    const produced = (topic: string, records: Buffer): void => {
      this.bytesIn.inc(topic, records.length);
      this.messagesIn.inc(topic, recordCount(records));
    };
    return withOverrides(port, {
      produce: (topic, partition, records, acks, timeoutMs) => {
        const result = port.produce(topic, partition, records, acks, timeoutMs);
        if (!(result instanceof Promise)) {
          if (E.isRight(result)) produced(topic, records);
          return result;
        }
        this.parkedProduces++;
        return result.then(
          (r) => {
            this.parkedProduces--;
            if (E.isRight(r)) produced(topic, records);
            return r;
          },
          (e: unknown) => {
            this.parkedProduces--;
            throw e;
          },
        );
      },
      fetch: (wanted: FetchWanted) => {
        this.parkedFetches++;
        return port.fetch(wanted).then(
          (fetched) => {
            this.parkedFetches--;
            for (const p of fetched) if (p.records.length > 0) this.bytesOut.inc(p.topic, p.records.length);
            return fetched;
          },
          (e: unknown) => {
            this.parkedFetches--;
            throw e;
          },
        );
      },
    });
  }

  private meterGroups(port: GroupPort): GroupPort {
    return withOverrides(port, {
      joinGroup: async (params) => {
        const joined = await port.joinGroup(params);
        // Each generation answers its leader once: one rebalance.
        if (joined.errorCode === 0 && joined.memberId === joined.leader) this.rebalances.inc();
        return joined;
      },
    });
  }
}

/** An API's name for its labels ("Produce"), or its key when Rill does not serve it. */
function apiName(apiKey: number): string {
  return apiByKey(apiKey)?.name ?? String(apiKey);
}

/** Records in a Produce request's batches: each batch header's count (no record is read). */
function recordCount(batches: Buffer): number {
  let count = 0;
  let pos = 0;
  while (pos + batchHeader.RECORDS <= batches.length) {
    count += batches.readInt32BE(pos + batchHeader.RECORD_COUNT);
    pos += batchHeader.LOG_OVERHEAD + batches.readInt32BE(pos + batchHeader.BATCH_LENGTH);
  }
  return count;
}

/**
 * `target` with some methods replaced. A port may be a class instance (the
 * cluster's group coordinator), so its methods are bound and its other
 * properties read through, rather than spread (a spread loses the prototype).
 */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  const out: Record<string, unknown> = {};
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor' || key in out) continue;
      const value = (target as Record<string, unknown>)[key];
      if (typeof value === 'function') out[key] = value.bind(target);
      else Object.defineProperty(out, key, { get: () => (target as Record<string, unknown>)[key], enumerable: true });
    }
  }
  return Object.assign(out, overrides) as T;
}

/** One partition log as the size and end offset gauges read it. */
export interface MeteredLog {
  readonly topic: string;
  readonly partition: number;
  readonly log: { readonly size: number; readonly logEndOffset: number };
}

/** Size and end offset of every partition log this broker holds, read when scraped (an append pays nothing for them). */
export function partitionLogGauges(registry: Registry, logs: () => Iterable<MeteredLog>): void {
  const gauge = (name: string, help: string, read: (log: MeteredLog['log']) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        // A deleted partition disappears with the reset.
        this.reset();
        for (const { topic, partition, log } of logs()) this.set({ topic, partition: String(partition) }, read(log));
      },
    });
  gauge('rill_broker_log_size_bytes', 'Bytes of a partition log on this broker, all segments (Kafka Log Size)', (log) => log.size);
  gauge('rill_broker_log_end_offset', 'The next offset a partition log on this broker will write (Kafka LogEndOffset)', (log) => log.logEndOffset);
}
