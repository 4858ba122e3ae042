// `rill group list|describe|reset-offsets`: consumer groups, their members,
// assignments and lag, and moving a stopped group's committed offsets.
import { decodeAssignment, TopicPartition } from '../core/client';
import { apis, KafkaConnection } from '../core/protocol';
import { parseCommand, UsageError } from './args';
import { runCommand } from './command';
import { parseTimestamp } from './consume-command';
import { connectToCoordinator } from './group-member';
import { listOffsetsAtLeaders, PartitionLeaders } from './leaders';
import { CommandIO, Progress, writeLine } from './io';
import { bootstrapOf, check, CommandError, connect } from './wire';

export const GROUP_HELP = `rill group — consumer groups

Usage:
  rill group list
  rill group describe GROUP            state, members, assignment, committed offsets and lag
  rill group reset-offsets GROUP --topic NAME (--to-earliest | --to-latest | --to-offset N | --to-timestamp T) [--dry-run]
                                       the group must have no members (stop its consumers first)

Options:
  --bootstrap HOST:PORT   broker (default $RILL_BOOTSTRAP or localhost:9092)

Exit codes: 0 ok, 1 failure, 2 bad usage.`;

const SPEC = { bootstrap: 'string', topic: 'string', 'to-earliest': 'boolean', 'to-latest': 'boolean', 'to-offset': 'number', 'to-timestamp': 'string', 'dry-run': 'boolean' } as const;

export function runGroup(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('group', GROUP_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    const [action, groupId, ...extra] = positional;
    if (!action) throw new UsageError('give an action: list, describe or reset-offsets');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (!['list', 'describe', 'reset-offsets'].includes(action)) throw new UsageError(`unknown action "${action}"; use list, describe or reset-offsets`);
    if (action !== 'list' && !groupId) throw new UsageError(`"group ${action}" needs a group id`);
    let target: number | undefined;
    if (action === 'reset-offsets') {
      const chosen = [flags['to-earliest'], flags['to-latest'], flags['to-offset'] !== undefined, flags['to-timestamp'] !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-offset N, --to-timestamp T');
      if (!flags.topic) throw new UsageError('--topic is required');
      target = flags['to-earliest'] ? -2 : flags['to-latest'] ? -1 : flags['to-timestamp'] !== undefined ? parseTimestamp(flags['to-timestamp']) : undefined;
    }
    if (action !== 'list' && action !== 'describe' && action !== 'reset-offsets') throw new UsageError(`unknown action "${action}"; use list, describe or reset-offsets`);
    const bootstrap = bootstrapOf(flags.bootstrap, io);
    const conn = await connect(bootstrap);
    // Group requests go to the group's coordinator, offsets of a partition to its leader
    // (on a single broker both are the bootstrap broker).
    let coordinator: KafkaConnection | undefined;
    try {
      if (action === 'list') return await list(conn, io);
      coordinator = await connectToCoordinator(conn, groupId);
      const at: Brokers = { bootstrap, conn, coordinator };
      if (action === 'describe') return await describe(at, io, groupId);
      return await resetOffsets(at, io, groupId, flags.topic!, target, flags['to-offset'], !!flags['dry-run']);
    } finally {
      coordinator?.close();
      conn.close();
    }
  });
}

async function list(conn: KafkaConnection, io: CommandIO): Promise<number> {
  const r = await conn.request<apis.ListGroupsResponse>(apis.listGroups, { statesFilter: [] });
  check(r.errorCode, 'cannot list groups');
  await writeLine(io.stdout, 'GROUP\tSTATE\tPROTOCOL-TYPE');
  for (const g of r.groups) await writeLine(io.stdout, `${g.groupId}\t${g.groupState || '-'}\t${g.protocolType || '-'}`);
  return 0;
}

async function describeGroup(conn: KafkaConnection, groupId: string) {
  const r = await conn.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: [groupId], includeAuthorizedOperations: false });
  const g = r.groups[0];
  check(g.errorCode, `cannot describe group "${groupId}"`);
  return g;
}

async function committedOffsets(conn: KafkaConnection, groupId: string): Promise<{ topic: string; partition: number; offset: number }[]> {
  const r = await conn.request<apis.OffsetFetchResponse>(apis.offsetFetch, { groupId, topics: null, groups: [{ groupId, topics: null }], requireStable: false });
  const topics = conn.versionFor(apis.offsetFetch) >= 8 ? (r.groups[0]?.topics ?? []) : r.topics;
  return topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })));
}

