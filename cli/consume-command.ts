// `rill consume`: records of a topic to stdout, from the beginning, an offset or
// a timestamp, alone or as a member of a consumer group (offsets committed).
import {
  BrokerConnections,
  GroupCoordinator,
  GroupMember,
  protocolGroupPort,
  roundRobinAssignor,
  type PartitionLeaders,
  type TopicPartition,
  AbortedTransactionFilter,
} from '../core/client';
import { decodeRecordBatches, DecodedRecord } from '../core/log';
import { apis, KafkaClientError, KafkaConnection } from '../core/protocol';
import { ErrorCode } from '../core/wire';
import { BOOTSTRAP_FLAG, COMMAND_CONFIG_FLAG, commandHelp, noMoreArguments, parseCommand, UsageError } from './args';
import { avroDecoder, DEFAULT_REGISTRY, registryClientOf } from './avro';
import { runCommand } from './command';
import { CommandIO, writeLine } from './io';
import { backoff, LEADER_MOVED, topicLeaders } from './leaders';
import { partitionCount } from './produce-command';
import { type Bootstrap, bootstrapList, bootstrapOf, check, CommandError, connect } from './wire';

const SPEC = {
  topic: { kind: 'string', arg: 'NAME', help: 'the topic to read (required)' },
  'from-beginning': { kind: 'boolean', help: 'start from the log start (default: new records only)' },
  offset: { kind: 'number', help: 'start from offset N (with --partition, or on every partition)' },
  timestamp: { kind: 'string', arg: 'T', help: 'start from the first record at or after T (epoch ms or ISO-8601)' },
  group: {
    kind: 'string',
    arg: 'ID',
    help: 'as a member of consumer group ID: start from its committed offsets (else as above), commit as it goes, share partitions',
  },
  partition: { kind: 'number', help: 'only partition N (not with --group)' },
  'max-messages': { kind: 'number', help: 'stop after N records' },
  'exit-at-end': { kind: 'boolean', help: 'stop once every partition is read to its end' },
  isolation: {
    kind: 'string',
    arg: 'LEVEL',
    help: 'read_uncommitted (every record) | read_committed (up to the last stable offset, aborted transactions left out)',
    default: 'read_uncommitted',
  },
  format: { kind: 'string', arg: 'F', help: 'value | kv (key<TAB>value) | json (one object per line)', default: 'value' },
  avro: { kind: 'boolean', help: 'values are Confluent-framed Avro: print them as JSON' },
  'schema-registry': { kind: 'string', arg: 'URL', help: 'schema registry for --avro', defaultText: `$RILL_SCHEMA_REGISTRY or ${DEFAULT_REGISTRY}` },
  'retry-timeout-ms': { kind: 'number', help: 'ride out a partition leader that moved or died this long', default: 60_000 },
  bootstrap: BOOTSTRAP_FLAG,
  'command-config': COMMAND_CONFIG_FLAG,
} as const;

export const CONSUME_HELP = commandHelp({
  title: "rill consume — print a topic's records",
  usage: ['rill consume --topic NAME [options]'],
  spec: SPEC,
  notes: 'SIGINT/SIGTERM, or the reader of stdout going away (| head), stop it: offsets committed, group left.',
});

type Format = 'value' | 'kv' | 'json';

