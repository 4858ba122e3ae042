// The schema registry over any LogClient: its compacted `_schemas` topic kept
// on a remote log (Apache Kafka through the kafkajs LogClient, or a Rill
// cluster), as Confluent's registry keeps it on Kafka.
//
// The registry is synchronous (it decides and applies a change in one call),
// and a remote log is not. So opening reads the whole topic first, and a
// change is sent in the background, in order, on one producer: it is durable
// once `flushed()` resolves. The REST server answers a change only then. A
// failed send makes the storage refuse every later change (storage error
// 50001) so nothing is built on a change the log may not hold; restarting the
// registry reads the topic again.
//
// One registry process writes a topic: there is no leader election between
// registries (Confluent's leader.eligibility); others would not see its changes.
import { SchemaRegistry, SCHEMAS_TOPIC, type SchemaStorage, type StoredRecord } from '../schema';
import type { LogClient, LogProducer } from './log-client';

const REPLAY_FETCH_BYTES = 1024 * 1024;
/** Fetches in a row that may find nothing below the high watermark (a leader moving) before opening fails. */
const REPLAY_EMPTY_FETCHES = 50;
const REPLAY_RETRY_MS = 100;

export interface LogClientSchemaRegistryOptions {
  /** Copies of the `_schemas` partition; -1 or undefined: the cluster's default. */
  readonly replicationFactor?: number;
  /** The topic; default `_schemas` (Confluent's kafkastore.topic). */
  readonly topic?: string;
}

export class LogClientSchemaStorage implements SchemaStorage {
  /** The chain of sends, in append order; never rejects (a failure is kept in `failure`). */
  private sent: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    private readonly producer: LogProducer,
    private readonly topic: string,
    private stored: StoredRecord[],
  ) {}

  /** Creates the topic if needed (one partition, compacted) and reads it whole. */
  static async open(client: LogClient, options: LogClientSchemaRegistryOptions = {}): Promise<LogClientSchemaStorage> {
    const topic = options.topic ?? SCHEMAS_TOPIC;
    await client.ensureTopics([{ name: topic, partitions: 1, config: { 'cleanup.policy': 'compact' }, replicationFactor: options.replicationFactor }]);
    const partitions = await client.partitionCount(topic);
    // Ids and versions come from the order of the records: one partition keeps one order.
    if (partitions !== 1) throw new Error(`The schema registry's topic ${topic} has ${partitions} partitions; it must have exactly 1`);
    return new LogClientSchemaStorage(client.producer(), topic, await readAll(client, topic));
  }

  append(records: readonly StoredRecord[]): void {
    if (this.failure) throw new Error(`an earlier change could not be written to ${this.topic} (${this.failure.message}); restart the registry`);
    const outgoing = records.map((record) => ({ key: record.key, value: record.value, timestamp: Date.now(), partition: 0 }));
    this.sent = this.sent.then(() =>
      this.failure
        ? undefined
        : this.producer.sendBatch(this.topic, outgoing).catch((error: Error) => {
            this.failure = error;
          }),
    );
  }

  /** Resolves once every change appended so far is acknowledged by the log; rejects if one could not be written. */
  async flushed(): Promise<void> {
    await this.sent;
    if (this.failure) throw this.failure;
  }

  replay(): Iterable<StoredRecord> {
    const records = this.stored;
    this.stored = []; // read once, at open: the registry holds the state from then on
    return records;
  }

  async close(): Promise<void> {
    await this.sent;
    await this.producer.close();
  }
}

/** Every record of partition 0 from its start to the high watermark at the time of the call, keyed records only. */
async function readAll(client: LogClient, topic: string): Promise<StoredRecord[]> {
  const [partition] = await client.offsets(topic);
  const records: StoredRecord[] = [];
  let offset = partition.start;
  let emptyFetches = 0;
  while (offset < partition.end) {
    const fetched = await client.fetch({ topic, partition: 0 }, offset, REPLAY_FETCH_BYTES);
    for (const record of fetched.records) {
      // Copies: fetched keys and values may be views into the fetched bytes.
      if (record.key !== null) records.push({ key: Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) });
    }
    if (fetched.nextOffset > offset) {
      offset = fetched.nextOffset;
      emptyFetches = 0;
      continue;
    }
    // Stopping short would open a registry missing schemas (and hand their ids out again): fail instead.
    if (++emptyFetches >= REPLAY_EMPTY_FETCHES) {
      throw new Error(`The schema registry could not read ${topic} past offset ${offset} (its end is ${partition.end})`);
    }
    await new Promise((resolve) => setTimeout(resolve, REPLAY_RETRY_MS));
  }
  return records;
}

/**
 * A schema registry whose `_schemas` topic lives on the log behind `client`:
 * Apache Kafka through `kafkaLogClient`, or a Rill cluster through `protocolLogClient`.
 * Serve it with `startSchemaRegistryServer`; close it (awaited) before the client.
 */
export async function openLogClientSchemaRegistry(client: LogClient, options: LogClientSchemaRegistryOptions = {}): Promise<SchemaRegistry> {
  return SchemaRegistry.open(await LogClientSchemaStorage.open(client, options));
}
