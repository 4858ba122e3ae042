// The classic consumer-group coordinator (Kafka's GroupCoordinator / ClassicGroup)
// as a pure state machine: step(input, now) -> { responses, effects }. No timers,
// sockets or disk: the broker shell feeds it requests and ticks with the time, and
// delivers the responses (some are parked: a JoinGroup is answered when the
// rebalance completes, a follower's SyncGroup when the leader's arrives).
//
// States of a group: Empty -> PreparingRebalance -> CompletingRebalance -> Stable,
// and Dead once deleted. Member ids, generation ids, protocol type/name and the
// opaque metadata/assignment bytes are Kafka's, so the wire protocol maps 1:1.
import { ErrorCode } from './errors';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  kind: 'join';
  requestId: number;
  groupId: string;
  /** '' for a new member: the coordinator assigns one. */
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

export interface SyncGroupRequest {
  kind: 'sync';
  requestId: number;
  groupId: string;
  generationId: number;
  memberId: string;
  /** Only the leader sends assignments; members left out get empty bytes. */
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatRequest {
  kind: 'heartbeat';
  requestId: number;
  groupId: string;
  generationId: number;
  memberId: string;
}

export interface LeaveGroupRequest {
  kind: 'leave';
  requestId: number;
  groupId: string;
  memberIds: string[];
}

export interface Tick {
  kind: 'tick';
}

export type GroupInput = JoinGroupRequest | SyncGroupRequest | HeartbeatRequest | LeaveGroupRequest | Tick;

export interface JoinGroupResponse {
  kind: 'join';
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only: every member's metadata for the chosen protocol. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncGroupResponse {
  kind: 'sync';
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatResponse {
  kind: 'heartbeat';
  errorCode: number;
}

export interface LeaveGroupResponse {
  kind: 'leave';
  errorCode: number;
  members: { memberId: string; errorCode: number }[];
}

export type GroupResponse = JoinGroupResponse | SyncGroupResponse | HeartbeatResponse | LeaveGroupResponse;

export type GroupEffect =
  | { kind: 'rebalance-started'; groupId: string; reason: string }
  | { kind: 'generation-started'; groupId: string; generationId: number; protocolName: string | null; leader: string; memberIds: string[] }
  | { kind: 'assignment-stored'; groupId: string; generationId: number }
  | { kind: 'member-removed'; groupId: string; memberId: string; reason: 'left' | 'session-timeout' | 'rebalance-timeout' };

export interface GroupOutput {
  responses: { requestId: number; response: GroupResponse }[];
  effects: GroupEffect[];
}

export interface CoordinatorConfig {
  /** group.min.session.timeout.ms (Kafka: 6000). */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms (Kafka: 1800000). */
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members (Kafka: 3000). */
  initialRebalanceDelayMs: number;
}

export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
};

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  assignment: Buffer;
  /** Session deadline: a heartbeat, join or sync moves it. */
  sessionExpiresAt: number;
  pendingJoin: number | undefined;
  pendingSync: number | undefined;
}

interface Group {
  groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
  /** group.instance.id -> member id (static membership). */
  staticMembers: Map<string, string>;
  rebalanceDeadline: number;
  /** A new group waits this long for more members before the first generation. */
  joinDelayUntil: number;
}

export interface GroupSummary {
  groupId: string;
  state: GroupState;
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; metadata: Buffer; assignment: Buffer }[];
}

