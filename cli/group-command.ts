// `rill group list|describe|reset-offsets|seek|delete`: consumer groups, their
// members, assignments and lag, moving a stopped group's committed offsets,
// deleting a group.
import { BrokerConnections, COORDINATOR_MOVED, decodeAssignment, GroupCoordinator, TopicPartition } from '../core/client';
import { apis, KafkaConnection } from '../core/protocol';
import { ErrorCode, errorName } from '../core/wire';
import { BOOTSTRAP_FLAG, COMMAND_CONFIG_FLAG, commandHelp, FORMAT_FLAG, outputFormat, parseCommand, takeAction, takeTarget, UsageError } from './args';
import { runCommand } from './command';
import { parseTimestamp } from './consume-command';
import { topicLeaders } from './leaders';
import { CommandIO, writeLine } from './io';
import { Progress } from './progress';
import { type Bootstrap, bootstrapOf, check, CommandError, connect } from './wire';

const ACTIONS = ['list', 'describe', 'reset-offsets', 'seek', 'delete', 'delete-offsets'] as const;

const USAGE: Record<string, string> = {
  list: 'rill group list [--format text|json]',
  describe: 'rill group describe GROUP [--format text|json]     state, members, assignment, committed offsets and lag',
  'reset-offsets': 'rill group reset-offsets GROUP --topic NAME (--to-earliest | --to-latest | --to-offset N | --to-timestamp T) [--dry-run]',
  seek: "rill group seek GROUP --topic NAME --to start|end|TIMESTAMP [--dry-run]     (rpk's name for reset-offsets)",
  delete: 'rill group delete GROUP        its committed offsets go too; the group must have no members',
  'delete-offsets':
    "rill group delete-offsets GROUP --topic NAME     the group's committed offsets of every partition of the topic (kept while its members consume it)",
};

const SPEC = {
  group: { kind: 'string', arg: 'GROUP', help: 'the group, instead of GROUP (as kafka-consumer-groups.sh takes it)' },
  topic: { kind: 'string', arg: 'NAME', help: 'the topic whose offsets move or go (required)', actions: ['reset-offsets', 'seek', 'delete-offsets'] },
  'to-earliest': { kind: 'boolean', help: 'to the log start', actions: ['reset-offsets'] },
  'to-latest': { kind: 'boolean', help: 'to the log end', actions: ['reset-offsets'] },
  'to-offset': { kind: 'number', help: 'to offset N (kept within the log)', actions: ['reset-offsets'] },
  'to-timestamp': { kind: 'string', arg: 'T', help: 'to the first record at or after T (epoch ms or ISO-8601)', actions: ['reset-offsets'] },
  to: { kind: 'string', arg: 'start|end|T', help: 'where to: the log start, the log end, or the first record at or after T', actions: ['seek'] },
  'dry-run': { kind: 'boolean', help: 'show the new offsets, commit nothing', actions: ['reset-offsets', 'seek'] },
  format: { ...FORMAT_FLAG, actions: ['list', 'describe'] },
  bootstrap: BOOTSTRAP_FLAG,
  'command-config': COMMAND_CONFIG_FLAG,
} as const;

export function groupHelp(action?: string): string {
  const known = action !== undefined && USAGE[action] !== undefined;
  return commandHelp({
    title: known ? `rill group ${action}` : 'rill group — consumer groups',
    usage: known ? [USAGE[action!]] : Object.values(USAGE),
    spec: SPEC,
    action: known ? action : undefined,
    notes: known
      ? undefined
      : 'reset-offsets, seek and delete refuse a group that has members (stop its consumers first). "rill group ACTION --help" shows one action.',
  });
}

