// `rill topic create|list|describe|delete|alter-config`: topic administration
// over the Kafka protocol (works against any Kafka-compatible broker).
import { apis, KafkaConnection } from '../core/protocol';
import { keyValues, parseCommand, UsageError } from './args';
import { runCommand } from './command';
import { CommandIO, writeLine } from './io';
import { bootstrapOf, check, connect } from './wire';

export const TOPIC_HELP = `rill topic — manage topics

Usage:
  rill topic create NAME [--partitions N] [--replication-factor N] [--config key=value ...]
  rill topic list
  rill topic describe NAME          partitions, offsets and configs
  rill topic delete NAME
  rill topic alter-config NAME [--set key=value ...] [--delete key ...]

Options:
  --bootstrap HOST:PORT   broker to talk to (default $RILL_BOOTSTRAP or localhost:9092)
  --replication-factor N  copies of each partition on a cluster (default: the broker's default, 1)

Exit codes: 0 ok, 1 failure, 2 bad usage.`;

const SPEC = { bootstrap: 'string', partitions: 'number', 'replication-factor': 'number', config: 'strings', set: 'strings', delete: 'strings' } as const;

export function runTopic(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('topic', TOPIC_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const [action, name, ...extra] = positional;
    if (!action) throw new UsageError('give an action: create, list, describe, delete or alter-config');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (!['create', 'list', 'describe', 'delete', 'alter-config'].includes(action)) throw new UsageError(`unknown action "${action}"; use create, list, describe, delete or alter-config`);
    if (action !== 'list' && !name) throw new UsageError(`"topic ${action}" needs a topic name`);
    const conn = await connect(bootstrapOf(flags.bootstrap, io));
    try {
      switch (action) {
        case 'create':
          return await create(conn, io, name, flags.partitions ?? 1, keyValues(flags.config, 'config'), flags['replication-factor'] ?? -1);
        case 'list':
          return await list(conn, io);
        case 'describe':
          return await describe(conn, io, name);
        case 'delete':
          return await remove(conn, io, name);
        case 'alter-config':
          return await alterConfig(conn, io, name, keyValues(flags.set, '--set'), flags.delete ?? []);
        default:
          throw new UsageError(`unknown action "${action}"; use create, list, describe, delete or alter-config`);
      }
    } finally {
      conn.close();
    }
  });
}

async function create(conn: KafkaConnection, io: CommandIO, name: string, partitions: number, config: Record<string, string>, replicationFactor: number): Promise<number> {
  if (!Number.isInteger(partitions) || partitions < 1) throw new UsageError('--partitions must be a positive integer');
  if (replicationFactor !== -1 && (!Number.isInteger(replicationFactor) || replicationFactor < 1)) throw new UsageError('--replication-factor must be a positive integer');
  const r = await conn.request<apis.CreateTopicsResponse>(apis.createTopics, {
    topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(config).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 30000,
    validateOnly: false,
  });
  const t = r.topics[0];
  check(t.errorCode, `cannot create topic "${name}"`, t.errorMessage);
  await writeLine(io.stdout, `Created topic "${name}" with ${partitions} partition(s).`);
  return 0;
}

async function metadata(conn: KafkaConnection, topics: string[] | null): Promise<apis.MetadataResponse> {
  return conn.request<apis.MetadataResponse>(apis.metadata, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false });
}

async function list(conn: KafkaConnection, io: CommandIO): Promise<number> {
  const m = await metadata(conn, null);
  for (const t of [...m.topics].sort((a, b) => a.name.localeCompare(b.name))) await writeLine(io.stdout, `${t.name}\t${t.partitions.length} partition(s)${t.isInternal ? '\t(internal)' : ''}`);
  return 0;
}

async function describe(conn: KafkaConnection, io: CommandIO, name: string): Promise<number> {
  const m = await metadata(conn, [name]);
  const t = m.topics[0];
  check(t.errorCode, `cannot describe topic "${name}"`);
  const partitions = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
  const offsets = async (timestamp: number) => {
    const r = await conn.request<apis.ListOffsetsResponse>(apis.listOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: partitions.map((p) => ({ partitionIndex: p.partitionIndex, timestamp })) }] });
    return new Map(r.topics[0].partitions.map((p) => [p.partitionIndex, p.offset]));
  };
  const [earliest, latest] = [await offsets(-2), await offsets(-1)];
  await writeLine(io.stdout, `Topic: ${name}\tpartitions: ${partitions.length}${t.isInternal ? '\t(internal)' : ''}`);
  await writeLine(io.stdout, 'PARTITION\tLEADER\tLOG-START\tHIGH-WATERMARK\tRECORDS');
  for (const p of partitions) {
    const lo = earliest.get(p.partitionIndex) ?? -1;
    const hi = latest.get(p.partitionIndex) ?? -1;
    await writeLine(io.stdout, `${p.partitionIndex}\t${p.leaderId}\t${lo}\t${hi}\t${Math.max(0, hi - lo)}`);
  }
  const c = await conn.request<apis.DescribeConfigsResponse>(apis.describeConfigs, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  const result = c.results[0];
  check(result.errorCode, `cannot read the configs of "${name}"`, result.errorMessage);
  await writeLine(io.stdout, 'Configs:');
  for (const e of result.configs) await writeLine(io.stdout, `  ${e.name}=${e.value}${e.configSource === 1 ? '\t(override)' : ''}`);
  return 0;
}

async function remove(conn: KafkaConnection, io: CommandIO, name: string): Promise<number> {
  const r = await conn.request<apis.DeleteTopicsResponse>(apis.deleteTopics, { topics: [{ name, topicId: '' }], topicNames: [name], timeoutMs: 30000 });
  check(r.responses[0].errorCode, `cannot delete topic "${name}"`, r.responses[0].errorMessage);
  await writeLine(io.stdout, `Deleted topic "${name}".`);
  return 0;
}

async function alterConfig(conn: KafkaConnection, io: CommandIO, name: string, set: Record<string, string>, remove: string[]): Promise<number> {
  if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError('give --set key=value or --delete key');
  // AlterConfigs replaces every override: start from the current ones.
  const c = await conn.request<apis.DescribeConfigsResponse>(apis.describeConfigs, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  check(c.results[0].errorCode, `cannot read the configs of "${name}"`, c.results[0].errorMessage);
  const overrides: Record<string, string> = {};
  for (const e of c.results[0].configs) if (e.configSource === 1 && e.value !== null) overrides[e.name] = e.value;
  for (const k of remove) delete overrides[k];
  Object.assign(overrides, set);
  const r = await conn.request<apis.AlterConfigsResponse>(apis.alterConfigs, { resources: [{ resourceType: 2, resourceName: name, configs: Object.entries(overrides).map(([k, v]) => ({ name: k, value: v })) }], validateOnly: false });
  check(r.responses[0].errorCode, `cannot alter the configs of "${name}"`, r.responses[0].errorMessage);
  await writeLine(io.stdout, `Updated topic "${name}": ${Object.entries(set).map(([k, v]) => `${k}=${v}`).concat(remove.map((k) => `${k} reset`)).join(', ')}.`);
  return 0;
}
