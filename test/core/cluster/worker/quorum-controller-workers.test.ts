// The active controller's soft state for workers, on an injected clock:
// cooperative handover (a task reaches its new owner only once the old one
// stops reporting it, or leaves, or expires) and renewed sessions after the
// controller itself was not running.
import * as E from 'fp-ts/Either';
import { QuorumController, type WorkerAssignment } from '../../../../core/cluster';
import { clusterOf } from '../controller/fixtures';

const CONFIG = { brokerSessionTimeoutMs: 60_000, workerSessionTimeoutMs: 2000 };

function controller(): QuorumController {
  const c = new QuorumController(clusterOf([1, 2, 3]), 0, CONFIG);
  expect(E.isRight(c.createTopic({ name: 'lines', partitions: 4, replicationFactor: 1 }))).toBe(true);
  return c;
}

function beat(c: QuorumController, workerId: string, workerEpoch: number, ownedTasks: string[] | undefined, now: number): WorkerAssignment {
  const d = c.workerHeartbeat({ app: 'wc', workerId, workerEpoch, inputTopics: ['lines'], numStandbyReplicas: 0, ownedTasks }, now);
  if (E.isLeft(d)) throw new Error(d.left.message);
  return d.right.response;
}

const names = (a: WorkerAssignment) => a.active.map((t) => t.task).sort();

describe('QuorumController: workers', () => {
  test('a moving task reaches its new owner only once the old owner stops reporting it', () => {
    const c = controller();
    const a = beat(c, 'a', 0, [], 0);
    expect(names(a)).toEqual(['lines-0', 'lines-1', 'lines-2', 'lines-3']);
    // a was told it owns all four (it may be starting them): b's join gives b nothing yet.
    const b = beat(c, 'b', 0, [], 10);
    expect(names(b)).toEqual([]);
    // a hears it keeps two; it still reports all four while it revokes the others.
    const a2 = beat(c, 'a', a.workerEpoch, names(a), 20);
    expect(names(a2)).toEqual(['lines-0', 'lines-1']);
    expect(names(beat(c, 'b', b.workerEpoch, [], 30))).toEqual([]);
    // a released them: b gets them, under the task epoch of the move.
    beat(c, 'a', a.workerEpoch, names(a2), 40);
    const b2 = beat(c, 'b', b.workerEpoch, [], 50);
    expect(names(b2)).toEqual(['lines-2', 'lines-3']);
    expect(b2.active.every((t) => t.taskEpoch === 2)).toBe(true);
  });

  test('after a controller failover, workers keep what they run, and nothing moves until every worker has reported', () => {
    const c1 = controller();
    const a = beat(c1, 'a', 0, [], 0);
    beat(c1, 'a', a.workerEpoch, names(a), 10);
    const b = beat(c1, 'b', 0, [], 20);
    const a2 = beat(c1, 'a', a.workerEpoch, names(a), 30);
    beat(c1, 'a', a.workerEpoch, names(a2), 40);
    const b2 = beat(c1, 'b', b.workerEpoch, [], 50);
    expect(names(b2)).toEqual(['lines-2', 'lines-3']);
    beat(c1, 'b', b.workerEpoch, names(b2), 60);

    // A new active controller knows the committed assignment, not what anyone runs.
    const c2 = new QuorumController(c1.image, 100, CONFIG);
    expect(names(beat(c2, 'b', b.workerEpoch, names(b2), 110))).toEqual(['lines-2', 'lines-3']);
    const c = beat(c2, 'c', 0, [], 120);
    expect(names(c)).toEqual([]);
    // a and b report and hear what they keep; c gets the task given up once it is released.
    for (let round = 0; round < 2; round++) {
      for (const [id, epoch] of [
        ['a', a.workerEpoch],
        ['b', b.workerEpoch],
      ] as const) {
        const mine = c2.image.apps.get('wc')!.tasks;
        const runs = [...mine.values()].filter((t) => t.owner === id).map((t) => t.task);
        beat(c2, id, epoch, round === 0 ? (id === 'a' ? names(a2) : names(b2)) : runs, 130 + round * 10);
      }
    }
    expect(names(beat(c2, 'c', c.workerEpoch, [], 200))).toHaveLength(1);
  });

  test('a worker that leaves or expires holds nothing', () => {
    const c = controller();
    const a = beat(c, 'a', 0, [], 0);
    beat(c, 'a', a.workerEpoch, names(a), 10);
    const b = beat(c, 'b', 0, [], 20);
    expect(names(b)).toEqual([]);
    expect(E.isRight(c.workerLeave({ app: 'wc', workerId: 'a', workerEpoch: a.workerEpoch }))).toBe(true);
    expect(names(beat(c, 'b', b.workerEpoch, [], 30))).toEqual(['lines-0', 'lines-1', 'lines-2', 'lines-3']);

    const d = controller();
    const x = beat(d, 'x', 0, [], 0);
    beat(d, 'x', x.workerEpoch, names(x), 10);
    const y = beat(d, 'y', 0, [], 1000);
    expect(names(y)).toEqual([]);
    // x goes silent: after its session it is unregistered, and y gets everything.
    beat(d, 'y', y.workerEpoch, [], 2000);
    expect(d.expireSessions(2100).length).toBe(1);
    expect(names(beat(d, 'y', y.workerEpoch, [], 2200))).toEqual(['lines-0', 'lines-1', 'lines-2', 'lines-3']);
  });

  test('renewed sessions: a controller that was not running does not expire every worker for it', () => {
    const c = controller();
    beat(c, 'a', 0, [], 0);
    beat(c, 'b', 0, [], 0);
    // The controller was paused from 500 to 5000: renew, then nobody is expired until a full session later.
    c.renewWorkerSessions(5000);
    expect(c.expireSessions(5000)).toEqual([]);
    expect(c.expireSessions(7000)).toEqual([]);
    expect(c.expireSessions(7001).length).toBe(2);
  });
});