export function runGroup(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('group', groupHelp, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const { action, rest } = takeAction(positional, ACTIONS);
    const groupId = takeTarget('group', action, rest, flags.group, 'group id');
    const format = outputFormat(flags.format);
    let target: number | undefined;
    if (action === 'reset-offsets') {
      const chosen = [flags['to-earliest'], flags['to-latest'], flags['to-offset'] !== undefined, flags['to-timestamp'] !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-offset N, --to-timestamp T');
      target = flags['to-earliest'] ? -2 : flags['to-latest'] ? -1 : flags['to-timestamp'] !== undefined ? parseTimestamp(flags['to-timestamp']) : undefined;
    }
    if (action === 'seek') {
      if (flags.to === undefined) throw new UsageError('give --to start, --to end or --to TIMESTAMP');
      target = flags.to === 'start' ? -2 : flags.to === 'end' ? -1 : parseTimestamp(flags.to);
    }
    if ((action === 'reset-offsets' || action === 'seek' || action === 'delete-offsets') && !flags.topic) throw new UsageError('--topic is required');
    const bootstrap = bootstrapOf(flags, io);
    const conn = await connect(bootstrap);
    // Group requests go to the group's coordinator, offsets of a partition to its leader
    // (on a single broker both are the bootstrap broker).
    let brokers: BrokerConnections | undefined;
    try {
      if (action === 'list') return await list(conn, io, format);
      brokers = new BrokerConnections(bootstrap.servers, { clientId: 'rill-cli', tls: bootstrap.tls, sasl: bootstrap.sasl });
      const at: Brokers = { bootstrap, conn, group: new GroupCoordinator(brokers, groupId, COORDINATOR_RETRY_MS) };
      if (action === 'describe') return await describe(at, io, groupId, format);
      if (action === 'delete') return await deleteGroup(at, io, groupId);
      if (action === 'delete-offsets') return await deleteOffsets(at, io, groupId, flags.topic!);
      return await resetOffsets(at, io, groupId, flags.topic!, target, flags['to-offset'], !!flags['dry-run']);
    } finally {
      brokers?.close();
      conn.close();
    }
  });
}

async function list(conn: KafkaConnection, io: CommandIO, format: 'text' | 'json'): Promise<number> {
  const r = await conn.request<apis.ListGroupsResponse>(apis.listGroups, { statesFilter: [] });
  check(r.errorCode, 'cannot list groups');
  if (format === 'json') {
    await writeLine(io.stdout, JSON.stringify(r.groups.map((g) => ({ group: g.groupId, state: g.groupState || null, protocolType: g.protocolType || null }))));
    return 0;
  }
  await writeLine(io.stdout, 'GROUP\tSTATE\tPROTOCOL-TYPE');
  for (const g of r.groups) await writeLine(io.stdout, `${g.groupId}\t${g.groupState || '-'}\t${g.protocolType || '-'}`);
  return 0;
}

async function deleteGroup(at: Brokers, io: CommandIO, groupId: string): Promise<number> {
  const r = await at.group.call(
    (c) => c.request<apis.DeleteGroupsResponse>(apis.deleteGroups, { groupsNames: [groupId] }),
    (a) => moved(a.results[0]?.errorCode),
  );
  check(r.results[0]?.errorCode ?? ErrorCode.GROUP_ID_NOT_FOUND, `cannot delete group "${groupId}"`);
  await writeLine(io.stdout, `Deleted group "${groupId}".`);
  return 0;
}

/** OffsetDelete for every partition of `topic`: each partition's outcome is printed; any refusal makes the command fail. */
async function deleteOffsets(at: Brokers, io: CommandIO, groupId: string, topic: string): Promise<number> {
  const tps = await partitionsOf(at.conn, topic);
  const r = await at.group.call(
    (c) =>
      c.request<apis.OffsetDeleteResponse>(apis.offsetDelete, {
        groupId,
        topics: [{ name: topic, partitions: tps.map((tp) => ({ partitionIndex: tp.partition })) }],
      }),
    (a) => moved(a.errorCode),
  );
  check(r.errorCode, `cannot delete the offsets of group "${groupId}"`);
  const answers = r.topics.flatMap((t) => t.partitions);
  await writeLine(io.stdout, 'PARTITION\tRESULT');
  for (const p of answers) await writeLine(io.stdout, `${p.partitionIndex}\t${p.errorCode === 0 ? 'deleted' : errorName(p.errorCode)}`);
  const refused = answers.find((p) => p.errorCode !== 0);
  if (refused !== undefined) check(refused.errorCode, `group "${groupId}" keeps its offsets of ${topic}-${refused.partitionIndex}`);
  return 0;
}

