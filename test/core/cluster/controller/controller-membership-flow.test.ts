// The membership flow's decisions with a stand-in for the controller process:
// what an add or remove request is checked for, and whom the active controller
// hands leadership to before it removes itself.
import * as E from 'fp-ts/Either';
import { ErrorCode } from '../../../../core/cluster';
import { checkAddController, checkRemoveController, removeController, type MembershipShell } from '../../../../core/cluster/controller/controller-membership';
import type { ReplicationStatus } from '../../../../core/raft';

const member = (id: number, match: number, lastAckMsAgo: number | null, learner = false): ReplicationStatus => ({
  id,
  learner,
  match,
  next: match + 1,
  state: 'replicate',
  lag: 10 - match,
  lastAckMsAgo,
  lastCaughtUpMsAgo: lastAckMsAgo,
});

function shell(replication: ReplicationStatus[]): MembershipShell & { transfers: number[] } {
  const transfers: number[] = [];
  return {
    transfers,
    nodeId: 1,
    conf: () => ({ voters: replication.filter((p) => !p.learner).map((p) => p.id), learners: replication.filter((p) => p.learner).map((p) => p.id) }),
    replication: () => replication,
    leader: () => 1,
    decide: () => Promise.reject(new Error('not expected')),
    proposeConfChange: () => E.left('not expected'),
    transferLeadership: (to) => {
      transfers.push(to);
      return E.right(undefined);
    },
    applied: () => Promise.resolve(true),
    waitUntil: () => Promise.resolve(false),
  };
}

describe('controller membership flow', () => {
  it('checks add and remove requests', () => {
    expect(checkAddController({ id: 4, host: '10.0.0.4', port: 9107, waitMs: 1000 })).toEqual(E.right({ id: 4, host: '10.0.0.4', port: 9107, waitMs: 1000 }));
    expect(checkAddController(null)).toEqual(E.left('addController needs {id, host, port}'));
    expect(checkAddController({ id: '4', host: 'h', port: 1 })).toEqual(E.left('addController needs a numeric id, a host and a numeric port'));
    expect(checkAddController({ id: 0, host: 'h', port: 1 })).toEqual(E.left('controller id 0 must be 1 or more'));
    expect(checkAddController({ id: 4, host: 'h', port: 65535 })).toEqual(E.left('port 65535 of controller 4 must be 1..65534 (Raft uses the next one)'));
    expect(checkAddController({ id: 4, host: 'h', port: 1, waitMs: -1 })).toEqual(E.left('waitMs must be an integer in 0..600000'));
    expect(checkRemoveController({ id: 2 })).toEqual(E.right({ id: 2 }));
    expect(checkRemoveController({ id: 1.5 })).toEqual(E.left('removeController needs a controller id of 1 or more'));
  });

  it('the active controller removing itself hands leadership to the most caught-up voter, of equals the one heard from last, never a learner', async () => {
    const s = shell([member(1, 10, 0), member(2, 9, 1), member(3, 10, 5000), member(4, 10, 3), member(5, 10, 0, true)]);
    expect(await removeController(s, { id: 1 })).toEqual({
      errorCode: ErrorCode.NOT_CONTROLLER,
      message: 'controller 1 is active; it hands leadership to controller 4, which removes it (retry there)',
      leaderHint: 4,
    });
    expect(s.transfers).toEqual([4]);
  });

  it('refuses to remove the only voter', async () => {
    const s = shell([member(1, 10, 0), member(5, 10, 0, true)]);
    expect(await removeController(s, { id: 1 })).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      message: 'controller 1 is the only voter; add another controller before removing it',
    });
    expect(s.transfers).toEqual([]);
  });
});