export function runConsume(argv: string[], io: CommandIO, stop?: AbortSignal): Promise<number> {
  return runCommand('consume', CONSUME_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    const topic = flags.topic;
    if (!topic) throw new UsageError('--topic is required');
    const format = (flags.format ?? 'value') as Format;
    if (!['value', 'kv', 'json'].includes(format)) throw new UsageError('--format must be value, kv or json');
    const starts = [flags['from-beginning'], flags.offset !== undefined, flags.timestamp !== undefined].filter(Boolean).length;
    if (starts > 1) throw new UsageError('give at most one of --from-beginning, --offset, --timestamp');
    if (flags.group && flags.partition !== undefined) throw new UsageError('--partition and --group exclude each other (the group assigns partitions)');
    const startTimestamp = flags.timestamp !== undefined ? parseTimestamp(flags.timestamp) : flags['from-beginning'] ? -2 : -1;
    const maxMessages = flags['max-messages'] ?? Infinity;
    if (flags.isolation !== 'read_committed' && flags.isolation !== 'read_uncommitted')
      throw new UsageError(`--isolation must be read_committed or read_uncommitted, not ${flags.isolation}`);
    const isolationLevel = flags.isolation === 'read_committed' ? 1 : 0;
    const retryTimeoutMs = flags['retry-timeout-ms']!;
    if (!Number.isInteger(retryTimeoutMs) || retryTimeoutMs < 0) throw new UsageError('--retry-timeout-ms must be a non-negative integer');
    const decodeValue = flags.avro
      ? avroDecoder(flags['schema-registry'] ?? io.env.RILL_SCHEMA_REGISTRY ?? DEFAULT_REGISTRY, registryClientOf(flags))
      : async (b: Buffer) => b.toString('utf8');

    const bootstrap = bootstrapOf(flags, io);
    const conn = await connect(bootstrap);
    // Reads go to each partition's leader (on a cluster, not every broker leads every partition).
    const leaders = topicLeaders(conn, bootstrap, topic, retryTimeoutMs);
    let member: GroupMember | undefined;
    let group: ConsumerGroup | undefined;
    const positions = new Map<string, Position>();
    let printed = 0;
    try {
      const count = await partitionCount(conn, topic, false);
      await leaders.refresh();
      if (flags.partition !== undefined && (flags.partition < 0 || flags.partition >= count))
        throw new UsageError(`--partition must be from 0 to ${count - 1}`);

      const resolveStarts = async (tps: TopicPartition[], committed?: Map<string, number>) => {
        positions.clear();
        const need = tps.filter((tp) => !(committed && (committed.get(key(tp)) ?? -1) >= 0));
        const listed = need.length > 0 ? await leaders.listOffsets(need, flags.offset !== undefined ? -2 : startTimestamp) : new Map<number, number>();
        for (const tp of tps) {
          const c = committed?.get(key(tp)) ?? -1;
          let offset = c >= 0 ? c : flags.offset !== undefined ? flags.offset : listed.get(tp.partition)!;
          // A timestamp after the last record: start at the end.
          if (offset < 0) offset = (await leaders.listOffsets([tp], -1)).get(tp.partition)!;
          positions.set(key(tp), { tp, offset, end: -1 });
        }
      };

      if (flags.group) {
        group = consumerGroup(bootstrap, leaders, flags.group, retryTimeoutMs, (revoked) => commit(revoked));
        member = group.member;
        await member.start();
      } else {
        const tps =
          flags.partition !== undefined ? [{ topic, partition: flags.partition }] : Array.from({ length: count }, (_, partition) => ({ topic, partition }));
        await resolveStarts(tps);
      }

      // Leader changes are ridden out for up to --retry-timeout-ms without a successful fetch.
      let troubles = 0;
      let troubleSince: number | undefined;
      let lastTrouble = '';
      const troubleWith = (e: Error) => {
        troubleSince ??= Date.now();
        lastTrouble = e.message;
        if (Date.now() - troubleSince > retryTimeoutMs)
          throw new CommandError(`no leader of ${topic} answered within ${retryTimeoutMs} ms (last: ${lastTrouble}); ${printed} record(s) were printed`);
      };

      let lastCommit = Date.now();
      /** Commits the positions (of `only` these partitions) as the member's generation; a rebalance in between is not an error. */
      async function commit(only?: readonly TopicPartition[]): Promise<void> {
        if (!member || !group) return;
        const which = only === undefined ? [...positions.values()] : only.map((tp) => positions.get(key(tp))).filter((p): p is Position => p !== undefined);
        await group.coordinator.commit(
          which.map((p) => ({ ...p.tp, offset: p.offset })),
          { memberId: member.memberId, generationId: member.generationId },
        );
        lastCommit = Date.now();
      }

      while (printed < maxMessages && !stop?.aborted) {
        if (member && group && (group.changed() || positions.size === 0)) {
          await member.ensureJoined();
          const assigned = member.assignment.filter((tp) => tp.topic === topic);
          const committed =
            assigned.length > 0 ? ((await group.coordinator.committed(assigned)).get(topic) ?? new Map<number, number>()) : new Map<number, number>();
          await resolveStarts(assigned, new Map([...committed].map(([partition, offset]) => [key({ topic, partition }), offset])));
          if (assigned.length === 0 && !flags['exit-at-end']) {
            await sleep(200);
            continue;
          }
        }
        if (positions.size === 0) break;
        // One fetch per leader, side by side; a partition whose leader moved or died waits for fresh metadata.
        let moved = false;
        const byLeader = new Map<KafkaConnection, Position[]>();
        for (const p of positions.values()) {
          try {
            const c = await leaders.connectionFor(p.tp.partition);
            byLeader.set(c, [...(byLeader.get(c) ?? []), p]);
          } catch (e) {
            if (!(e instanceof KafkaClientError || e instanceof CommandError)) throw e;
            troubleWith(e as Error);
            leaders.forget(p.tp.partition);
            moved = true;
          }
        }
        const answers = await Promise.all(
          [...byLeader].map(([c, ps]) =>
            c
              .request<apis.FetchResponse>(apis.fetch, {
                replicaId: -1,
                maxWaitMs: 500,
                minBytes: 1,
                maxBytes: 8 * 1024 * 1024,
                isolationLevel,
                sessionId: 0,
                sessionEpoch: -1,
                topics: [
                  {
                    topic,
                    partitions: ps.map((p) => ({
                      partition: p.tp.partition,
                      fetchOffset: p.offset,
                      partitionMaxBytes: 1024 * 1024,
                      currentLeaderEpoch: -1,
                      logStartOffset: -1,
                      lastFetchedEpoch: -1,
                    })),
                  },
                ],
                forgottenTopicsData: [],
                rackId: '',
              })
              .catch((e: unknown) => {
                if (!(e instanceof KafkaClientError)) throw e;
                // The leader's connection broke (a broker stopped or died): ask Metadata again.
                troubleWith(e);
                for (const p of ps) leaders.forget(p.tp.partition);
                moved = true;
                return undefined;
              }),
          ),
        );
        const responses = answers.filter((r): r is apis.FetchResponse => r !== undefined);
        for (const fetched of responses) check(fetched.errorCode, 'fetch failed');
        if (responses.length > 0 && !moved) troubleSince = undefined;
        for (const t of responses.flatMap((f) => f.responses)) {
          for (const p of t.partitions) {
            const pos = positions.get(`${topic}/${p.partitionIndex}`);
            if (!pos) continue;
            if (LEADER_MOVED.has(p.errorCode)) {
              moved = true;
              continue;
            }
            if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
              const tp = [{ topic, partition: p.partitionIndex }];
              const [lo, hi] = [(await leaders.listOffsets(tp, -2)).get(p.partitionIndex), (await leaders.listOffsets(tp, -1)).get(p.partitionIndex)];
              const held = hi! > lo! ? `its records are at offsets ${lo} to ${hi! - 1}` : 'it holds no records';
              throw new CommandError(
                `offset ${pos.offset} is out of range for ${topic}-${p.partitionIndex}: ${held} (log start ${lo}, log end ${hi}); give --offset from ${lo} to ${hi}, or --from-beginning`,
              );
            }
            check(p.errorCode, `cannot read ${topic}-${p.partitionIndex} at offset ${pos.offset}`);
            // read_committed ends where the open transactions begin.
            pos.end = isolationLevel === 1 ? p.lastStableOffset : p.highWatermark;
            if (!p.records || p.records.length === 0) continue;
            const batches = decodeRecordBatches(p.records);
            if (batches._tag === 'Left') throw new CommandError(`${topic}-${p.partitionIndex}: unreadable batch: ${batches.left.message}`);
            // Transaction markers never print; under read_committed, aborted transactions neither.
            const filter = new AbortedTransactionFilter(isolationLevel === 1 ? p.abortedTransactions : null);
            for (const batch of batches.right) {
              const shown = filter.delivers(batch);
              for (const r of shown ? batch.records : []) {
                // A stop (a signal, or the reader of stdout gone: EPIPE) prints nothing more; the position stays at the last printed record.
                if (r.offset < pos.offset || printed >= maxMessages || stop?.aborted) continue;
                await writeLine(io.stdout, await formatRecord(r, p.partitionIndex, format, decodeValue));
                printed++;
                pos.offset = r.offset + 1;
              }
              if (printed < maxMessages && !stop?.aborted) pos.offset = Math.max(pos.offset, batch.lastOffset + 1);
            }
          }
        }
        if (moved) {
          await backoff(troubles++);
          await leaders.refresh().catch((e: Error) => troubleWith(e));
        } else troubles = 0;
        if (member && Date.now() - lastCommit > 1000) await commit();
        if (flags['exit-at-end'] && [...positions.values()].every((p) => p.end >= 0 && p.offset >= p.end)) break;
      }
      await commit();
      io.stderr.write(`Consumed ${printed} record(s).\n`);
      return 0;
    } finally {
      await member?.stop();
      group?.close();
      leaders.brokers.close();
      conn.close();
    }
  });
}

