// Membership of one consumer group over the Kafka protocol, for `rill consume
// --group`: find the coordinator, join (the leader assigns with Kafka's
// round-robin assignor), sync, heartbeat, commit, leave. A heartbeat that
// reports a rebalance makes the next `assignment()` call rejoin.
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, roundRobinAssignor, TopicPartition } from '../core/client';
import { apis, KafkaClientError, KafkaConnection } from '../core/protocol';
import { check, CommandError, connect } from './wire';

/** Answers after which the group's coordinator moved: find it again, rejoin. */
const COORDINATOR_MOVED = new Set([14 /* COORDINATOR_LOAD_IN_PROGRESS */, 15 /* COORDINATOR_NOT_AVAILABLE */, 16 /* NOT_COORDINATOR */]);

const REBALANCE_IN_PROGRESS = 27;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;

export class GroupMember {
  private memberId = '';
  private generationId = -1;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private rejoinNeeded = true;
  private current: TopicPartition[] = [];

  private constructor(
    private coordinator: KafkaConnection,
    private readonly anyBroker: () => Promise<KafkaConnection>,
    readonly groupId: string,
    private readonly topics: string[],
    private readonly sessionTimeoutMs: number,
    private readonly retryTimeoutMs: number,
  ) {}

  /**
   * Finds the group's coordinator through `anyBroker` (a live connection to any
   * broker) and becomes a member at the next assignment(). When the coordinator
   * dies or moves, requests find it again (for up to retryTimeoutMs) and the
   * member rejoins.
   */
  static async join(anyBroker: () => Promise<KafkaConnection>, groupId: string, topics: string[], opts: { sessionTimeoutMs?: number; retryTimeoutMs?: number } = {}): Promise<GroupMember> {
    return new GroupMember(await connectToCoordinator(await anyBroker(), groupId), anyBroker, groupId, topics, opts.sessionTimeoutMs ?? 10000, opts.retryTimeoutMs ?? 60_000);
  }

