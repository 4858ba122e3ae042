// `rill topic create|list|describe|delete|alter-config|add-partitions|trim-prefix`:
// topic administration over the Kafka protocol (works against any
// Kafka-compatible broker).
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../core/broker';
import { apis, KafkaConnection } from '../core/protocol';
import { ErrorCode } from '../core/wire';
import {
  BOOTSTRAP_FLAG,
  COMMAND_CONFIG_FLAG,
  commandHelp,
  FORMAT_FLAG,
  keyValues,
  outputFormat,
  parseCommand,
  takeAction,
  takeTarget,
  UsageError,
} from './args';
import { runCommand } from './command';
import { CommandIO, writeLine } from './io';
import { LEADER_MOVED, MOVED, topicLeaders } from './leaders';
import { Progress } from './progress';
import { type Bootstrap, bootstrapOf, check, CommandError, connect } from './wire';

const ACTIONS = ['create', 'list', 'describe', 'delete', 'alter-config', 'add-partitions', 'trim-prefix', 'delete-records'] as const;

const USAGE: Record<string, string> = {
  create: 'rill topic create NAME [--partitions N] [--replication-factor N] [--config key=value ...]',
  list: 'rill topic list [--internal] [--format text|json]',
  describe: 'rill topic describe NAME [--format text|json]      partitions, offsets and configs',
  delete: 'rill topic delete NAME [NAME ...]          (progress on a terminal when several)',
  'alter-config': 'rill topic alter-config NAME [--set key=value ...] [--delete key ...]',
  'add-partitions': 'rill topic add-partitions NAME --partitions N     grow the topic to N partitions',
  'trim-prefix': 'rill topic trim-prefix NAME --offset N [--partition P]   delete records before offset N (-1: the high watermark)',
};

const SPEC = {
  topic: { kind: 'string', arg: 'NAME', help: 'the topic, instead of NAME (as kafka-topics.sh takes it)' },
  partitions: { kind: 'number', help: 'create: partition count (default 1); add-partitions: the new total', actions: ['create', 'add-partitions'] },
  'replication-factor': { kind: 'number', help: 'copies of each partition on a cluster', defaultText: "the broker's default", actions: ['create'] },
  config: { kind: 'strings', arg: 'key=value', help: 'a topic config', actions: ['create'] },
  set: { kind: 'strings', arg: 'key=value', help: 'set a config override', actions: ['alter-config'] },
  delete: { kind: 'strings', arg: 'key', help: 'remove a config override', actions: ['alter-config'] },
  offset: { kind: 'number', help: 'records before offset N are deleted (-1: all, up to the high watermark)', actions: ['trim-prefix', 'delete-records'] },
  partition: { kind: 'number', help: 'only partition P', defaultText: 'every partition', actions: ['trim-prefix', 'delete-records'] },
  internal: { kind: 'boolean', help: 'list internal topics (__consumer_offsets, __transaction_state) too', actions: ['list'] },
  format: { ...FORMAT_FLAG, actions: ['list', 'describe'] },
  bootstrap: BOOTSTRAP_FLAG,
  'command-config': COMMAND_CONFIG_FLAG,
} as const;

export function topicHelp(action?: string): string {
  const known = action !== undefined && USAGE[action === 'delete-records' ? 'trim-prefix' : action] !== undefined;
  return commandHelp({
    title: known ? `rill topic ${action}` : 'rill topic — manage topics',
    usage: known ? [USAGE[action === 'delete-records' ? 'trim-prefix' : action!]] : Object.values(USAGE),
    spec: SPEC,
    action: known ? action : undefined,
    notes: known ? undefined : 'delete-records is another name for trim-prefix. "rill topic ACTION --help" shows one action.',
  });
}

export function runTopic(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('topic', topicHelp, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const { action, rest } = takeAction(positional, ACTIONS);
    // delete takes several names; every other action one.
    const names = action === 'delete' && flags.topic === undefined && rest.length > 1 ? rest : undefined;
    const name = names?.[0] ?? takeTarget('topic', action, rest, flags.topic, 'topic name');
    const format = outputFormat(flags.format);
    const bootstrap = bootstrapOf(flags, io);
    const conn = await connect(bootstrap);
    try {
      switch (action) {
        case 'create':
          return await create(conn, io, name, flags.partitions ?? 1, keyValues(flags.config, 'config'), flags['replication-factor'] ?? -1);
        case 'list':
          return await list(conn, io, format, flags.internal === true);
        case 'describe':
          return await describe(conn, bootstrap, io, name, format);
        case 'delete':
          return await remove(conn, io, names ?? [name]);
        case 'alter-config':
          return await alterConfig(conn, io, name, keyValues(flags.set, '--set'), flags.delete ?? []);
        case 'add-partitions':
          return await addPartitions(conn, io, name, flags.partitions);
        default:
          return await trimPrefix(conn, bootstrap, io, name, flags.offset, flags.partition);
      }
    } finally {
      conn.close();
    }
  });
}

