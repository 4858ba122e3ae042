// The imperative shell around the pure GroupCoordinator: it numbers the group
// requests, parks them as promises until the coordinator answers (a JoinGroup
// when the rebalance completes, a follower's SyncGroup when the leader's
// arrives), ticks the coordinator on its own timer with an injected clock, and
// answers what is still parked with COORDINATOR_NOT_AVAILABLE once closed.
//
// Committed offsets are not stored here: the service reads them through
// GroupOffsets (a group with offsets but no members is Empty, not Dead) and has
// them tombstoned there when a group is deleted. One node's Broker gives it its
// OffsetStore on the local `__consumer_offsets`; a cluster broker gives it the
// replicated offsets partitions it leads.
import { Either, isRight, left, right } from 'fp-ts/Either';
import { decodeSubscription } from './consumer-protocol';
import { Clock, systemClock } from '../log';
import { BrokerError, ErrorCode } from './errors';
import {
  CoordinatorConfig,
  GroupCoordinator,
  GroupEffect,
  GroupInput,
  GroupOutput,
  GroupProtocol,
  GroupResponse,
  GroupSummary,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  SyncGroupResponse,
} from './group-coordinator';
import type { CommittedOffset } from './offset-store';

/**
 * Where the group service finds committed offsets. `Deletion` is what deleting
 * a group's offsets yields: nothing where the write is synchronous (one node's
 * own log), a promise of the Kafka error code where it is replicated.
 */
export interface GroupOffsets<Deletion = void> {
  /** Groups with committed offsets here. */
  groupIds(): string[];
  /** Committed offsets of the group, all or for the given partitions (-1 when none). */
  fetch(groupId: string, partitions?: readonly { topic: string; partition: number }[]): CommittedOffset[];
  /** Tombstones every committed offset of the group. */
  deleteGroup(groupId: string): Deletion;
  /** Tombstones the group's committed offsets of these partitions (those it has). */
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Deletion;
}

/** OffsetDelete's answer for one partition. */
export interface OffsetDeletion {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
}

export interface GroupServiceOptions {
  clock?: Clock;
  /** Coordinator settings (session timeout bounds, initial rebalance delay). */
  config?: Partial<CoordinatorConfig>;
  /** How often the coordinator is ticked (session and rebalance timeouts); 0 to tick by hand. Default 100 ms. */
  tickIntervalMs?: number;
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId?: string | null;
  clientId?: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs?: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
}

export interface LeaveGroupParams {
  groupId: string;
  memberIds: string[];
}

export interface ListedGroup {
  groupId: string;
  state: string;
  protocolType: string | null;
}

export const DEFAULT_GROUP_TICK_INTERVAL_MS = 100;

const EMPTY = Buffer.alloc(0);

type GroupRequest = Exclude<GroupInput, { kind: 'tick' }>;