/** The partitions of `topic`, in order (an unknown topic fails the command). */
async function partitionsOf(conn: KafkaConnection, topic: string): Promise<{ topic: string; partition: number }[]> {
  const meta = await conn.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false });
  check(meta.topics[0].errorCode, `topic "${topic}"`);
  return meta.topics[0].partitions.map((p) => ({ topic, partition: p.partitionIndex })).sort((a, b) => a.partition - b.partition);
}

async function describeGroup(group: GroupCoordinator, groupId: string) {
  const r = await group.call(
    (c) => c.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: [groupId], includeAuthorizedOperations: false }),
    (a) => moved(a.groups[0]?.errorCode),
  );
  const g = r.groups[0];
  check(g.errorCode, `cannot describe group "${groupId}"`);
  return g;
}

async function committedOffsets(group: GroupCoordinator, groupId: string): Promise<{ topic: string; partition: number; offset: number }[]> {
  let v8 = false;
  const r = await group.call(
    (c) => {
      v8 = c.versionFor(apis.offsetFetch) >= 8;
      return c.request<apis.OffsetFetchResponse>(apis.offsetFetch, { groupId, topics: null, groups: [{ groupId, topics: null }], requireStable: false });
    },
    (a) => moved(v8 ? a.groups[0]?.errorCode : a.errorCode),
  );
  const topics = v8 ? (r.groups[0]?.topics ?? []) : r.topics;
  return topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })));
}

interface Brokers {
  readonly bootstrap: Bootstrap;
  readonly conn: KafkaConnection;
  /** The group's coordinator, found again when it answers that it moved or is loading. */
  readonly group: GroupCoordinator;
}

/**
 * How long a group request is asked again while the coordinator is not
 * available, still loading the group's offsets or moved (a new cluster
 * creates its offsets topic at the first group request), as Kafka's tools do.
 */
const COORDINATOR_RETRY_MS = 30_000;

const moved = (errorCode: number | undefined): boolean => errorCode !== undefined && COORDINATOR_MOVED.has(errorCode);

/** ListOffsets at each partition's leader. */
async function listOffsets(at: Brokers, topic: string, tps: TopicPartition[], timestamp: number): Promise<Map<number, number>> {
  const leaders = topicLeaders(at.conn, at.bootstrap, topic);
  try {
    await leaders.refresh();
    return await leaders.listOffsets(tps, timestamp);
  } finally {
    leaders.brokers.close();
  }
}