async function create(
  conn: KafkaConnection,
  io: CommandIO,
  name: string,
  partitions: number,
  config: Record<string, string>,
  replicationFactor: number,
): Promise<number> {
  if (!Number.isInteger(partitions) || partitions < 1) throw new UsageError('--partitions must be a positive integer');
  if (replicationFactor !== -1 && (!Number.isInteger(replicationFactor) || replicationFactor < 1))
    throw new UsageError('--replication-factor must be a positive integer');
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
  return conn.request<apis.MetadataResponse>(apis.metadata, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: false,
  });
}

/**
 * The topics, internal ones only with `internal`: the same list on a single
 * broker (whose Metadata leaves __consumer_offsets and __transaction_state out unless asked by name)
 * and on a cluster (whose Metadata names it).
 */
async function list(conn: KafkaConnection, io: CommandIO, format: 'text' | 'json', internal: boolean): Promise<number> {
  const m = await metadata(conn, null);
  let listed = m.topics.filter((t) => t.errorCode === 0);
  for (const name of internal ? [CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC] : [])
    if (!listed.some((t) => t.name === name)) listed.push(...(await metadata(conn, [name])).topics.filter((t) => t.errorCode === 0));
  if (!internal) listed = listed.filter((t) => !t.isInternal);
  const topics = listed.sort((a, b) => a.name.localeCompare(b.name));
  if (format === 'json') {
    await writeLine(io.stdout, JSON.stringify(topics.map((t) => ({ name: t.name, partitions: t.partitions.length, internal: t.isInternal }))));
    return 0;
  }
  for (const t of topics) await writeLine(io.stdout, `${t.name}\t${t.partitions.length} partition(s)${t.isInternal ? '\t(internal)' : ''}`);
  return 0;
}

/** How long describe follows a partition's moving leader before it gives up. */
const DESCRIBE_RETRY_MS = 10_000;

async function describe(conn: KafkaConnection, bootstrap: Bootstrap, io: CommandIO, name: string, format: 'text' | 'json'): Promise<number> {
  const m = await metadata(conn, [name]);
  const t = m.topics[0];
  check(t.errorCode, `cannot describe topic "${name}"`);
  const partitions = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
  // Each partition's offsets from its leader: on a cluster the broker we are connected to leads only some.
  // A partition without a leader (offline) has none to ask: it shows -1, rather than the command waiting for an election.
  const leaders = topicLeaders(conn, bootstrap, name, DESCRIBE_RETRY_MS);
  let earliest: Map<number, number>;
  let latest: Map<number, number>;
  try {
    await leaders.refresh();
    const tps = partitions.filter((p) => p.leaderId >= 0).map((p) => ({ topic: name, partition: p.partitionIndex }));
    [earliest, latest] = [await leaders.listOffsets(tps, -2), await leaders.listOffsets(tps, -1)];
  } finally {
    leaders.brokers.close();
  }
  const c = await conn.request<apis.DescribeConfigsResponse>(apis.describeConfigs, {
    resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const result = c.results[0];
  check(result.errorCode, `cannot read the configs of "${name}"`, result.errorMessage);
  if (format === 'json') {
    await writeLine(
      io.stdout,
      JSON.stringify({
        name,
        internal: t.isInternal,
        partitions: partitions.map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          logStartOffset: earliest.get(p.partitionIndex) ?? -1,
          highWatermark: latest.get(p.partitionIndex) ?? -1,
        })),
        configs: result.configs.map((e) => ({ name: e.name, value: e.value, override: e.configSource === 1 })),
      }),
    );
    return 0;
  }
  await writeLine(io.stdout, `Topic: ${name}\tpartitions: ${partitions.length}${t.isInternal ? '\t(internal)' : ''}`);
  await writeLine(io.stdout, 'PARTITION\tLEADER\tLOG-START\tHIGH-WATERMARK\tRECORDS');
  for (const p of partitions) {
    const lo = earliest.get(p.partitionIndex) ?? -1;
    const hi = latest.get(p.partitionIndex) ?? -1;
    await writeLine(io.stdout, `${p.partitionIndex}\t${p.leaderId}\t${lo}\t${hi}\t${Math.max(0, hi - lo)}`);
  }
  await writeLine(io.stdout, 'Configs:');
  for (const e of result.configs) await writeLine(io.stdout, `  ${e.name}=${e.value}${e.configSource === 1 ? '\t(override)' : ''}`);
  return 0;
}