export class GroupService<Deletion = void> {
  private readonly coordinator: GroupCoordinator;
  private readonly clock: Clock;
  private readonly pending = new Map<number, { kind: GroupResponse['kind']; resolve: (r: GroupResponse) => void }>();
  private nextRequestId = 0;
  private readonly listeners = new Set<(e: GroupEffect) => void>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly offsets: GroupOffsets<Deletion>,
    options: GroupServiceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.coordinator = new GroupCoordinator(options.config);
    const interval = options.tickIntervalMs ?? DEFAULT_GROUP_TICK_INTERVAL_MS;
    if (interval > 0) {
      this.timer = setInterval(() => this.tick(), interval);
      this.timer.unref(); // group upkeep alone never keeps a process alive
    }
  }

  joinGroup(params: JoinGroupParams): Promise<JoinGroupResponse> {
    return this.request<JoinGroupResponse>((requestId) => ({
      kind: 'join',
      requestId,
      groupId: params.groupId,
      memberId: params.memberId,
      groupInstanceId: params.groupInstanceId ?? null,
      clientId: params.clientId ?? 'rill',
      sessionTimeoutMs: params.sessionTimeoutMs,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs ?? params.sessionTimeoutMs,
      protocolType: params.protocolType,
      protocols: params.protocols,
    }));
  }

  syncGroup(params: SyncGroupParams): Promise<SyncGroupResponse> {
    return this.request<SyncGroupResponse>((requestId) => ({ kind: 'sync', requestId, ...params }));
  }

  heartbeat(params: HeartbeatParams): Promise<HeartbeatResponse> {
    return this.request<HeartbeatResponse>((requestId) => ({ kind: 'heartbeat', requestId, ...params }));
  }

  leaveGroup(params: LeaveGroupParams): Promise<LeaveGroupResponse> {
    return this.request<LeaveGroupResponse>((requestId) => ({ kind: 'leave', requestId, ...params }));
  }

  /** Advances session and rebalance timeouts to `now` (the service's timer calls this). */
  tick(now: number = this.clock.now()): void {
    if (this.closed) return;
    this.deliver(this.coordinator.step({ kind: 'tick' }, now));
  }

  /** Observes what the coordinator does (rebalances, removed members): for logs and tests. */
  onGroupEffect(listener: (e: GroupEffect) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  describeGroup(groupId: string): GroupSummary {
    return (
      this.coordinator.describe(groupId) ?? {
        groupId,
        state: this.hasOffsets(groupId) ? 'Empty' : 'Dead',
        protocolType: null,
        protocolName: null,
        generationId: -1,
        leaderId: null,
        members: [],
      }
    );
  }

  /** Groups with members or with committed offsets. */
  listGroups(): ListedGroup[] {
    const ids = new Set([...this.coordinator.groupIds(), ...this.offsets.groupIds()]);
    return [...ids].sort().map((groupId) => {
      const d = this.describeGroup(groupId);
      return { groupId, state: d.state, protocolType: d.protocolType };
    });
  }

  /** DeleteGroups: an empty group goes, and its committed offsets are tombstoned. */
  deleteGroup(groupId: string): Either<BrokerError, Deletion> {
    if (this.closed) return left(closedError());
    const code = this.coordinator.deleteGroup(groupId);
    if (code === ErrorCode.NON_EMPTY_GROUP) return left(new BrokerError(code, `Group "${groupId}" still has members; stop its consumers first.`));
    if (code === ErrorCode.GROUP_ID_NOT_FOUND && !this.hasOffsets(groupId)) return left(new BrokerError(code, `Group "${groupId}" does not exist.`));
    return right(this.offsets.deleteGroup(groupId));
  }

  /**
   * OffsetDelete (KIP-496): tombstones the group's committed offsets of these
   * partitions. As in Kafka, a consumer group with members keeps the offsets of
   * the topics its members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for those
   * partitions), and a group of another protocol with members keeps them all
   * (NON_EMPTY_GROUP).
   */
  deleteOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): Either<BrokerError, { results: OffsetDeletion[]; deletion: Deletion }> {
    if (this.closed) return left(closedError());
    if (!groupId) return left(new BrokerError(ErrorCode.INVALID_GROUP_ID, 'A group id is required to delete offsets.'));
    const group = this.describeGroup(groupId);
    if (group.state === 'Dead') return left(new BrokerError(ErrorCode.GROUP_ID_NOT_FOUND, `Group "${groupId}" does not exist.`));
    const subscribed = new Set<string>();
    if (group.members.length > 0) {
      if (group.protocolType !== 'consumer') return left(new BrokerError(ErrorCode.NON_EMPTY_GROUP, `Group "${groupId}" still has members; stop them first.`));
      for (const m of group.members) {
        const s = decodeSubscription(m.metadata);
        if (isRight(s)) for (const t of s.right.topics) subscribed.add(t);
      }
    }
    const results = partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      errorCode: subscribed.has(p.topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE,
    }));
    return right({
      results,
      deletion: this.offsets.deleteOffsets(
        groupId,
        results.filter((r) => r.errorCode === ErrorCode.NONE),
      ),
    });
  }

  /**
   * Whether the group's membership lets `memberId` at `generationId` commit now:
   * undefined if so, else the refusal. Members commit with their generation and
   * member id; a tool commits for an empty group with generation -1 and member id ''.
   */
  checkOffsetCommit(groupId: string, memberId: string, generationId: number): BrokerError | undefined {
    if (this.closed) return closedError();
    if (!groupId) return new BrokerError(ErrorCode.INVALID_GROUP_ID, 'A group id is required to commit offsets.');
    const check = this.coordinator.validateOffsetCommit(groupId, memberId, generationId);
    if (check === ErrorCode.NONE) return undefined;
    return new BrokerError(check, `Commit for group "${groupId}" refused (${refusalReason(check, memberId, generationId)}); rejoin and commit again.`);
  }

  /** OffsetFetch: committed offsets (offset -1 where nothing is committed); all of the group's when `partitions` is omitted. */
  fetchOffsets(groupId: string, partitions?: readonly { topic: string; partition: number }[]): CommittedOffset[] {
    return this.offsets.fetch(groupId, partitions);
  }

  /** Stops the timer and answers every parked request with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const [requestId, waiter] of this.pending) {
      this.pending.delete(requestId);
      waiter.resolve(coordinatorGone(waiter.kind));
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private hasOffsets(groupId: string): boolean {
    return this.offsets.groupIds().includes(groupId);
  }

  private request<R extends GroupResponse>(build: (requestId: number) => GroupRequest): Promise<R> {
    const requestId = ++this.nextRequestId;
    const request = build(requestId);
    if (this.closed) return Promise.resolve(coordinatorGone(request.kind) as R);
    const promise = new Promise<R>((resolve) => this.pending.set(requestId, { kind: request.kind, resolve: resolve as (r: GroupResponse) => void }));
    this.deliver(this.coordinator.step(request, this.clock.now()));
    return promise;
  }

  private deliver(output: GroupOutput): void {
    for (const { requestId, response } of output.responses) {
      const waiter = this.pending.get(requestId);
      this.pending.delete(requestId);
      waiter?.resolve(response);
    }
    for (const effect of output.effects) for (const l of this.listeners) l(effect);
  }
}

function closedError(): BrokerError {
  return new BrokerError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The group coordinator is closed.');
}

function refusalReason(code: number, memberId: string, generationId: number): string {
  if (code === ErrorCode.REBALANCE_IN_PROGRESS) return 'a rebalance is in progress';
  if (code === ErrorCode.ILLEGAL_GENERATION) return `generation ${generationId} is not current`;
  return `member "${memberId}" is not in the group`;
}

/** The answer to a group request once the service has closed. */
function coordinatorGone(kind: GroupResponse['kind']): GroupResponse {
  const errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  switch (kind) {
    case 'join':
      return { kind, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: '', members: [] };
    case 'sync':
      return { kind, errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
    case 'heartbeat':
      return { kind, errorCode };
    case 'leave':
      return { kind, errorCode, members: [] };
  }
}
