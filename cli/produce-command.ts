// `rill produce`: stdin lines to a topic. Optional key separator, headers,
// explicit partition, gzip, and Avro values (JSON lines encoded with a schema
// registered in the schema registry).
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { partitionForKey } from '../core/client';
import { encodeRecordBatch, unwritableCompression, type CompressionName, type RecordInput } from '../core/log';
import { apis, KafkaClientError, KafkaConnection } from '../core/protocol';
import { BOOTSTRAP_FLAG, COMMAND_CONFIG_FLAG, commandHelp, keyValues, noMoreArguments, parseCommand, UsageError } from './args';
import { avroEncoder, DEFAULT_REGISTRY, registryClientOf } from './avro';
import { runCommand } from './command';
import { CommandIO } from './io';
import { inputFileSize, Progress } from './progress';
import { LEADER_MOVED, topicLeaders, type PartitionLeaders } from './leaders';
import { bootstrapOf, check, CommandError, connect, explain } from './wire';

const SPEC = {
  topic: { kind: 'string', arg: 'NAME', help: 'the topic to write (required)' },
  'key-separator': { kind: 'string', arg: 'SEP', help: 'split each line into key SEP value (first occurrence)' },
  header: { kind: 'strings', arg: 'key=value', help: 'a header on every record' },
  partition: { kind: 'number', help: "write every record to partition N (default: by key, as Kafka's partitioner; keyless lines round-robin)" },
  compression: { kind: 'string', arg: 'CODEC', help: 'compress batches: none, gzip, snappy, lz4 (zstd needs Node 22.15+)', default: 'none' },
  'batch-size': { kind: 'number', help: 'records per batch', default: 500 },
  'linger-ms': {
    kind: 'number',
    help: 'send a batch once its first record has waited N ms, so `tail -f log | rill produce` delivers as lines come',
    default: 100,
  },
  'retry-timeout-ms': { kind: 'number', help: 'keep retrying a batch whose partition leader moved or died this long; retries are idempotent', default: 60_000 },
  'avro-schema': { kind: 'string', arg: 'FILE', help: 'lines are JSON values; encode them with this Avro schema, registered as subject TOPIC-value' },
  'schema-registry': { kind: 'string', arg: 'URL', help: 'schema registry for --avro-schema', defaultText: `$RILL_SCHEMA_REGISTRY or ${DEFAULT_REGISTRY}` },
  bootstrap: BOOTSTRAP_FLAG,
  'command-config': COMMAND_CONFIG_FLAG,
} as const;

export const PRODUCE_HELP = commandHelp({
  title: 'rill produce — write stdin lines to a topic, one record per line',
  usage: ['rill produce --topic NAME [options] < lines'],
  spec: SPEC,
  notes: 'SIGINT/SIGTERM stop reading, send what is buffered and print the count.\nOn a failure the count of records written before it is printed.',
});

export function runProduce(argv: string[], io: CommandIO, stop?: AbortSignal): Promise<number> {
  return runCommand('produce', PRODUCE_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    const topic = flags.topic;
    if (!topic) throw new UsageError('--topic is required');
    const compression = (flags.compression ?? 'none') as CompressionName;
    const refused = unwritableCompression(compression);
    if (refused !== undefined) throw new UsageError(`--compression: ${refused}`);
    const batchSize = flags['batch-size'] ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError('--batch-size must be a positive integer');
    const lingerMs = flags['linger-ms']!;
    if (!Number.isInteger(lingerMs) || lingerMs < 0) throw new UsageError('--linger-ms must be a non-negative integer');
    const retryTimeoutMs = flags['retry-timeout-ms']!;
    if (!Number.isInteger(retryTimeoutMs) || retryTimeoutMs < 0) throw new UsageError('--retry-timeout-ms must be a non-negative integer');
    const headers = Object.entries(keyValues(flags.header, 'header')).map(([key, value]) => ({ key, value: Buffer.from(value) }));
    const separator = flags['key-separator'];
    let encodeValue: (text: string, line: number) => Buffer = (text) => Buffer.from(text);
    if (flags['avro-schema']) {
      let schemaText: string;
      try {
        schemaText = fs.readFileSync(flags['avro-schema'], 'utf8');
      } catch (e) {
        throw new CommandError(`cannot read the Avro schema: ${(e as Error).message}`);
      }
      encodeValue = await avroEncoder(flags['schema-registry'] ?? io.env.RILL_SCHEMA_REGISTRY ?? DEFAULT_REGISTRY, topic, schemaText, registryClientOf(flags));
    }

    const bootstrap = bootstrapOf(flags, io);
    const conn = await connect(bootstrap);
    const leaders = topicLeaders(conn, bootstrap, topic, retryTimeoutMs);
    try {
      const partitions = await partitionCount(conn, topic);
      await leaders.refresh();
      const fixed = flags.partition;
      if (fixed !== undefined && (!Number.isInteger(fixed) || fixed < 0 || fixed >= partitions))
        throw new UsageError(`--partition must be from 0 to ${partitions - 1} (topic "${topic}" has ${partitions})`);
      // From a file (stdin redirected from one): the bytes read of its size, and the lines sent; else the records sent.
      const size = inputFileSize(io.stdin);
      let bytesRead = 0;
      const progress = new Progress(
        io,
        `producing to ${topic}`,
        size !== undefined ? { total: size, unit: 'bytes read', extra: { lines: 'lines sent' } } : { unit: 'records sent' },
      );
      // Counted per line (its newline included): a last line without one would count a byte too many.
      const read = () => Math.min(bytesRead, size ?? bytesRead);
      const report = (sent: number) => (size !== undefined ? progress.update(read(), { lines: sent }) : progress.update(sent));
      const producer = new LineProducer(leaders, compression, await producerIdentity(conn, io), lingerMs, report);
      const input = readline.createInterface({ input: io.stdin, crlfDelay: Infinity });
      // SIGINT/SIGTERM: stop reading, send what is buffered, report the count.
      const onStop = () => input.close();
      producer.onFailure = () => input.close();
      stop?.addEventListener('abort', onStop, { once: true });
      let lineError: unknown;
      let lineNo = 0;
      let roundRobin = 0;
      try {
        if (stop?.aborted) input.close();
        for await (const line of input) {
          lineNo++;
          bytesRead += Buffer.byteLength(line) + 1;
          let key: Buffer | null = null;
          let text = line;
          if (separator !== undefined) {
            const at = line.indexOf(separator);
            if (at < 0) throw new CommandError(`line ${lineNo} has no key separator "${separator}"`);
            key = Buffer.from(line.slice(0, at));
            text = line.slice(at + separator.length);
          }
          const partition = fixed ?? (key ? partitionForKey(key, partitions) : roundRobin++ % partitions);
          if (producer.add(partition, { key, value: encodeValue(text, lineNo), headers, timestamp: Date.now() }) >= batchSize) await producer.flush();
          if (producer.failure !== undefined) break;
        }
      } catch (e) {
        // The lines before a bad one are still sent.
        lineError = e;
      } finally {
        stop?.removeEventListener('abort', onStop);
        input.close();
      }
      await producer.flush();
      if (size !== undefined) progress.done(read(), { lines: producer.produced });
      else progress.done(producer.produced);
      const failure = producer.failure ?? lineError;
      if (failure instanceof UsageError) throw failure;
      if (failure !== undefined) throw new CommandError(`${(failure as Error).message}; ${producer.produced} record(s) were written to ${topic} before it`);
      io.stderr.write(`Produced ${producer.produced} record(s) to ${topic}${stop?.aborted ? ' (stopped)' : ''}.\n`);
      return 0;
    } finally {
      leaders.brokers.close();
      conn.close();
    }
  });
}

interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

/** An idempotent producer id (so a retried batch is stored once), or undefined where the broker gives none. */
async function producerIdentity(conn: KafkaConnection, io: CommandIO): Promise<ProducerIdentity | undefined> {
  try {
    const r = await conn.request<apis.InitProducerIdResponse>(apis.initProducerId, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1,
      producerEpoch: -1,
    });
    if (r.errorCode === 0) return { producerId: r.producerId, producerEpoch: r.producerEpoch };
    io.stderr.write(`rill produce: the broker gives no producer id (${explain(r.errorCode)}); a retried batch may be written twice\n`);
  } catch (e) {
    if (!(e instanceof KafkaClientError)) throw e;
    io.stderr.write(`rill produce: ${e.message}; a retried batch may be written twice\n`);
  }
  return undefined;
}

/**
 * Records buffered per partition and sent in batches, one request at a time
 * (sequence numbers stay in order): when a partition's batch is full, when the
 * oldest buffered record has waited lingerMs, and at the end. Each batch goes to
 * its partition's leader, following leader changes, with the producer id and
 * sequence number that let the broker drop a retried duplicate.
 */
class LineProducer {
  produced = 0;
  failure: unknown;
  private readonly pending = new Map<number, RecordInput[]>();
  private readonly sequences = new Map<number, number>();
  private sending: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Called once a send failed (the reading stops: a lingering flush may fail while stdin is idle). */
  onFailure: () => void = () => undefined;

  constructor(
    private readonly leaders: PartitionLeaders,
    private readonly compression: CompressionName,
    private readonly identity: ProducerIdentity | undefined,
    private readonly lingerMs: number,
    /** Told the count of records acknowledged after each batch. */
    private readonly onSent: (produced: number) => void,
  ) {}

  /** Buffers a record; the number buffered for its partition. */
  add(partition: number, record: RecordInput): number {
    let records = this.pending.get(partition);
    if (!records) this.pending.set(partition, (records = []));
    records.push(record);
    this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    return records.length;
  }

  /** Sends everything buffered; resolves once every batch queued so far is acknowledged (or the producer failed). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending];
    this.pending.clear();
    this.sending = this.sending.then(async () => {
      for (const [partition, records] of batches) {
        if (this.failure !== undefined) return;
        try {
          await this.send(partition, records);
        } catch (e) {
          this.failure = e;
          this.onFailure();
        }
      }
    });
    return this.sending;
  }

  private async send(partition: number, records: RecordInput[]): Promise<void> {
    const sequence = this.sequences.get(partition) ?? 0;
    const batch = encodeRecordBatch({ records, compression: this.compression, ...(this.identity ? { ...this.identity, baseSequence: sequence } : {}) });
    await this.leaders.produceBatch(partition, batch, LEADER_MOVED, check);
    this.sequences.set(partition, (sequence + records.length) % 2 ** 31);
    this.produced += records.length;
    this.onSent(this.produced);
  }
}

/** Partition count of a topic (Metadata creates it where the broker auto-creates topics, like Kafka's console producer). */
export async function partitionCount(conn: KafkaConnection, topic: string, allowAutoTopicCreation = true): Promise<number> {
  const m = await conn.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: topic }], allowAutoTopicCreation });
  const t = m.topics[0];
  check(t?.errorCode ?? 3, `topic "${topic}"`);
  return t.partitions.length;
}