interface Brokers {
  readonly bootstrap: string;
  readonly conn: KafkaConnection;
  readonly coordinator: KafkaConnection;
}

/** ListOffsets at each partition's leader. */
async function listOffsets(at: Brokers, topic: string, tps: TopicPartition[], timestamp: number): Promise<Map<number, number>> {
  const leaders = new PartitionLeaders(at.conn, at.bootstrap, topic);
  try {
    await leaders.refresh();
    return await listOffsetsAtLeaders(leaders, topic, tps, timestamp);
  } finally {
    leaders.close();
  }
}

async function describe(at: Brokers, io: CommandIO, groupId: string): Promise<number> {
  const g = await describeGroup(at.coordinator, groupId);
  if (g.groupState === 'Dead') throw new CommandError(`group "${groupId}" does not exist`);
  await writeLine(io.stdout, `Group: ${groupId}\tstate: ${g.groupState}\tprotocol: ${g.protocolData || '-'}\tmembers: ${g.members.length}`);
  const owner = new Map<string, string>();
  if (g.members.length > 0) {
    await writeLine(io.stdout, 'MEMBER\tCLIENT-ID\tASSIGNMENT');
    for (const m of g.members) {
      const a = m.memberAssignment.length > 0 ? decodeAssignment(m.memberAssignment) : undefined;
      const tps = a && a._tag === 'Right' ? a.right.partitions : [];
      for (const tp of tps) owner.set(`${tp.topic}/${tp.partition}`, m.memberId);
      await writeLine(io.stdout, `${m.memberId}\t${m.clientId}\t${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(',') || '-'}`);
    }
  }
  const committed = await committedOffsets(at.coordinator, groupId);
  const partitions = new Map<string, TopicPartition>();
  for (const c of committed) partitions.set(`${c.topic}/${c.partition}`, c);
  for (const k of owner.keys()) if (!partitions.has(k)) partitions.set(k, { topic: k.slice(0, k.lastIndexOf('/')), partition: Number(k.slice(k.lastIndexOf('/') + 1)) });
  const ends = new Map<string, number>();
  for (const topic of new Set([...partitions.values()].map((p) => p.topic))) {
    const tps = [...partitions.values()].filter((p) => p.topic === topic);
    for (const [p, end] of await listOffsets(at, topic, tps, -1)) ends.set(`${topic}/${p}`, end);
  }
  await writeLine(io.stdout, 'TOPIC\tPARTITION\tCOMMITTED\tLOG-END\tLAG\tMEMBER');
  const rows = [...partitions.entries()].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
  for (const [k, tp] of rows) {
    const c = committed.find((x) => x.topic === tp.topic && x.partition === tp.partition)?.offset ?? -1;
    const end = ends.get(k) ?? -1;
    await writeLine(io.stdout, `${tp.topic}\t${tp.partition}\t${c >= 0 ? c : '-'}\t${end}\t${c >= 0 && end >= 0 ? end - c : '-'}\t${owner.get(k) ?? '-'}`);
  }
  return 0;
}

async function resetOffsets(at: Brokers, io: CommandIO, groupId: string, topic: string, timestamp: number | undefined, toOffset: number | undefined, dryRun: boolean): Promise<number> {
  const conn = at.conn;
  const g = await describeGroup(at.coordinator, groupId);
  if (g.members.length > 0) throw new CommandError(`group "${groupId}" has ${g.members.length} active member(s); stop its consumers before resetting offsets`);
  const meta = await conn.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false });
  check(meta.topics[0].errorCode, `topic "${topic}"`);
  const tps = meta.topics[0].partitions.map((p) => ({ topic, partition: p.partitionIndex })).sort((a, b) => a.partition - b.partition);
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
  const progress = new Progress(io, 'committing', targets.size);
  const r = await at.coordinator.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: [{ name: topic, partitions: [...targets].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: null })) }],
  });
  for (const p of r.topics[0].partitions) check(p.errorCode, `cannot commit ${topic}-${p.partitionIndex}`);
  progress.done(targets.size);
  await writeLine(io.stdout, `Reset ${targets.size} partition(s).`);
  return 0;
}
