// A consumer group's coordinator over the Kafka protocol: found with
// FindCoordinator (on a cluster, the leader of the group's __consumer_offsets
// partition; another broker answers NOT_COORDINATOR), and found again when it
// moves or its connection breaks. Every group request of a client goes
// through call(): the group member's join/sync/heartbeat/leave, and offset
// commits and fetches.
import { apis, type KafkaConnection } from '../../protocol';
import { ErrorCode } from '../../wire';
import type { BrokerConnections } from './broker-connections';
import { checkCode } from './partition-leaders';
import { RetryLater, RetryPolicy, retryPolicy } from './retry-policy';

/** Answers after which the group's coordinator moved: find it again, retry. */
export const COORDINATOR_MOVED = new Set<number>([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]);

const keyName = (keyType: CoordinatorKeyType): string => (keyType === 1 ? 'transactional id' : 'group');

/** One FindCoordinator of `key` (a group, or a transactional id) at `any` broker: "host:port", or RetryLater while it is not available. */
async function findCoordinator(any: KafkaConnection, key: string, keyType: CoordinatorKeyType): Promise<string | RetryLater> {
  const found = await any.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key, keyType, coordinatorKeys: [key] });
  const c = any.versionFor(apis.findCoordinator) >= 4 ? found.coordinators[0] : { ...found, key };
  if (c.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
    return new RetryLater(c.errorMessage || `the coordinator of ${keyName(keyType)} "${key}" is not available (error ${c.errorCode})`);
  checkCode(c.errorCode, `cannot find the coordinator of ${keyName(keyType)} "${key}"`, c.errorMessage);
  return `${c.host}:${c.port}`;
}

/** How long the CLI's group tools ask for a coordinator that is not available. */
const FIND_TIMEOUT_MS = 15_000;

/**
 * "host:port" of the coordinator of `groupId`, asked of `any` broker.
 * COORDINATOR_NOT_AVAILABLE is transient (the offsets topic is being created,
 * or its partition is electing a leader): asked again as `retry` says (default
 * for about 15 s), as Kafka clients do.
 */
export function coordinatorAddress(
  any: KafkaConnection,
  groupId: string,
  retry: RetryPolicy = new RetryPolicy({ timeoutMs: FIND_TIMEOUT_MS }),
  keyType: CoordinatorKeyType = 0,
): Promise<string> {
  return retry.run(`cannot find the coordinator of ${keyName(keyType)} "${groupId}"`, () => findCoordinator(any, groupId, keyType));
}

/** FindCoordinator's key types: 0 a group, 1 a transactional id (whose coordinator this class follows the same way). */
export type CoordinatorKeyType = 0 | 1;

export class GroupCoordinator {
  private address: string | undefined;
  private readonly retry: RetryPolicy;

  /** `retry`: the client's policy, or how long a request keeps being retried while no coordinator answers (ms). */
  constructor(
    private readonly brokers: BrokerConnections,
    readonly groupId: string,
    retry?: RetryPolicy | number,
    private readonly keyType: CoordinatorKeyType = 0,
  ) {
    this.retry = retryPolicy(retry);
  }

  /** The coordinator's connection (found first if not known). */
  async connection(): Promise<KafkaConnection> {
    this.address ??= await this.retry.run(
      `cannot find the coordinator of ${keyName(this.keyType)} "${this.groupId}"`,
      async () => findCoordinator(await this.brokers.any(), this.groupId, this.keyType),
      {
        stopped: () => this.brokers.closed,
      },
    );
    return this.brokers.connection(this.address);
  }

  /**
   * `request` at the coordinator; a broken connection or an answer that says
   * the coordinator moved (`moved`) finds it again and retries, as the retry
   * policy says.
   */
  call<T>(request: (c: KafkaConnection) => Promise<T>, moved: (answer: T) => boolean = () => false): Promise<T> {
    const forget = () => {
      if (this.address !== undefined) this.brokers.drop(this.address);
      this.address = undefined;
    };
    return this.retry.run(
      `group "${this.groupId}"`,
      async () => {
        const answer = await request(await this.connection());
        if (!moved(answer)) return answer;
        forget();
        return new RetryLater(`the coordinator of group "${this.groupId}" moved`);
      },
      { onError: forget, stopped: () => this.brokers.closed },
    );
  }

  /**
   * Commits next-offsets-to-read. As `member` (its member id and generation,
   * which the coordinator checks), else as a "simple" commit for a group
   * without members (generation -1, no member id), as Kafka's tools commit.
   * Resolves with the error code of each partition (0: committed).
   */
  async commit(
    offsets: readonly { topic: string; partition: number; offset: number }[],
    member?: { memberId: string; generationId: number },
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    if (offsets.length === 0) return [];
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, (list = []));
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: null });
    }
    const r = await this.call(
      (c) =>
        c.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
          groupId: this.groupId,
          generationIdOrMemberEpoch: member?.generationId ?? -1,
          memberId: member?.memberId ?? '',
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        }),
      (answer) => answer.topics.some((t) => t.partitions.some((p) => COORDINATOR_MOVED.has(p.errorCode))),
    );
    return r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
  }

  /** Committed offsets: of the given partitions, or (undefined) of all; topic -> partition -> offset (-1: none). */
  async committed(partitions?: readonly { topic: string; partition: number }[]): Promise<Map<string, Map<number, number>>> {
    const topics =
      partitions === undefined
        ? null
        : [...new Set(partitions.map((p) => p.topic))].map((name) => ({
            name,
            partitionIndexes: partitions.filter((p) => p.topic === name).map((p) => p.partition),
          }));
    const r = await this.call(
      (c) =>
        c
          .request<apis.OffsetFetchResponse>(apis.offsetFetch, {
            groupId: this.groupId,
            topics,
            groups: [{ groupId: this.groupId, topics }],
            requireStable: false,
          })
          .then((answer) => ({ answer, v8: c.versionFor(apis.offsetFetch) >= 8 })),
      ({ answer, v8 }) => COORDINATOR_MOVED.has(v8 ? (answer.groups[0]?.errorCode ?? 0) : answer.errorCode),
    );
    const { answer, v8 } = r;
    checkCode(v8 ? (answer.groups[0]?.errorCode ?? 0) : answer.errorCode, `cannot fetch the offsets of group "${this.groupId}"`);
    const out = new Map<string, Map<number, number>>();
    for (const t of v8 ? (answer.groups[0]?.topics ?? []) : answer.topics) {
      let byPartition = out.get(t.name);
      if (!byPartition) out.set(t.name, (byPartition = new Map()));
      for (const p of t.partitions) byPartition.set(p.partitionIndex, p.committedOffset);
    }
    return out;
  }
}