interface ConsumerGroup {
  readonly member: GroupMember;
  readonly coordinator: GroupCoordinator;
  /** Whether the assignment changed since the last call. */
  changed(): boolean;
  /** Closes the group's connections (after member.stop()). */
  close(): void;
}

/**
 * `--group`: core/client's GroupMember over the Kafka protocol with Kafka's
 * round-robin assignor; the partitions it revokes have their positions
 * committed first (`commitRevoked`).
 */
function consumerGroup(
  bootstrap: Bootstrap,
  leaders: PartitionLeaders,
  groupId: string,
  retryTimeoutMs: number,
  commitRevoked: (revoked: TopicPartition[]) => Promise<void>,
): ConsumerGroup {
  // Connections of its own: a JoinGroup waits at the coordinator for the rebalance, and must not hold up fetches behind it.
  const connections = new BrokerConnections(bootstrapList(bootstrap.servers), { clientId: 'rill-cli', tls: bootstrap.tls, sasl: bootstrap.sasl });
  const coordinator = new GroupCoordinator(connections, groupId, retryTimeoutMs);
  const sessionTimeoutMs = 10_000;
  let changed = true;
  const member = new GroupMember(
    protocolGroupPort(coordinator, (topics) => leaders.brokers.partitionCounts(topics)),
    {
      groupId,
      clientId: 'rill-cli',
      groupInstanceId: null,
      sessionTimeoutMs,
      rebalanceTimeoutMs: sessionTimeoutMs,
      heartbeatIntervalMs: sessionTimeoutMs / 5,
      assignors: [roundRobinAssignor],
    },
    {
      topics: () => [leaders.topic],
      onRevoked: async (revoked) => {
        changed = true;
        await commitRevoked(revoked).catch(() => undefined);
      },
      onAssigned: async () => {
        changed = true;
      },
      onError: () => undefined,
    },
  );
  return {
    member,
    coordinator,
    close: () => connections.close(),
    changed() {
      const was = changed;
      changed = false;
      return was;
    },
  };
}

interface Position {
  tp: TopicPartition;
  offset: number;
  end: number;
}

const key = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function parseTimestamp(text: string): number {
  const n = Number(text);
  if (text.trim() !== '' && Number.isInteger(n) && n >= 0) return n;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--timestamp "${text}" is neither epoch milliseconds nor an ISO-8601 date`);
  return t;
}

async function formatRecord(r: DecodedRecord, partition: number, format: Format, decodeValue: (b: Buffer) => Promise<string>): Promise<string> {
  const value = r.value === null ? null : await decodeValue(r.value);
  const k = r.key === null ? null : r.key.toString('utf8');
  switch (format) {
    case 'value':
      return value ?? '';
    case 'kv':
      return `${k ?? ''}\t${value ?? ''}`;
    case 'json':
      return JSON.stringify({
        partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: k,
        value,
        headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')])),
      });
  }
}