async function describe(at: Brokers, io: CommandIO, groupId: string, format: 'text' | 'json'): Promise<number> {
  const g = await describeGroup(at.group, groupId);
  if (g.groupState === 'Dead') throw new CommandError(`group "${groupId}" does not exist`);
  const owner = new Map<string, string>();
  const members = g.members.map((m) => {
    const a = m.memberAssignment.length > 0 ? decodeAssignment(m.memberAssignment) : undefined;
    const tps = a && a._tag === 'Right' ? a.right.partitions : [];
    for (const tp of tps) owner.set(`${tp.topic}/${tp.partition}`, m.memberId);
    return { memberId: m.memberId, clientId: m.clientId, assignment: tps };
  });
  const text = format === 'text';
  if (text) await writeLine(io.stdout, `Group: ${groupId}\tstate: ${g.groupState}\tprotocol: ${g.protocolData || '-'}\tmembers: ${g.members.length}`);
  if (text && members.length > 0) {
    await writeLine(io.stdout, 'MEMBER\tCLIENT-ID\tASSIGNMENT');
    for (const m of members)
      await writeLine(io.stdout, `${m.memberId}\t${m.clientId}\t${m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(',') || '-'}`);
  }
  const committed = await committedOffsets(at.group, groupId);
  const partitions = new Map<string, TopicPartition>();
  for (const c of committed) partitions.set(`${c.topic}/${c.partition}`, c);
  for (const k of owner.keys())
    if (!partitions.has(k)) partitions.set(k, { topic: k.slice(0, k.lastIndexOf('/')), partition: Number(k.slice(k.lastIndexOf('/') + 1)) });
  const ends = new Map<string, number>();
  for (const topic of new Set([...partitions.values()].map((p) => p.topic))) {
    const tps = [...partitions.values()].filter((p) => p.topic === topic);
    for (const [p, end] of await listOffsets(at, topic, tps, -1)) ends.set(`${topic}/${p}`, end);
  }
  const rows = [...partitions.entries()]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([k, tp]) => {
      const c = committed.find((x) => x.topic === tp.topic && x.partition === tp.partition)?.offset ?? -1;
      const end = ends.get(k) ?? -1;
      return {
        topic: tp.topic,
        partition: tp.partition,
        committed: c >= 0 ? c : null,
        logEnd: end,
        lag: c >= 0 && end >= 0 ? end - c : null,
        member: owner.get(k) ?? null,
      };
    });
  if (!text) {
    await writeLine(io.stdout, JSON.stringify({ group: groupId, state: g.groupState, protocol: g.protocolData || null, members, offsets: rows }));
    return 0;
  }
  await writeLine(io.stdout, 'TOPIC\tPARTITION\tCOMMITTED\tLOG-END\tLAG\tMEMBER');
  for (const r of rows) await writeLine(io.stdout, `${r.topic}\t${r.partition}\t${r.committed ?? '-'}\t${r.logEnd}\t${r.lag ?? '-'}\t${r.member ?? '-'}`);
  return 0;
}

async function resetOffsets(
  at: Brokers,
  io: CommandIO,
  groupId: string,
  topic: string,
  timestamp: number | undefined,
  toOffset: number | undefined,
  dryRun: boolean,
): Promise<number> {
  const conn = at.conn;
  const g = await describeGroup(at.group, groupId);
  if (g.members.length > 0) throw new CommandError(`group "${groupId}" has ${g.members.length} active member(s); stop its consumers before resetting offsets`);
  const tps = await partitionsOf(conn, topic);
  const targets = new Map<number, number>();
  if (toOffset !== undefined) {
    const [lo, hi] = [await listOffsets(at, topic, tps, -2), await listOffsets(at, topic, tps, -1)];
    for (const tp of tps) targets.set(tp.partition, Math.min(Math.max(toOffset, lo.get(tp.partition)!), hi.get(tp.partition)!));
  } else {
    const found = await listOffsets(at, topic, tps, timestamp!);
    const ends = await listOffsets(at, topic, tps, -1);
    for (const tp of tps) targets.set(tp.partition, found.get(tp.partition)! >= 0 ? found.get(tp.partition)! : ends.get(tp.partition)!);
  }
  await writeLine(io.stdout, `${dryRun ? 'Would reset' : 'Resetting'} group "${groupId}" on ${topic}:`);
  await writeLine(io.stdout, 'PARTITION\tNEW-OFFSET');
  for (const [p, o] of targets) await writeLine(io.stdout, `${p}\t${o}`);
  if (dryRun) return 0;
  const progress = new Progress(io, 'committing', { total: targets.size, unit: 'partitions' });
  const r = await at.group.call(
    (c) =>
      c.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          {
            name: topic,
            partitions: [...targets].map(([partitionIndex, committedOffset]) => ({
              partitionIndex,
              committedOffset,
              committedLeaderEpoch: -1,
              committedMetadata: null,
            })),
          },
        ],
      }),
    (a) => a.topics[0]?.partitions.some((p) => moved(p.errorCode)) ?? false,
  );
  for (const p of r.topics[0].partitions) check(p.errorCode, `cannot commit ${topic}-${p.partitionIndex}`);
  progress.done(targets.size);
  await writeLine(io.stdout, `Reset ${targets.size} partition(s).`);
  return 0;
}