async function remove(conn: KafkaConnection, io: CommandIO, names: readonly string[]): Promise<number> {
  // One request per topic: each deletion is answered (and reported) on its own, and a long list shows its progress.
  // The "Deleted" lines follow the bar (stdout and stderr may share the terminal), also when one deletion fails.
  const progress = names.length > 1 ? new Progress(io, 'deleting topics', { total: names.length, unit: 'topics' }) : undefined;
  const deleted: string[] = [];
  const report = async () => {
    progress?.done(deleted.length);
    for (const name of deleted) await writeLine(io.stdout, `Deleted topic "${name}".`);
  };
  for (const name of names) {
    const r = await conn.request<apis.DeleteTopicsResponse>(apis.deleteTopics, { topics: [{ name, topicId: '' }], topicNames: [name], timeoutMs: 30000 });
    const code = r.responses[0].errorCode;
    if (code !== ErrorCode.NONE) {
      await report();
      // Not the broker's message for a missing topic (it names an API): the CLI's sentence.
      check(code, `cannot delete topic "${name}"`, code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? null : r.responses[0].errorMessage);
    }
    deleted.push(name);
    progress?.update(deleted.length);
  }
  await report();
  return 0;
}

async function alterConfig(conn: KafkaConnection, io: CommandIO, name: string, set: Record<string, string>, remove: string[]): Promise<number> {
  if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError('give --set key=value or --delete key');
  // AlterConfigs replaces every override: start from the current ones.
  const c = await conn.request<apis.DescribeConfigsResponse>(apis.describeConfigs, {
    resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  check(c.results[0].errorCode, `cannot read the configs of "${name}"`, c.results[0].errorMessage);
  const overrides: Record<string, string> = {};
  for (const e of c.results[0].configs) if (e.configSource === 1 && e.value !== null) overrides[e.name] = e.value;
  for (const k of remove) delete overrides[k];
  Object.assign(overrides, set);
  const r = await conn.request<apis.AlterConfigsResponse>(apis.alterConfigs, {
    resources: [{ resourceType: 2, resourceName: name, configs: Object.entries(overrides).map(([k, v]) => ({ name: k, value: v })) }],
    validateOnly: false,
  });
  check(r.responses[0].errorCode, `cannot alter the configs of "${name}"`, r.responses[0].errorMessage);
  await writeLine(
    io.stdout,
    `Updated topic "${name}": ${Object.entries(set)
      .map(([k, v]) => `${k}=${v}`)
      .concat(remove.map((k) => `${k} reset`))
      .join(', ')}.`,
  );
  return 0;
}

async function addPartitions(conn: KafkaConnection, io: CommandIO, name: string, count: number | undefined): Promise<number> {
  if (count === undefined || !Number.isInteger(count) || count < 1) throw new UsageError('give --partitions N, the new partition count');
  const r = await conn.request<apis.CreatePartitionsResponse>(apis.createPartitions, {
    topics: [{ name, count, assignments: null }],
    timeoutMs: 30000,
    validateOnly: false,
  });
  const t = r.results[0];
  check(t.errorCode, `cannot add partitions to "${name}"`, t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? null : t.errorMessage);
  await writeLine(io.stdout, `Topic "${name}" now has ${count} partition(s).`);
  return 0;
}

const OUT_OF_RANGE = Symbol('offset out of range');

/** DeleteRecords at each partition's leader: the log start moves to `offset` (-1: the high watermark). */
async function trimPrefix(
  conn: KafkaConnection,
  bootstrap: Bootstrap,
  io: CommandIO,
  name: string,
  offset: number | undefined,
  only: number | undefined,
): Promise<number> {
  if (offset === undefined || !Number.isInteger(offset) || offset < -1)
    throw new UsageError('give --offset N (records before N are deleted; -1: up to the high watermark)');
  const m = await metadata(conn, [name]);
  check(m.topics[0].errorCode, `topic "${name}"`);
  const all = m.topics[0].partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
  if (only !== undefined && !all.includes(only)) throw new UsageError(`--partition must be from 0 to ${all.length - 1}`);
  const leaders = topicLeaders(conn, bootstrap, name);
  try {
    await leaders.refresh();
    await writeLine(io.stdout, 'PARTITION\tLOG-START');
    for (const partition of only !== undefined ? [only] : all) {
      const low = await leaders.withLeader(partition, `cannot delete records of ${name}-${partition}`, async (c) => {
        const r = await c.request<apis.DeleteRecordsResponse>(apis.deleteRecords, {
          topics: [{ name, partitions: [{ partitionIndex: partition, offset }] }],
          timeoutMs: 30000,
        });
        const p = r.topics[0].partitions[0];
        if (LEADER_MOVED.has(p.errorCode)) return MOVED;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return OUT_OF_RANGE;
        check(p.errorCode, `cannot delete records of ${name}-${partition} before offset ${offset}`);
        return p.lowWatermark;
      });
      if (low === OUT_OF_RANGE) {
        // As Kafka, an offset past the high watermark is refused: say which offsets there are.
        const tp = [{ topic: name, partition }];
        const end = (await leaders.listOffsets(tp, -1)).get(partition);
        throw new CommandError(
          `cannot delete records of ${name}-${partition} before offset ${offset}: its log ends at offset ${end}; give --offset from 0 to ${end}, or -1 for all`,
        );
      }
      await writeLine(io.stdout, `${partition}\t${low}`);
    }
  } finally {
    leaders.brokers.close();
  }
  return 0;
}