  /** `request` at the coordinator; a broken connection or a moved coordinator finds it again and retries (the member then rejoins). */
  private async call<T>(request: (c: KafkaConnection) => Promise<T>, moved: (answer: T) => boolean = () => false): Promise<T> {
    const deadline = Date.now() + this.retryTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      let failure: Error | undefined;
      try {
        const answer = await request(this.coordinator);
        if (!moved(answer)) return answer;
        failure = new CommandError(`the coordinator of group "${this.groupId}" moved`);
      } catch (e) {
        if (!(e instanceof KafkaClientError || e instanceof CommandError)) throw e;
        failure = e;
      }
      if (Date.now() >= deadline) throw new CommandError(`group "${this.groupId}": no coordinator answered within ${this.retryTimeoutMs} ms (last: ${failure.message})`);
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
      this.rejoinNeeded = true;
      try {
        const found = await connectToCoordinator(await this.anyBroker(), this.groupId);
        this.coordinator.close();
        this.coordinator = found;
      } catch (e) {
        if (!(e instanceof KafkaClientError || e instanceof CommandError)) throw e;
      }
    }
  }

  /** The partitions this member owns now, rejoining first if the group rebalanced. */
  async assignment(): Promise<TopicPartition[]> {
    while (this.rejoinNeeded) await this.rejoin();
    return this.current;
  }

  get needsRejoin(): boolean {
    return this.rejoinNeeded;
  }

  private async rejoin(): Promise<void> {
    this.stopHeartbeats();
    const metadata = encodeSubscription({ topics: this.topics, userData: null, ownedPartitions: [] });
    const protocols = [{ name: roundRobinAssignor.name, metadata }];
    const request = { groupId: this.groupId, sessionTimeoutMs: this.sessionTimeoutMs, rebalanceTimeoutMs: this.sessionTimeoutMs, memberId: this.memberId, groupInstanceId: null, protocolType: 'consumer', protocols };
    const joined = await this.call((c) => c.request<apis.JoinGroupResponse>(apis.joinGroup, request), (r) => COORDINATOR_MOVED.has(r.errorCode));
    if (joined.errorCode === UNKNOWN_MEMBER_ID) {
      this.memberId = '';
      return;
    }
    check(joined.errorCode, `cannot join group "${this.groupId}"`);
    this.memberId = joined.memberId;
    this.generationId = joined.generationId;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (joined.leader === joined.memberId) assignments = await this.assign(joined.members);
    const synced = await this.call((c) => c.request<apis.SyncGroupResponse>(apis.syncGroup, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: roundRobinAssignor.name, assignments }));
    if (synced.errorCode === REBALANCE_IN_PROGRESS || synced.errorCode === ILLEGAL_GENERATION || COORDINATOR_MOVED.has(synced.errorCode)) return;
    check(synced.errorCode, `cannot sync group "${this.groupId}"`);
    // Empty bytes: the leader gave this member nothing.
    if (synced.assignment.length === 0) this.current = [];
    else {
      const decoded = decodeAssignment(synced.assignment);
      if (decoded._tag === 'Left') throw new CommandError(`group "${this.groupId}": unreadable assignment: ${decoded.left}`);
      this.current = decoded.right.partitions;
    }
    this.rejoinNeeded = false;
    this.startHeartbeats();
  }

  /** The leader's job: every member's partitions, with Kafka's round-robin assignor. */
  private async assign(members: { memberId: string; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const subscriptions = members.map((m) => {
      const s = decodeSubscription(m.metadata);
      return { memberId: m.memberId, topics: s._tag === 'Right' ? s.right.topics : [], ownedPartitions: [] };
    });
    const topics = [...new Set(subscriptions.flatMap((s) => s.topics))];
    const meta = await (await this.anyBroker()).request<apis.MetadataResponse>(apis.metadata, { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: false });
    const counts = new Map(meta.topics.filter((t) => t.errorCode === 0).map((t) => [t.name, t.partitions.length]));
    const plan = roundRobinAssignor.assign(subscriptions, counts);
    return [...plan].map(([memberId, partitions]) => ({ memberId, assignment: encodeAssignment({ partitions, userData: null }) }));
  }

  private startHeartbeats(): void {
    const interval = Math.max(100, Math.floor(this.sessionTimeoutMs / 5));
    this.heartbeatTimer = setInterval(() => {
      this.coordinator
        .request<apis.HeartbeatResponse>(apis.heartbeat, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId })
        .then((r) => {
          if (r.errorCode !== 0) this.rejoinNeeded = true;
        })
        .catch(() => (this.rejoinNeeded = true));
    }, interval);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Committed offsets of the given partitions (-1 where none). */
  async committed(partitions: TopicPartition[]): Promise<Map<string, number>> {
    const topics = [...new Set(partitions.map((p) => p.topic))].map((name) => ({ name, partitionIndexes: partitions.filter((p) => p.topic === name).map((p) => p.partition) }));
    const r = await this.call((c) => c.request<apis.OffsetFetchResponse>(apis.offsetFetch, { groupId: this.groupId, topics, groups: [{ groupId: this.groupId, topics }], requireStable: false }));
    const out = new Map<string, number>();
    const resultTopics = this.coordinator.versionFor(apis.offsetFetch) >= 8 ? (r.groups[0]?.topics ?? []) : r.topics;
    for (const t of resultTopics) for (const p of t.partitions) out.set(`${t.name}/${p.partitionIndex}`, p.committedOffset);
    return out;
  }

  /** Commits positions (the next offset to read) for this generation; a rebalance in between is not an error. */
  async commit(positions: Map<TopicPartition, number>): Promise<void> {
    if (positions.size === 0) return;
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const [tp, offset] of positions) {
      let list = byTopic.get(tp.topic);
      if (!list) byTopic.set(tp.topic, (list = []));
      list.push({ partitionIndex: tp.partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null });
    }
    const r = await this.call(
      (c) =>
        c.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
          groupId: this.groupId,
          generationIdOrMemberEpoch: this.generationId,
          memberId: this.memberId,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        }),
      (answer) => answer.topics.some((t) => t.partitions.some((p) => COORDINATOR_MOVED.has(p.errorCode))),
    );
    for (const t of r.topics) for (const p of t.partitions) if (p.errorCode === REBALANCE_IN_PROGRESS || p.errorCode === ILLEGAL_GENERATION || p.errorCode === UNKNOWN_MEMBER_ID) this.rejoinNeeded = true;
  }

  /** Leaves the group (its partitions go to the other members at once). */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.memberId) {
      await this.coordinator
        .request(apis.leaveGroup, { groupId: this.groupId, memberId: this.memberId, members: [{ memberId: this.memberId, groupInstanceId: null }] })
        .catch(() => undefined);
    }
    this.coordinator.close();
  }
}

/**
 * A connection to the coordinator of `groupId`, found with FindCoordinator (on a
 * cluster it is the leader of the group's __consumer_offsets partition, and
 * another broker answers NOT_COORDINATOR). The caller closes it.
 */
export async function connectToCoordinator(any: KafkaConnection, groupId: string): Promise<KafkaConnection> {
  // COORDINATOR_NOT_AVAILABLE is transient (the offsets topic is being created, or
  // its partition is electing a leader): ask again for a while, as Kafka clients do.
  for (let attempt = 1; ; attempt++) {
    const found = await any.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
    const c = any.versionFor(apis.findCoordinator) >= 4 ? found.coordinators[0] : { ...found, key: groupId };
    if (c.errorCode === COORDINATOR_NOT_AVAILABLE && attempt < COORDINATOR_ATTEMPTS) {
      await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
      continue;
    }
    check(c.errorCode, `cannot find the coordinator of group "${groupId}"`, c.errorMessage);
    return connect(`${c.host}:${c.port}`);
  }
}

const COORDINATOR_NOT_AVAILABLE = 15;
/** About 15 s of asking before giving up. */
const COORDINATOR_ATTEMPTS = 20;
