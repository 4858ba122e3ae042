// The client side of Kafka's group protocol for one consumer: join, (as leader)
// assign, sync, heartbeat, rejoin on rebalance, leave. Heartbeats run on their own
// timer, so slow record processing never costs a member its session; eager
// assignors give everything up before a rebalance, cooperative ones keep what
// they still own and rejoin once more after revoking what moved.
//
// The one GroupMember of Rill: it talks to the group's coordinator through a
// GroupPort, which the embedded broker (brokerGroupPort) and the Kafka protocol
// (remote/protocol-group-port.ts: `rill consume --group`, the Rill protocol
// LogClient's subscribe) both implement.
import { isLeft, right } from 'fp-ts/Either';
import { Broker, BrokerError, ErrorCode, type JoinGroupParams, type JoinGroupResponse } from '../broker';
import { Assignor, MemberSubscription, tpKey } from './assignor';
import { TopicPartition, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../broker';

export interface GroupMemberOptions {
  groupId: string;
  clientId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: readonly Assignor[];
}

/** The coordinator's group requests (Kafka's JoinGroup, SyncGroup, Heartbeat, LeaveGroup), and the partition counts the leader assigns from. */
export interface GroupPort {
  joinGroup(
    request: JoinGroupParams,
  ): Promise<
    Pick<JoinGroupResponse, 'errorCode' | 'generationId' | 'protocolName' | 'leader' | 'memberId'> & { members: { memberId: string; metadata: Buffer }[] }
  >;
  syncGroup(request: {
    groupId: string;
    generationId: number;
    memberId: string;
    protocolName: string | null;
    assignments: { memberId: string; assignment: Buffer }[];
  }): Promise<{ errorCode: number; assignment: Buffer }>;
  heartbeat(request: { groupId: string; generationId: number; memberId: string }): Promise<{ errorCode: number }>;
  leaveGroup(request: { groupId: string; memberId: string }): Promise<void>;
  /** Partition count per topic (topics that do not exist are left out). */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
}

/** The embedded broker as a GroupPort. */
export function brokerGroupPort(broker: Broker): GroupPort {
  return {
    joinGroup: (request) => broker.joinGroup(request),
    syncGroup: ({ groupId, generationId, memberId, assignments }) => broker.syncGroup({ groupId, generationId, memberId, assignments }),
    heartbeat: (request) => broker.heartbeat(request),
    leaveGroup: async ({ groupId, memberId }) => {
      await broker.leaveGroup({ groupId, memberIds: [memberId] });
    },
    async partitionCounts(topics) {
      const counts = new Map<string, number>();
      for (const topic of topics) {
        const d = broker.describeTopic(topic);
        if (!isLeft(d)) counts.set(topic, d.right.partitions);
      }
      return counts;
    },
  };
}

export interface GroupMemberHandlers {
  /** The topics to subscribe to now (patterns are resolved by the consumer). */
  topics(): string[];
  /** Called before partitions are taken away (commit their offsets here). */
  onRevoked(partitions: TopicPartition[]): Promise<void>;
  /** Called with the member's whole assignment after each completed rebalance. */
  onAssigned(partitions: TopicPartition[], added: TopicPartition[]): Promise<void>;
  onError(error: Error): void;
}

const PROTOCOL_TYPE = 'consumer';
const RETRY_BACKOFF_MS = 100;

/** Join refusals that no retry can change, with what to tell the user. */
const FATAL_JOIN_ERRORS = new Map<number, (o: { sessionTimeoutMs: number }) => string>([
  [
    ErrorCode.INVALID_SESSION_TIMEOUT,
    (o) =>
      `session timeout ${o.sessionTimeoutMs} ms is outside the broker's allowed range (group.min.session.timeout.ms 6000 to group.max.session.timeout.ms by default); use a session timeout in range`,
  ],
  [
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    () => "the group's members use a different protocol type or no common assignor (is another application using this group id?)",
  ],
  [ErrorCode.INVALID_GROUP_ID, () => 'the group id is not valid'],
]);

export class GroupMember {
  memberId = '';
  generationId = -1;
  private owned: TopicPartition[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private rejoinNeeded = true;
  private joining: Promise<void> | undefined;
  private stopped = false;
  private lastTopics = '';

  constructor(
    private readonly port: GroupPort,
    private readonly options: GroupMemberOptions,
    private readonly handlers: GroupMemberHandlers,
  ) {}

  get assignment(): readonly TopicPartition[] {
    return this.owned;
  }

  /** Joins the group and keeps the membership alive until stop(). */
  start(): Promise<void> {
    this.heartbeatTimer = setInterval(() => void this.heartbeat().catch((e: Error) => this.handlers.onError(e)), this.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    return this.ensureJoined();
  }

  /** Asks for a rebalance (e.g. the subscription changed). */
  requestRejoin(): Promise<void> {
    this.rejoinNeeded = true;
    return this.ensureJoined();
  }

  /** Resolves when the member is in a stable generation (joining first if needed). */
  ensureJoined(): Promise<void> {
    if (!this.rejoinNeeded || this.stopped) return this.joining ?? Promise.resolve();
    if (!this.joining) {
      this.joining = this.joinLoop().finally(() => (this.joining = undefined));
    }
    return this.joining;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.joining?.catch(() => {});
    if (this.owned.length > 0) await this.handlers.onRevoked(this.owned).catch((e) => this.handlers.onError(e));
    this.owned = [];
    // A static member does not leave: if it is back within the session timeout it
    // takes its partitions back without a rebalance (KIP-345).
    if (this.memberId && this.options.groupInstanceId === null)
      await this.port.leaveGroup({ groupId: this.options.groupId, memberId: this.memberId }).catch((e: Error) => this.handlers.onError(e));
  }

  private get cooperative(): boolean {
    return this.options.assignors[0].rebalanceProtocol === 'cooperative';
  }

  private async joinLoop(): Promise<void> {
    while (this.rejoinNeeded && !this.stopped) {
      this.rejoinNeeded = false;
      if (!this.cooperative && this.owned.length > 0) {
        await this.handlers.onRevoked(this.owned);
        this.owned = [];
      }
      const topics = this.handlers.topics().sort();
      this.lastTopics = topics.join(',');
      const metadata = encodeSubscription({ topics, userData: null, ownedPartitions: this.owned });
      const join = await this.port.joinGroup({
        groupId: this.options.groupId,
        memberId: this.memberId,
        groupInstanceId: this.options.groupInstanceId,
        clientId: this.options.clientId,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        protocolType: PROTOCOL_TYPE,
        protocols: this.options.assignors.map((a) => ({ name: a.name, metadata })),
      });
      if (join.errorCode !== ErrorCode.NONE) {
        await this.recover(join.errorCode, 'JoinGroup');
        continue;
      }
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      const assignments = join.leader === join.memberId ? await this.assign(join.protocolName!, join.members) : [];
      const sync = await this.port.syncGroup({
        groupId: this.options.groupId,
        generationId: join.generationId,
        memberId: this.memberId,
        protocolName: join.protocolName,
        assignments,
      });
      if (sync.errorCode !== ErrorCode.NONE) {
        await this.recover(sync.errorCode, 'SyncGroup');
        continue;
      }
      // Empty bytes: the leader gave this member nothing.
      const decoded = sync.assignment.length === 0 ? right({ partitions: [], userData: null }) : decodeAssignment(sync.assignment);
      if (isLeft(decoded)) {
        this.handlers.onError(new Error(`Group "${this.options.groupId}": ${decoded.left}`));
        this.rejoinNeeded = true;
        continue;
      }
      const assigned = decoded.right.partitions;
      const keep = new Set(assigned.map(tpKey));
      const had = new Set(this.owned.map(tpKey));
      const revoked = this.owned.filter((tp) => !keep.has(tpKey(tp)));
      const added = assigned.filter((tp) => !had.has(tpKey(tp)));
      if (revoked.length > 0) await this.handlers.onRevoked(revoked);
      this.owned = assigned;
      await this.handlers.onAssigned(assigned, added);
      // Cooperative: what we gave up can now go to its new owner in a second round.
      if (this.cooperative && revoked.length > 0) this.rejoinNeeded = true;
    }
  }

  /** The leader's job: decode subscriptions, run the chosen assignor, encode assignments. */
  private async assign(protocolName: string, members: { memberId: string; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.options.assignors.find((a) => a.name === protocolName);
    if (!assignor) throw new Error(`Group "${this.options.groupId}" chose assignor "${protocolName}", which this consumer does not have.`);
    const subscriptions: MemberSubscription[] = [];
    for (const m of members) {
      const s = decodeSubscription(m.metadata);
      subscriptions.push(
        isLeft(s)
          ? { memberId: m.memberId, topics: [], ownedPartitions: [] }
          : { memberId: m.memberId, topics: s.right.topics, ownedPartitions: s.right.ownedPartitions },
      );
    }
    const counts = await this.port.partitionCounts([...new Set(subscriptions.flatMap((s) => s.topics))]);
    const result = assignor.assign(subscriptions, counts);
    return [...result].map(([memberId, partitions]) => ({ memberId, assignment: encodeAssignment({ partitions, userData: null }) }));
  }

  private async recover(errorCode: number, what: string): Promise<void> {
    this.rejoinNeeded = true;
    if (errorCode === ErrorCode.UNKNOWN_MEMBER_ID || errorCode === ErrorCode.ILLEGAL_GENERATION || errorCode === ErrorCode.FENCED_INSTANCE_ID) {
      if (errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      // Our partitions may already belong to someone else.
      if (this.owned.length > 0) await this.handlers.onRevoked(this.owned);
      this.owned = [];
    }
    if (errorCode === ErrorCode.REBALANCE_IN_PROGRESS || errorCode === ErrorCode.UNKNOWN_MEMBER_ID || errorCode === ErrorCode.ILLEGAL_GENERATION) return;
    if (errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) {
      this.stopped = true;
      return;
    }
    const fatal = FATAL_JOIN_ERRORS.get(errorCode);
    if (fatal !== undefined) {
      // Retrying cannot help (Kafka's consumer throws these to the caller too): joining fails with the reason.
      this.stopped = true;
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      throw new BrokerError(errorCode, `Group "${this.options.groupId}": ${what} refused: ${fatal(this.options)}`);
    }
    this.handlers.onError(new Error(`Group "${this.options.groupId}": ${what} failed with error ${errorCode}; retrying.`));
    await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS));
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || this.joining || !this.memberId) return;
    // A changed subscription (new topic matching a pattern) needs a rebalance.
    if (this.handlers.topics().sort().join(',') !== this.lastTopics) {
      void this.requestRejoin().catch((e) => this.handlers.onError(e));
      return;
    }
    const hb = await this.port.heartbeat({ groupId: this.options.groupId, generationId: this.generationId, memberId: this.memberId });
    if (hb.errorCode === ErrorCode.NONE || this.stopped) return;
    if (hb.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      this.memberId = '';
      if (this.owned.length > 0) await this.handlers.onRevoked(this.owned).catch((e) => this.handlers.onError(e));
      this.owned = [];
    }
    if (hb.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) return;
    void this.requestRejoin().catch((e) => this.handlers.onError(e));
  }
}
