// The group service: core/broker's shell around the pure GroupCoordinator,
// driven here by a fake clock (and jest's fake timers where its own timer is
// the subject), over an in-memory GroupOffsets.
import { isLeft, isRight } from 'fp-ts/Either';
import { CommittedOffset, ErrorCode, GroupEffect, GroupOffsets, GroupService, GroupServiceOptions } from '../../../core/broker';
import { FakeClock } from './helpers';

const SESSION_MS = 10_000;
const REBALANCE_MS = 3_000;
const PROTOCOLS = [{ name: 'range', metadata: Buffer.from('subscription') }];

/** Committed offsets by group; deleting a group's records the deletion and answers `deletion`. */
class MemoryOffsets<D> implements GroupOffsets<D> {
  readonly groups = new Map<string, CommittedOffset[]>();
  readonly deleted: string[] = [];
  constructor(private readonly deletion: D) {}
  groupIds(): string[] {
    return [...this.groups.keys()];
  }
  fetch(groupId: string): CommittedOffset[] {
    return this.groups.get(groupId) ?? [];
  }
  deleteGroup(groupId: string): D {
    this.groups.delete(groupId);
    this.deleted.push(groupId);
    return this.deletion;
  }
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): D {
    const gone = (o: CommittedOffset) => partitions.some((p) => p.topic === o.topic && p.partition === o.partition);
    this.groups.set(
      groupId,
      this.fetch(groupId).filter((o) => !gone(o)),
    );
    this.deleted.push(`${groupId}:${partitions.map((p) => `${p.topic}-${p.partition}`).join(',')}`);
    return this.deletion;
  }
}

function open(options: GroupServiceOptions = {}): { service: GroupService; clock: FakeClock; effects: GroupEffect[]; offsets: MemoryOffsets<void> } {
  const clock = new FakeClock();
  const offsets = new MemoryOffsets<void>(undefined);
  const service = new GroupService(offsets, { clock, config: { minSessionTimeoutMs: 1000 }, tickIntervalMs: 0, ...options });
  const effects: GroupEffect[] = [];
  service.onGroupEffect((e) => effects.push(e));
  return { service, clock, effects, offsets };
}

const join = (service: GroupService, memberId = '', groupId = 'g') =>
  service.joinGroup({
    groupId,
    memberId,
    clientId: 'c',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: PROTOCOLS,
  });

/** Whether `promise` has settled once the microtasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

/** A one-member group in generation 1, Stable. */
async function stableGroupOfOne(service: GroupService): Promise<string> {
  const a = await join(service);
  expect(a.errorCode).toBe(0);
  const synced = await service.syncGroup({
    groupId: 'g',
    generationId: a.generationId,
    memberId: a.memberId,
    assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }],
  });
  expect(synced.errorCode).toBe(0);
  return a.memberId;
}

