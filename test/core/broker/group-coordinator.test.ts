import { ErrorCode, GroupCoordinator, GroupResponse, JoinGroupResponse, SyncGroupResponse } from '../../../core/broker';

const SESSION = 10_000;
const meta = (s: string) => Buffer.from(s);

/** Drives a coordinator step by step and collects responses by request id. */
class Harness {
  readonly c = new GroupCoordinator({ minSessionTimeoutMs: 1000 });
  now = 0;
  private nextId = 0;
  readonly responses = new Map<number, GroupResponse>();
  effects: string[] = [];

  private run(input: Parameters<GroupCoordinator['step']>[0]): void {
    const out = this.c.step(input, this.now);
    for (const r of out.responses) this.responses.set(r.requestId, r.response);
    this.effects.push(...out.effects.map((e) => e.kind));
  }
  join(memberId = '', protocols = [{ name: 'range', metadata: meta('m') }], extra: { groupInstanceId?: string } = {}): number {
    const requestId = ++this.nextId;
    this.run({
      kind: 'join',
      requestId,
      groupId: 'g',
      memberId,
      groupInstanceId: extra.groupInstanceId ?? null,
      clientId: 'c',
      sessionTimeoutMs: SESSION,
      rebalanceTimeoutMs: SESSION,
      protocolType: 'consumer',
      protocols,
    });
    return requestId;
  }
  sync(memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = []): number {
    const requestId = ++this.nextId;
    this.run({ kind: 'sync', requestId, groupId: 'g', generationId, memberId, assignments });
    return requestId;
  }
  heartbeat(memberId: string, generationId: number): number {
    const requestId = ++this.nextId;
    this.run({ kind: 'heartbeat', requestId, groupId: 'g', generationId, memberId });
    return requestId;
  }
  leave(memberId: string): number {
    const requestId = ++this.nextId;
    this.run({ kind: 'leave', requestId, groupId: 'g', memberIds: [memberId] });
    return requestId;
  }
  tick(ms: number): void {
    this.now += ms;
    this.run({ kind: 'tick' });
  }
  joinResponse(id: number): JoinGroupResponse {
    return this.responses.get(id) as JoinGroupResponse;
  }
  syncResponse(id: number): SyncGroupResponse {
    return this.responses.get(id) as SyncGroupResponse;
  }
}

