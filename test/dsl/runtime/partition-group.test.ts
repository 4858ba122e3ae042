// PartitionGroup: Kafka Streams' choice of a task's next record and its
// max.task.idle.ms rule with KIP-695's lag check.
import fc from 'fast-check';
import { PartitionGroup } from '../../../dsl/runtime/partition-group';

const rec = (topic: string, offset: number, timestamp: number) => ({ topic, partition: 0, offset, timestamp, key: null, value: null });

function group(maxTaskIdleMs: number, records: ReturnType<typeof rec>[] = []) {
  const g = new PartitionGroup(0, ['a', 'b'], maxTaskIdleMs);
  for (const r of records) g.add(r);
  return g;
}

const lags = (a: number | undefined, b: number | undefined) => (tp: { topic: string }) => (tp.topic === 'a' ? a : b);

test('takes the smallest timestamp across partitions, offset order within one', () => {
  const g = group(0, [rec('a', 0, 5), rec('a', 1, 1), rec('b', 0, 3), rec('b', 1, 9)]);
  const order: string[] = [];
  while (g.buffered > 0) {
    const r = g.next();
    order.push(`${r.topic}${r.offset}`);
  }
  // a0 (5) comes before a1 (1): a partition is read in offset order.
  expect(order).toEqual(['b0', 'a0', 'a1', 'b1']);
});

test('an empty partition with records known on the log (lag > 0) or not fetched yet holds the task back', () => {
  const g = group(0, [rec('a', 0, 1)]);
  expect(g.readyToProcess(1000, lags(0, 5))).toBe(false);
  expect(g.readyToProcess(1000, lags(0, undefined))).toBe(false);
  // Known empty: with maxTaskIdleMs 0 the task goes on at once.
  expect(g.readyToProcess(1000, lags(0, 0))).toBe(true);
});

test('maxTaskIdleMs > 0 waits that long on a partition known to be empty, then processes anyway', () => {
  const g = group(500, [rec('a', 0, 1)]);
  expect(g.readyToProcess(1000, lags(0, 0))).toBe(false);
  expect(g.nextDeadline(1000)).toBe(1500);
  expect(g.readyToProcess(1499, lags(0, 0))).toBe(false);
  expect(g.readyToProcess(1500, lags(0, 0))).toBe(true);
  // Data arrives on b and is consumed: the wait starts again the next time b is empty.
  g.add(rec('b', 0, 2));
  expect(g.readyToProcess(1600, lags(0, 0))).toBe(true);
  g.next();
  g.next();
  g.add(rec('a', 1, 3));
  expect(g.readyToProcess(1700, lags(0, 0))).toBe(false);
  expect(g.readyToProcess(2200, lags(0, 0))).toBe(true);
});

test('maxTaskIdleMs -1 never waits, not even for records known to exist', () => {
  const g = group(-1, [rec('a', 0, 1)]);
  expect(g.readyToProcess(0, lags(0, 100))).toBe(true);
  expect(group(-1).readyToProcess(0, lags(0, 0))).toBe(false);
});

test('records of topics the task does not read are refused', () => {
  const g = group(0);
  expect(g.add(rec('c', 0, 1))).toBe(false);
  expect(g.buffered).toBe(0);
  expect(g.headTimestamp).toBe(Infinity);
});

test('a full queue is marked paused once, and resumed when it drains below the mark or the group is dropped', () => {
  const g = group(0, [rec('a', 0, 1), rec('a', 1, 2), rec('a', 2, 3), rec('b', 0, 4)]);
  expect(g.pauseFull(3)).toEqual([{ topic: 'a', partition: 0 }]);
  expect(g.pauseFull(3)).toEqual([]);
  g.next();
  expect(g.resumeDrained(2)).toEqual([]);
  g.next();
  expect(g.resumeDrained(2)).toEqual([{ topic: 'a', partition: 0 }]);
  expect(g.pauseFull(1)).toEqual([
    { topic: 'a', partition: 0 },
    { topic: 'b', partition: 0 },
  ]);
  expect(g.resumeAll()).toEqual([
    { topic: 'a', partition: 0 },
    { topic: 'b', partition: 0 },
  ]);
});

test('records added in runs of one topic and interleaved land in their own queues, each noting the offset after its last', () => {
  const g = new PartitionGroup(0, ['a', 'b'], 0);
  expect(g.nextAfterAdded('a')).toBeUndefined();
  for (const r of [rec('a', 0, 1), rec('a', 1, 2), rec('b', 7, 3), rec('a', 2, 4), rec('c', 9, 5), rec('b', 8, 6)]) g.add(r);
  expect(g.nextAfterAdded('a')).toBe(3);
  expect(g.nextAfterAdded('b')).toBe(9);
  expect(g.nextAfterAdded('c')).toBeUndefined();
  expect([g.bufferedOf('a'), g.bufferedOf('b'), g.buffered]).toEqual([3, 2, 5]);
});

test('a queue hands its records back in the order added, across growth and wrap-around (a model: two arrays)', () => {
  // Each step adds n records to one partition, or takes up to n; timestamps rise with offsets, so the model's choice is
  // the partition whose head is older (ties: 'a', the first topic).
  const step = fc.record({ add: fc.boolean(), topic: fc.constantFrom('a', 'b'), n: fc.integer({ min: 1, max: 40 }) });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const g = group(-1);
      const model: Record<string, ReturnType<typeof rec>[]> = { a: [], b: [] };
      const next: Record<string, number> = { a: 0, b: 0 };
      let clock = 0;
      for (const { add, topic, n } of steps) {
        for (let i = 0; i < n; i++) {
          if (add) {
            const r = rec(topic, next[topic]++, clock++);
            g.add(r);
            model[topic].push(r);
          } else if (g.buffered > 0) {
            const a = model.a[0];
            const b = model.b[0];
            const expected = b === undefined || (a !== undefined && a.timestamp <= b.timestamp) ? model.a.shift() : model.b.shift();
            expect(g.next()).toBe(expected);
          }
        }
        expect(g.buffered).toBe(model.a.length + model.b.length);
        expect([g.bufferedOf('a'), g.bufferedOf('b')]).toEqual([model.a.length, model.b.length]);
      }
    }),
  );
});