describe('GroupService', () => {
  it('removes a member whose session expires and leaves the group Empty', async () => {
    const { service, clock, effects } = open();
    const memberId = await stableGroupOfOne(service);
    clock.advance(SESSION_MS - 1);
    service.tick();
    expect(service.describeGroup('g').state).toBe('Stable');
    clock.advance(1);
    service.tick();
    expect(effects).toContainEqual({ kind: 'member-removed', groupId: 'g', memberId, reason: 'session-timeout' });
    expect(service.describeGroup('g')).toMatchObject({ state: 'Empty', members: [] });
    expect((await service.heartbeat({ groupId: 'g', generationId: 1, memberId })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    service.close();
  });

  it('completes a rebalance without the member that does not rejoin in time', async () => {
    const { service, clock, effects } = open();
    const first = await stableGroupOfOne(service);
    // A second member joins: the first must rejoin within the rebalance timeout.
    const secondJoin = join(service);
    expect(await settled(secondJoin)).toBe(false);
    clock.advance(REBALANCE_MS - 1);
    service.tick();
    expect(await settled(secondJoin)).toBe(false);
    clock.advance(1);
    service.tick();
    const second = await secondJoin;
    expect(second).toMatchObject({ errorCode: 0, generationId: 2, leader: second.memberId });
    expect(effects).toContainEqual({ kind: 'member-removed', groupId: 'g', memberId: first, reason: 'rebalance-timeout' });
    expect(service.describeGroup('g').members.map((m) => m.memberId)).toEqual([second.memberId]);
    service.close();
  });

  it('answers a follower parked in SyncGroup when the leader syncs', async () => {
    const { service } = open();
    const leaderId = await stableGroupOfOne(service);
    const followerJoin = join(service);
    const leader = await join(service, leaderId);
    const follower = await followerJoin;
    expect(leader).toMatchObject({ errorCode: 0, generationId: 2, leader: leaderId });
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([leaderId, follower.memberId].sort());

    const followerSync = service.syncGroup({ groupId: 'g', generationId: 2, memberId: follower.memberId, assignments: [] });
    expect(await settled(followerSync)).toBe(false);
    const leaderSync = await service.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: leaderId,
      assignments: [
        { memberId: leaderId, assignment: Buffer.from('L') },
        { memberId: follower.memberId, assignment: Buffer.from('F') },
      ],
    });
    expect(leaderSync.assignment.toString()).toBe('L');
    expect(await followerSync).toMatchObject({ errorCode: 0, protocolName: 'range', assignment: Buffer.from('F') });
    expect(service.describeGroup('g').state).toBe('Stable');
    service.close();
  });

  it('ticks on its own timer with the injected clock, and close stops the timer and answers parked requests', async () => {
    jest.useFakeTimers();
    try {
      const { service, clock, effects } = open({ tickIntervalMs: 100 });
      expect(jest.getTimerCount()).toBe(1);
      const memberId = await stableGroupOfOne(service);
      clock.advance(SESSION_MS);
      jest.advanceTimersByTime(100);
      expect(effects).toContainEqual({ kind: 'member-removed', groupId: 'g', memberId, reason: 'session-timeout' });

      await stableGroupOfOne(service);
      const parked = join(service);
      expect(await settled(parked)).toBe(false);
      service.close();
      expect(jest.getTimerCount()).toBe(0);
      expect(service.isClosed).toBe(true);
      expect((await parked).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      expect((await join(service)).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      expect(service.checkOffsetCommit('g', '', -1)?.code).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } finally {
      jest.useRealTimers();
    }
  });

  it('checks offset commits against the membership', async () => {
    const { service } = open();
    expect(service.checkOffsetCommit('g', '', -1)).toBeUndefined();
    const memberId = await stableGroupOfOne(service);
    expect(service.checkOffsetCommit('g', memberId, 1)).toBeUndefined();
    expect(service.checkOffsetCommit('g', memberId, 0)?.code).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(service.checkOffsetCommit('g', 'stranger', 1)?.code).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(service.checkOffsetCommit('g', '', -1)?.code).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(service.checkOffsetCommit('', '', -1)?.code).toBe(ErrorCode.INVALID_GROUP_ID);
    service.close();
  });

  it('shows a group with offsets and no members as Empty, lists it, and deletes it through its GroupOffsets', async () => {
    const clock = new FakeClock();
    const offsets = new MemoryOffsets<Promise<number>>(Promise.resolve(0));
    const committed = { topic: 't', partition: 0, offset: 7, leaderEpoch: -1, metadata: '', commitTimestamp: clock.now() };
    offsets.groups.set('offsets-only', [committed]);
    const service = new GroupService(offsets, { clock, config: { minSessionTimeoutMs: 1000 }, tickIntervalMs: 0 });
    const member = await service.joinGroup({ groupId: 'busy', memberId: '', sessionTimeoutMs: SESSION_MS, protocolType: 'consumer', protocols: PROTOCOLS });

    expect(service.describeGroup('offsets-only').state).toBe('Empty');
    expect(service.describeGroup('nobody').state).toBe('Dead');
    expect(service.listGroups()).toEqual([
      { groupId: 'busy', state: 'CompletingRebalance', protocolType: 'consumer' },
      { groupId: 'offsets-only', state: 'Empty', protocolType: null },
    ]);
    expect(service.fetchOffsets('offsets-only')).toEqual([committed]);

    const refused = service.deleteGroup('busy');
    expect(isLeft(refused) && refused.left.code).toBe(ErrorCode.NON_EMPTY_GROUP);
    const missing = service.deleteGroup('nobody');
    expect(isLeft(missing) && missing.left.code).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(offsets.deleted).toEqual([]);

    const deleted = service.deleteGroup('offsets-only');
    expect(isRight(deleted) && (await deleted.right)).toBe(0);
    expect(offsets.deleted).toEqual(['offsets-only']);
    expect(service.describeGroup('offsets-only').state).toBe('Dead');

    // Once its member leaves, the group's membership can go too.
    await service.leaveGroup({ groupId: 'busy', memberIds: [member.memberId] });
    expect(isRight(service.deleteGroup('busy'))).toBe(true);
    expect(service.listGroups()).toEqual([]);
    service.close();
  });
});