describe('GroupCoordinator', () => {
  it('forms a group: join, leader assigns, followers get their bytes', () => {
    const h = new Harness();
    const a = h.joinResponse(h.join());
    expect(a.errorCode).toBe(0);
    expect(a.generationId).toBe(1);
    expect(a.leader).toBe(a.memberId);
    h.sync(a.memberId, 1, [{ memberId: a.memberId, assignment: meta('A1') }]);
    expect(h.c.describe('g')!.state).toBe('Stable');

    // A second member joins: the join is parked until the first rejoins.
    const bJoin = h.join();
    expect(h.responses.has(bJoin)).toBe(false);
    expect(h.responses.get(h.heartbeat(a.memberId, 1))).toEqual({ kind: 'heartbeat', errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    const a2 = h.joinResponse(h.join(a.memberId));
    const b = h.joinResponse(bJoin);
    expect([a2.generationId, b.generationId]).toEqual([2, 2]);
    expect(a2.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(b.members).toEqual([]);

    const bSync = h.sync(b.memberId, 2);
    expect(h.responses.has(bSync)).toBe(false); // waits for the leader
    const aSync = h.sync(a.memberId, 2, [
      { memberId: a.memberId, assignment: meta('A') },
      { memberId: b.memberId, assignment: meta('B') },
    ]);
    expect(h.syncResponse(aSync).assignment.toString()).toBe('A');
    expect(h.syncResponse(bSync).assignment.toString()).toBe('B');
    expect(h.responses.get(h.heartbeat(b.memberId, 2))).toEqual({ kind: 'heartbeat', errorCode: 0 });
  });

  it('rebalances when a member leaves and when a session times out', () => {
    const h = new Harness();
    const a = h.joinResponse(h.join());
    const bJoin = h.join();
    h.joinResponse(h.join(a.memberId));
    const b = h.joinResponse(bJoin);
    h.sync(a.memberId, b.generationId, []);
    h.sync(b.memberId, b.generationId);

    h.leave(b.memberId);
    expect(h.c.describe('g')!.state).toBe('PreparingRebalance');
    const a3 = h.joinResponse(h.join(a.memberId));
    expect(a3.members.map((m) => m.memberId)).toEqual([a.memberId]);
    h.sync(a.memberId, a3.generationId, []);

    // c joins; a stops heartbeating: a is dropped at its session deadline... but a parked join keeps c alive.
    const cJoin = h.join();
    h.tick(SESSION + 1);
    expect(h.effects).toContain('member-removed');
    const c = h.joinResponse(cJoin);
    expect(c.errorCode).toBe(0);
    expect(c.leader).toBe(c.memberId);
    expect(h.c.describe('g')!.members.map((m) => m.memberId)).toEqual([c.memberId]);
    expect(h.responses.get(h.heartbeat(a.memberId, c.generationId))).toEqual({ kind: 'heartbeat', errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });

  it('drops members that do not rejoin before the rebalance timeout', () => {
    const h = new Harness();
    const a = h.joinResponse(h.join());
    h.sync(a.memberId, 1, []);
    const bJoin = h.join();
    h.tick(SESSION / 2);
    h.heartbeat(a.memberId, 1); // a keeps its session but never rejoins
    h.tick(SESSION / 2 + 1);
    const b = h.joinResponse(bJoin);
    expect(b.errorCode).toBe(0);
    expect(b.members.map((m) => m.memberId)).toEqual([b.memberId]);
  });

  it('refuses bad requests with Kafka error codes', () => {
    const h = new Harness();
    const a = h.joinResponse(h.join());
    expect(h.joinResponse(h.join('nobody')).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.joinResponse(h.join('', [{ name: 'other', metadata: meta('') }])).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(h.syncResponse(h.sync(a.memberId, 99)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.c.validateOffsetCommit('g', a.memberId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    h.sync(a.memberId, 1, []);
    expect(h.c.validateOffsetCommit('g', a.memberId, 1)).toBe(0);
    expect(h.c.validateOffsetCommit('g', '', -1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.c.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    h.leave(a.memberId);
    expect(h.c.describe('g')!.state).toBe('Empty');
    expect(h.c.deleteGroup('g')).toBe(0);
  });

  it('chooses the protocol all members support, by vote', () => {
    const h = new Harness();
    const a = h.joinResponse(
      h.join('', [
        { name: 'range', metadata: meta('') },
        { name: 'roundrobin', metadata: meta('') },
      ]),
    );
    h.sync(a.memberId, 1, []);
    const bJoin = h.join('', [{ name: 'roundrobin', metadata: meta('') }]);
    const a2 = h.joinResponse(
      h.join(a.memberId, [
        { name: 'range', metadata: meta('') },
        { name: 'roundrobin', metadata: meta('') },
      ]),
    );
    expect(a2.protocolName).toBe('roundrobin');
    expect(h.joinResponse(bJoin).protocolName).toBe('roundrobin');
  });

  it('lets a static member restart without a rebalance', () => {
    const h = new Harness();
    const a = h.joinResponse(h.join('', undefined, { groupInstanceId: 'i-1' }));
    h.sync(a.memberId, 1, [{ memberId: a.memberId, assignment: meta('A') }]);
    const again = h.joinResponse(h.join('', undefined, { groupInstanceId: 'i-1' }));
    expect(again.generationId).toBe(1);
    expect(again.memberId).not.toBe(a.memberId);
    expect(h.syncResponse(h.sync(again.memberId, 1)).assignment.toString()).toBe('A');
    expect(h.responses.get(h.heartbeat(a.memberId, 1))).toEqual({ kind: 'heartbeat', errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });
});
