import * as E from 'fp-ts/Either';
import { assignTasks, ErrorCode, createTopic, expireWorker, workerHeartbeat, type MetadataImage, type TaskOwnership } from '../../../../core/cluster';
import { accepted, clusterOf, refusedWith } from './fixtures';

const tasks = (n: number) => Array.from({ length: n }, (_, p) => `t-${p}`);
const byTask = (list: TaskOwnership[]) => new Map(list.map((t) => [t.task, t]));
const loads = (list: TaskOwnership[]) => {
  const m = new Map<string, number>();
  for (const t of list) m.set(t.owner, (m.get(t.owner) ?? 0) + 1);
  return [...m.values()].sort();
};

describe('sticky balanced task assignment', () => {
  test('balanced: every worker gets floor or ceil of tasks/workers', () => {
    expect(loads(assignTasks(tasks(10), ['a', 'b', 'c'], new Map(), 0))).toEqual([3, 3, 4]);
    expect(loads(assignTasks(tasks(2), ['a', 'b', 'c'], new Map(), 0))).toEqual([1, 1]);
  });

  test('a worker joining takes only what balance requires; the others keep the rest', () => {
    const before = assignTasks(tasks(12), ['a', 'b', 'c'], new Map(), 0);
    const after = assignTasks(tasks(12), ['a', 'b', 'c', 'd'], byTask(before), 0);
    expect(loads(after)).toEqual([3, 3, 3, 3]);
    const moved = after.filter((t) => byTask(before).get(t.task)!.owner !== t.owner);
    expect(moved).toHaveLength(3);
    expect(moved.every((t) => t.owner === 'd')).toBe(true);
    // Only moved tasks get a new task epoch (the fencing token).
    for (const t of after) expect(t.taskEpoch).toBe(byTask(before).get(t.task)!.taskEpoch + (moved.includes(t) ? 1 : 0));
  });

  test('a worker leaving: only its tasks move, preferably to their warm standbys', () => {
    const before = assignTasks(tasks(6), ['a', 'b', 'c'], new Map(), 1);
    for (const t of before) {
      expect(t.standbys).toHaveLength(1);
      expect(t.standbys).not.toContain(t.owner);
    }
    const after = assignTasks(tasks(6), ['a', 'b'], byTask(before), 1);
    expect(loads(after)).toEqual([3, 3]);
    for (const t of after) {
      const prev = byTask(before).get(t.task)!;
      if (prev.owner !== 'c') expect(t.owner).toBe(prev.owner);
      else expect(t.owner).toBe(prev.standbys[0]);
      expect(t.standbys).not.toContain(t.owner);
    }
  });

  test('deterministic: the same inputs give the same assignment whatever their order', () => {
    expect(assignTasks(tasks(7), ['c', 'a', 'b'], new Map(), 1)).toEqual(assignTasks([...tasks(7)].reverse(), ['b', 'c', 'a'], new Map(), 1));
  });

  test('no workers: nothing assigned; more standbys than other workers: as many as there are', () => {
    expect(assignTasks(tasks(3), [], new Map(), 1)).toEqual([]);
    expect(assignTasks(tasks(2), ['a', 'b'], new Map(), 5).every((t) => t.standbys.length === 1)).toBe(true);
  });
});

describe('worker lifecycle', () => {
  function setup(): MetadataImage {
    const image = clusterOf([1]);
    accepted(image, createTopic(image, { name: 'lines', partitions: 4, replicationFactor: 1 }));
    return image;
  }
  const join = (image: MetadataImage, id: string) =>
    accepted(image, workerHeartbeat(image, { app: 'wc', workerId: id, workerEpoch: 0, inputTopics: ['lines'], numStandbyReplicas: 1 })).response;

  test('joining registers with a new epoch and returns this worker’s tasks and standbys', () => {
    const image = setup();
    const a = join(image, 'a');
    expect(a).toMatchObject({ workerEpoch: 1, generation: 1 });
    expect(a.active.map((t) => t.task)).toEqual(['lines-0', 'lines-1', 'lines-2', 'lines-3']);
    const b = join(image, 'b');
    expect(b.generation).toBe(2);
    expect(b.active).toHaveLength(2);
    expect(b.standby).toHaveLength(2);
  });

  test('a heartbeat with an old worker epoch is fenced', () => {
    const image = setup();
    join(image, 'a');
    expect(refusedWith(workerHeartbeat(image, { app: 'wc', workerId: 'a', workerEpoch: 7, inputTopics: ['lines'], numStandbyReplicas: 1 }))).toBe(
      ErrorCode.FENCED_MEMBER_EPOCH,
    );
  });

  test('a steady heartbeat changes nothing; expiry moves the tasks', () => {
    const image = setup();
    const a = join(image, 'a');
    const b = join(image, 'b');
    const steady = workerHeartbeat(image, { app: 'wc', workerId: 'a', workerEpoch: a.workerEpoch, inputTopics: ['lines'], numStandbyReplicas: 1 });
    expect(E.isRight(steady) && steady.right.records).toEqual([]);
    accepted(image, expireWorker(image, 'wc', 'b', b.workerEpoch));
    expect([...image.apps.get('wc')!.tasks.values()].map((t) => t.owner)).toEqual(['a', 'a', 'a', 'a']);
  });
});