const EMPTY = Buffer.alloc(0);

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly config: CoordinatorConfig;
  private nextMemberNumber = 0;
  private out: GroupOutput = { responses: [], effects: [] };

  constructor(
    config: Partial<CoordinatorConfig> = {},
    private readonly memberIdPrefix = '',
  ) {
    this.config = { ...DEFAULT_COORDINATOR_CONFIG, ...config };
  }

  /** Feeds one input at time `now`; returns the responses that are ready and the effects. */
  step(input: GroupInput, now: number): GroupOutput {
    this.out = { responses: [], effects: [] };
    switch (input.kind) {
      case 'join':
        this.join(input, now);
        break;
      case 'sync':
        this.sync(input, now);
        break;
      case 'heartbeat':
        this.heartbeat(input, now);
        break;
      case 'leave':
        this.leave(input, now);
        break;
      case 'tick':
        for (const group of this.groups.values()) this.tickGroup(group, now);
        break;
    }
    return this.out;
  }

  // ---------------------------------------------------------------- queries (no state change)

  /** The earliest time at which a tick would change something, or undefined. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    const consider = (t: number) => (next = next === undefined ? t : Math.min(next, t));
    for (const g of this.groups.values()) {
      if (g.state === 'PreparingRebalance')
        consider(this.config.initialRebalanceDelayMs > 0 ? Math.min(g.joinDelayUntil, g.rebalanceDeadline) : g.rebalanceDeadline);
      for (const m of g.members.values()) if (!(g.state === 'PreparingRebalance' && m.pendingJoin !== undefined)) consider(m.sessionExpiresAt);
    }
    return next;
  }

  describe(groupId: string): GroupSummary | undefined {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      generationId: g.generationId,
      leaderId: g.leaderId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        metadata: (g.protocolName && m.protocols.find((p) => p.name === g.protocolName)?.metadata) || EMPTY,
        assignment: m.assignment,
      })),
    };
  }

  groupIds(): string[] {
    return [...this.groups.keys()].filter((id) => this.groups.get(id)!.state !== 'Dead');
  }

  /**
   * OffsetCommit's membership check: 0 when the commit may go ahead. Generation -1
   * with no member id is a "simple" commit, allowed only for an empty group.
   */
  validateOffsetCommit(groupId: string, memberId: string, generationId: number): number {
    const g = this.groups.get(groupId);
    if (generationId < 0 && memberId === '') {
      return !g || g.state === 'Empty' || g.state === 'Dead' ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (!g || !g.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.generationId !== generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (g.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** DeleteGroups: only an empty group can go. */
  deleteGroup(groupId: string): number {
    const g = this.groups.get(groupId);
    if (!g || g.state === 'Dead') return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP;
    g.state = 'Dead';
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- join

  private join(req: JoinGroupRequest, now: number): void {
    const fail = (errorCode: number, memberId = req.memberId) => this.failJoin(req.requestId, errorCode, memberId);
    if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    if (!req.protocolType || req.protocols.length === 0) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    let group = this.groups.get(req.groupId);
    if (!group) {
      group = {
        groupId: req.groupId,
        state: 'Empty',
        generationId: 0,
        protocolType: null,
        protocolName: null,
        leaderId: null,
        members: new Map(),
        staticMembers: new Map(),
        rebalanceDeadline: 0,
        joinDelayUntil: 0,
      };
      this.groups.set(req.groupId, group);
    }
    if (!this.protocolsCompatible(group, req)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    let member: Member | undefined;
    if (req.memberId === '') {
      const staticId = req.groupInstanceId === null ? undefined : group.staticMembers.get(req.groupInstanceId);
      if (staticId !== undefined) {
        // A static member restarting: it takes over its old identity and keeps its
        // assignment; without a protocol change there is no rebalance.
        member = this.replaceStaticMember(group, staticId, req, now);
        if (group.state === 'Stable' && sameProtocols(member.protocols, req.protocols)) {
          this.respondJoin(group, member, req.requestId);
          return;
        }
      } else {
        member = this.addMember(group, req, now);
      }
    } else {
      member = group.members.get(req.memberId);
      if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      if (req.groupInstanceId !== null && group.staticMembers.get(req.groupInstanceId) !== member.memberId) return fail(ErrorCode.FENCED_INSTANCE_ID);
    }

    const unchanged = sameProtocols(member.protocols, req.protocols);
    member.protocols = req.protocols;
    member.protocolType = req.protocolType;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionExpiresAt = now + req.sessionTimeoutMs;
    if (member.pendingJoin !== undefined && member.pendingJoin !== req.requestId) {
      // A duplicate JoinGroup: the older request is superseded.
      this.failJoin(member.pendingJoin, ErrorCode.REBALANCE_IN_PROGRESS, member.memberId);
    }
    member.pendingJoin = req.requestId;

    if (group.state === 'CompletingRebalance' && unchanged && req.memberId !== '') {
      // The member missed our join response: answer it again for this generation.
      member.pendingJoin = undefined;
      this.respondJoin(group, member, req.requestId);
      return;
    }
    if (group.state === 'Stable' && unchanged && req.memberId !== '' && group.leaderId !== member.memberId) {
      member.pendingJoin = undefined;
      this.respondJoin(group, member, req.requestId);
      return;
    }
    if (group.state !== 'PreparingRebalance')
      this.prepareRebalance(group, now, req.memberId === '' ? `member ${member.memberId} joined` : `member ${member.memberId} rejoined`);
    this.maybeCompleteJoin(group, now);
  }

  private protocolsCompatible(group: Group, req: JoinGroupRequest): boolean {
    if (group.members.size === 0) return true;
    if (group.protocolType !== null && group.protocolType !== req.protocolType) return false;
    for (const m of group.members.values()) if (m.protocolType !== req.protocolType) return false;
    // Every member (this one included) must support at least one common protocol.
    const others = [...group.members.values()].filter((m) => m.memberId !== req.memberId);
    return req.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  private addMember(group: Group, req: JoinGroupRequest, now: number): Member {
    const memberId = `${this.memberIdPrefix}${req.clientId || 'member'}-${++this.nextMemberNumber}`;
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY,
      sessionExpiresAt: now + req.sessionTimeoutMs,
      pendingJoin: undefined,
      pendingSync: undefined,
    };
    group.members.set(memberId, member);
    if (req.groupInstanceId !== null) group.staticMembers.set(req.groupInstanceId, memberId);
    if (group.leaderId === null) group.leaderId = memberId;
    return member;
  }

  private replaceStaticMember(group: Group, oldId: string, req: JoinGroupRequest, now: number): Member {
    const old = group.members.get(oldId)!;
    const memberId = `${this.memberIdPrefix}${req.clientId || 'member'}-${++this.nextMemberNumber}`;
    // The old incarnation is fenced: answer whatever it was waiting for.
    if (old.pendingJoin !== undefined) this.failJoin(old.pendingJoin, ErrorCode.FENCED_INSTANCE_ID, oldId);
    if (old.pendingSync !== undefined)
      this.respond(old.pendingSync, { kind: 'sync', errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: EMPTY });
    const member: Member = {
      ...old,
      memberId,
      clientId: req.clientId,
      pendingJoin: undefined,
      pendingSync: undefined,
      sessionExpiresAt: now + req.sessionTimeoutMs,
    };
    group.members.delete(oldId);
    group.members.set(memberId, member);
    group.staticMembers.set(req.groupInstanceId!, memberId);
    if (group.leaderId === oldId) group.leaderId = memberId;
    return member;
  }

  private prepareRebalance(group: Group, now: number, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      // Syncs waiting for the old generation's assignment will not get one.
      for (const m of group.members.values()) {
        if (m.pendingSync !== undefined) {
          this.respond(m.pendingSync, { kind: 'sync', errorCode: ErrorCode.REBALANCE_IN_PROGRESS, protocolType: null, protocolName: null, assignment: EMPTY });
          m.pendingSync = undefined;
        }
      }
    }
    const initialDelay = group.state === 'Empty' ? this.config.initialRebalanceDelayMs : 0;
    let timeout = 0;
    for (const m of group.members.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs);
    group.state = 'PreparingRebalance';
    group.rebalanceDeadline = now + Math.max(timeout, initialDelay);
    group.joinDelayUntil = now + initialDelay;
    this.out.effects.push({ kind: 'rebalance-started', groupId: group.groupId, reason });
  }

  /** Completes the join phase once every member has rejoined (or the rebalance deadline passed). */
  private maybeCompleteJoin(group: Group, now: number): void {
    if (group.state !== 'PreparingRebalance') return;
    const delayed = now < group.joinDelayUntil;
    const allJoined = [...group.members.values()].every((m) => m.pendingJoin !== undefined);
    if ((allJoined && !delayed) || now >= group.rebalanceDeadline) this.completeJoin(group, now);
  }

  private completeJoin(group: Group, now: number): void {
    for (const m of [...group.members.values()]) {
      if (m.pendingJoin === undefined) this.removeMember(group, m, 'rebalance-timeout');
    }
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.protocolType = null;
      group.leaderId = null;
      this.out.effects.push({
        kind: 'generation-started',
        groupId: group.groupId,
        generationId: group.generationId,
        protocolName: null,
        leader: '',
        memberIds: [],
      });
      return;
    }
    const members = [...group.members.values()];
    group.protocolType = members[0].protocolType;
    group.protocolName = chooseProtocol(members);
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = members[0].memberId;
    group.state = 'CompletingRebalance';
    for (const m of members) {
      m.assignment = EMPTY;
      m.sessionExpiresAt = now + m.sessionTimeoutMs;
      const requestId = m.pendingJoin!;
      m.pendingJoin = undefined;
      this.respondJoin(group, m, requestId);
    }
    this.out.effects.push({
      kind: 'generation-started',
      groupId: group.groupId,
      generationId: group.generationId,
      protocolName: group.protocolName,
      leader: group.leaderId,
      memberIds: members.map((m) => m.memberId),
    });
  }

  private respondJoin(group: Group, member: Member, requestId: number): void {
    const isLeader = group.leaderId === member.memberId;
    this.respond(requestId, {
      kind: 'join',
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
          }))
        : [],
    });
  }

  // ---------------------------------------------------------------- sync

  private sync(req: SyncGroupRequest, now: number): void {
    const fail = (errorCode: number) => this.respond(req.requestId, { kind: 'sync', errorCode, protocolType: null, protocolName: null, assignment: EMPTY });
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (group.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    member.sessionExpiresAt = now + member.sessionTimeoutMs;
    if (group.state === 'Stable') {
      this.respond(req.requestId, {
        kind: 'sync',
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      });
      return;
    }
    // CompletingRebalance: park until the leader's assignments arrive.
    member.pendingSync = req.requestId;
    if (group.leaderId !== member.memberId) return;
    const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
    group.state = 'Stable';
    this.out.effects.push({ kind: 'assignment-stored', groupId: group.groupId, generationId: group.generationId });
    for (const m of group.members.values()) {
      if (m.pendingSync === undefined) continue;
      this.respond(m.pendingSync, {
        kind: 'sync',
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: m.assignment,
      });
      m.pendingSync = undefined;
    }
  }

  // ---------------------------------------------------------------- heartbeat and leave

  private heartbeat(req: HeartbeatRequest, now: number): void {
    const reply = (errorCode: number) => this.respond(req.requestId, { kind: 'heartbeat', errorCode });
    const group = this.groups.get(req.groupId);
    if (!group || group.state === 'Dead') return reply(ErrorCode.UNKNOWN_MEMBER_ID);
    const member = group.members.get(req.memberId);
    if (!member) return reply(ErrorCode.UNKNOWN_MEMBER_ID);
    member.sessionExpiresAt = now + member.sessionTimeoutMs;
    if (req.generationId !== group.generationId) return reply(ErrorCode.ILLEGAL_GENERATION);
    if (group.state === 'PreparingRebalance') return reply(ErrorCode.REBALANCE_IN_PROGRESS);
    reply(ErrorCode.NONE);
  }

  private leave(req: LeaveGroupRequest, now: number): void {
    const group = this.groups.get(req.groupId);
    if (!group) {
      this.respond(req.requestId, {
        kind: 'leave',
        errorCode: ErrorCode.NONE,
        members: req.memberIds.map((memberId) => ({ memberId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })),
      });
      return;
    }
    const results: { memberId: string; errorCode: number }[] = [];
    let removed = 0;
    for (const memberId of req.memberIds) {
      const member = group.members.get(memberId);
      if (!member) {
        results.push({ memberId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
        continue;
      }
      this.removeMember(group, member, 'left');
      removed++;
      results.push({ memberId, errorCode: ErrorCode.NONE });
    }
    this.respond(req.requestId, { kind: 'leave', errorCode: ErrorCode.NONE, members: results });
    if (removed > 0) this.membershipChanged(group, now, 'a member left');
  }

  private tickGroup(group: Group, now: number): void {
    let expired = 0;
    for (const m of [...group.members.values()]) {
      // A member parked in JoinGroup is alive: it is waiting on us.
      if (group.state === 'PreparingRebalance' && m.pendingJoin !== undefined) continue;
      if (now >= m.sessionExpiresAt) {
        this.removeMember(group, m, 'session-timeout');
        expired++;
      }
    }
    if (expired > 0) this.membershipChanged(group, now, 'session timeout');
    else this.maybeCompleteJoin(group, now);
  }

  private membershipChanged(group: Group, now: number, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, now, reason);
    this.maybeCompleteJoin(group, now);
  }

  private removeMember(group: Group, member: Member, reason: 'left' | 'session-timeout' | 'rebalance-timeout'): void {
    if (member.pendingJoin !== undefined) {
      this.failJoin(member.pendingJoin, ErrorCode.UNKNOWN_MEMBER_ID, member.memberId);
    }
    if (member.pendingSync !== undefined) {
      this.respond(member.pendingSync, { kind: 'sync', errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY });
    }
    group.members.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId)
      group.staticMembers.delete(member.groupInstanceId);
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
    this.out.effects.push({ kind: 'member-removed', groupId: group.groupId, memberId: member.memberId, reason });
  }

  /** A JoinGroup answered with an error: no generation, no members. */
  private failJoin(requestId: number, errorCode: number, memberId: string): void {
    this.respond(requestId, { kind: 'join', errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] });
  }

  private respond(requestId: number, response: GroupResponse): void {
    this.out.responses.push({ requestId, response });
  }
}

function sameProtocols(a: GroupProtocol[], b: GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}

/** Kafka's vote: among protocols every member supports, each member votes for its first; most votes wins. */
function chooseProtocol(members: Member[]): string {
  const candidates = members[0].protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const m of members) {
    const vote = m.protocols.find((p) => votes.has(p.name))!.name;
    votes.set(vote, votes.get(vote)! + 1);
  }
  let best = candidates[0];
  for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
  return best;
}
