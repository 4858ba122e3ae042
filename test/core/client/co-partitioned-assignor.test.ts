// The group assignor of stream applications: tasks (partition p of every
// subscribed topic) move together, the load is balanced by task, and a task
// that moves is withheld until its old owner has revoked it (cooperative).
import { coPartitionedAssignor } from '../../../core/client';

const topics = ['lines', 'app-repartition'];
const counts = new Map([
  ['lines', 4],
  ['app-repartition', 4],
]);
const tasksOf = (tps: readonly { topic: string; partition: number }[] | undefined) => [...new Set((tps ?? []).map((tp) => tp.partition))].sort();

describe('coPartitionedAssignor', () => {
  test('gives partition p of every topic to one member, balanced by task', () => {
    const result = coPartitionedAssignor.assign(
      [
        { memberId: 'a', topics, ownedPartitions: [] },
        { memberId: 'b', topics, ownedPartitions: [] },
      ],
      counts,
    );
    const a = result.get('a')!;
    const b = result.get('b')!;
    expect(tasksOf(a)).toHaveLength(2);
    expect(tasksOf(b)).toHaveLength(2);
    expect([...tasksOf(a), ...tasksOf(b)].sort()).toEqual([0, 1, 2, 3]);
    for (const tps of [a, b])
      for (const p of tasksOf(tps))
        expect(
          tps
            .filter((tp) => tp.partition === p)
            .map((tp) => tp.topic)
            .sort(),
        ).toEqual([...topics].sort());
  });

  test('keeps what a member owns and withholds a task that moves until it is revoked', () => {
    const owned = [0, 1, 2, 3].flatMap((partition) => topics.map((topic) => ({ topic, partition })));
    const first = coPartitionedAssignor.assign(
      [
        { memberId: 'a', topics, ownedPartitions: owned },
        { memberId: 'b', topics, ownedPartitions: [] },
      ],
      counts,
    );
    // a keeps two tasks, the two that go to b are withheld in this generation.
    expect(tasksOf(first.get('a'))).toHaveLength(2);
    expect(tasksOf(first.get('b'))).toEqual([]);
    const kept = first.get('a')!;
    const second = coPartitionedAssignor.assign(
      [
        { memberId: 'a', topics, ownedPartitions: kept },
        { memberId: 'b', topics, ownedPartitions: [] },
      ],
      counts,
    );
    expect(tasksOf(second.get('a'))).toEqual(tasksOf(kept));
    expect([...tasksOf(second.get('a')), ...tasksOf(second.get('b'))].sort()).toEqual([0, 1, 2, 3]);
  });
});
