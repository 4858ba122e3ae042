// `rill produce`: stdin lines to a topic. Optional key separator, headers,
// explicit partition, gzip, and Avro values (JSON lines encoded with a schema
// registered in the schema registry).
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { partitionForKey } from '../core/client';
import { encodeRecordBatch, RecordInput } from '../core/log';
import { apis, KafkaConnection } from '../core/protocol';
import { keyValues, parseCommand, UsageError } from './args';
import { avroEncoder, DEFAULT_REGISTRY } from './avro';
import { runCommand } from './command';
import { CommandIO, Progress } from './io';
import { LEADER_MOVED, PartitionLeaders } from './leaders';
import { bootstrapOf, check, CommandError, connect } from './wire';

export const PRODUCE_HELP = `rill produce — write stdin lines to a topic, one record per line

Usage:
  rill produce --topic NAME [options] < lines

Options:
  --key-separator SEP     split each line into key SEP value (first occurrence)
  --header key=value      a header on every record (repeatable)
  --partition N           write every record to partition N (default: by key, as Kafka's partitioner)
  --compression gzip      compress batches (default none)
  --batch-size N          records per batch (default 500)
  --avro-schema FILE      lines are JSON values; encode them with this Avro schema,
                          registered as subject TOPIC-value
  --schema-registry URL   (default ${DEFAULT_REGISTRY})
  --bootstrap HOST:PORT   broker (default $RILL_BOOTSTRAP or localhost:9092)

Exit codes: 0 ok, 1 failure, 2 bad usage.`;

const SPEC = {
  bootstrap: 'string',
  topic: 'string',
  'key-separator': 'string',
  header: 'strings',
  partition: 'number',
  compression: 'string',
  'batch-size': 'number',
  'avro-schema': 'string',
  'schema-registry': 'string',
} as const;

export function runProduce(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('produce', PRODUCE_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
    const topic = flags.topic;
    if (!topic) throw new UsageError('--topic is required');
    const compression = flags.compression ?? 'none';
    if (compression !== 'none' && compression !== 'gzip') throw new UsageError('--compression must be none or gzip');
    const batchSize = flags['batch-size'] ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError('--batch-size must be a positive integer');
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
      encodeValue = await avroEncoder(flags['schema-registry'] ?? DEFAULT_REGISTRY, topic, schemaText);
    }

    const bootstrap = bootstrapOf(flags.bootstrap, io);
    const conn = await connect(bootstrap);
    const leaders = new PartitionLeaders(conn, bootstrap, topic);
    try {
      const partitions = await partitionCount(conn, topic);
      await leaders.refresh();
      const fixed = flags.partition;
      if (fixed !== undefined && (!Number.isInteger(fixed) || fixed < 0 || fixed >= partitions)) throw new UsageError(`--partition must be from 0 to ${partitions - 1} (topic "${topic}" has ${partitions})`);
      const pending = new Map<number, RecordInput[]>();
      let produced = 0;
      let roundRobin = 0;
      const progress = new Progress(io, `producing to ${topic}`);
      const flush = async (partition: number) => {
        const records = pending.get(partition);
        if (!records || records.length === 0) return;
        pending.delete(partition);
        const batch = encodeRecordBatch({ records, compression });
        // To the partition's leader; when it moved (a cluster failover), ask Metadata again and retry.
        for (let attempt = 1; ; attempt++) {
          const r = await (await leaders.connectionFor(partition)).request<apis.ProduceResponse>(apis.produce, { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
          const p = r.responses[0].partitionResponses[0];
          if (LEADER_MOVED.has(p.errorCode) && attempt < 10) {
            await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
            await leaders.refresh();
            continue;
          }
          check(p.errorCode, `cannot produce to ${topic}-${partition}`, p.errorMessage);
          break;
        }
        produced += records.length;
        progress.update(produced);
      };
      let lineNo = 0;
      for await (const line of readline.createInterface({ input: io.stdin, crlfDelay: Infinity })) {
        lineNo++;
        let key: Buffer | null = null;
        let text = line;
        if (separator !== undefined) {
          const at = line.indexOf(separator);
          if (at < 0) throw new CommandError(`line ${lineNo} has no key separator "${separator}"; ${produced} record(s) were written before it`);
          key = Buffer.from(line.slice(0, at));
          text = line.slice(at + separator.length);
        }
        const partition = fixed ?? (key ? partitionForKey(key, partitions) : roundRobin++ % partitions);
        let records = pending.get(partition);
        if (!records) pending.set(partition, (records = []));
        records.push({ key, value: encodeValue(text, lineNo), headers, timestamp: Date.now() });
        if (records.length >= batchSize) await flush(partition);
      }
      for (const p of [...pending.keys()]) await flush(p);
      progress.done(produced);
      io.stderr.write(`Produced ${produced} record(s) to ${topic}.\n`);
      return 0;
    } finally {
      leaders.close();
      conn.close();
    }
  });
}

/** Partition count of a topic (Metadata creates it where the broker auto-creates topics, like Kafka's console producer). */
export async function partitionCount(conn: KafkaConnection, topic: string, allowAutoTopicCreation = true): Promise<number> {
  const m = await conn.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: topic }], allowAutoTopicCreation });
  const t = m.topics[0];
  check(t?.errorCode ?? 3, `topic "${topic}"`);
  return t.partitions.length;
}
