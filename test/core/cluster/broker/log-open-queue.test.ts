// The queue of replica logs a broker has yet to open: in the metadata's order
// (a leader alone in its ISR first), a time budget per chunk (at least one
// log), the rest after the event loop's turn.
import { LogOpenQueue, opensFirst, type QueuedLog } from '../../../../core/cluster/broker/log-open-queue';

function harness(budgetMs: number, msPerOpen: number) {
  let clock = 0;
  const pending: (() => void)[] = [];
  const opened: string[] = [];
  const chunks: number[] = [];
  const queue = new LogOpenQueue({
    open: (name: string, _q: QueuedLog) => {
      opened.push(name);
      clock += msPerOpen;
    },
    opened: (count) => chunks.push(count),
    budgetMs,
    now: () => clock,
    schedule: (next) => pending.push(next),
  });
  /** Runs the scheduled chunk, if any: whether there was one. */
  const turn = () => {
    const next = pending.shift();
    next?.();
    return next !== undefined;
  };
  return { queue, opened, chunks, turn, pending };
}

const at = (topicId: number, partition: number): QueuedLog => ({ topicId, partition });

describe('LogOpenQueue', () => {
  it('opens urgent logs first, the rest in order, a budget at a time, the rest in later turns', () => {
    const { queue, opened, chunks, turn } = harness(5, 2);
    queue.add('t-0', at(1, 0), false);
    queue.add('t-1', at(1, 1), true);
    queue.add('t-2', at(1, 2), false);
    queue.add('t-3', at(1, 3), true);
    queue.add('t-4', at(1, 4), false);
    expect(opened).toEqual([]);
    expect(turn()).toBe(true);
    // 2 ms each, 5 ms budget: three per chunk.
    expect(opened).toEqual(['t-1', 't-3', 't-0']);
    expect(queue.size).toBe(2);
    expect(turn()).toBe(true);
    expect(opened).toEqual(['t-1', 't-3', 't-0', 't-2', 't-4']);
    expect(chunks).toEqual([3, 2]);
    expect(turn()).toBe(false);
  });

  it('opens at least one log per chunk, however slow', () => {
    const { queue, opened, turn } = harness(5, 50);
    queue.add('a-0', at(1, 0), false);
    queue.add('a-1', at(1, 1), false);
    turn();
    expect(opened).toEqual(['a-0']);
    turn();
    expect(opened).toEqual(['a-0', 'a-1']);
  });

  it('re-queues a log with its latest topic id and role; a removed log is not opened', () => {
    const opens: [string, QueuedLog][] = [];
    const pending: (() => void)[] = [];
    const queue = new LogOpenQueue({
      open: (name, q) => opens.push([name, q]),
      opened: () => {},
      budgetMs: 5,
      now: () => 0,
      schedule: (next) => pending.push(next),
    });
    queue.add('x-0', at(1, 0), false);
    queue.add('y-0', at(2, 0), false);
    queue.add('z-0', at(3, 0), false);
    queue.add('x-0', at(4, 0), true);
    // Named again alike (an ISR change): it keeps its place.
    queue.add('z-0', at(3, 0), false);
    queue.add('w-0', at(5, 0), false);
    queue.add('z-0', at(3, 0), false);
    queue.remove('y-0');
    expect(queue.has('y-0')).toBe(false);
    expect(pending).toHaveLength(1);
    pending.shift()!();
    expect(opens).toEqual([
      ['x-0', at(4, 0)],
      ['z-0', at(3, 0)],
      ['w-0', at(5, 0)],
    ]);
  });

  it('paused, it opens nothing until resumed; closed, nothing ever', () => {
    const { queue, opened, turn } = harness(5, 1);
    queue.pause();
    queue.add('p-0', at(1, 0), true);
    expect(turn()).toBe(false);
    queue.resume();
    expect(turn()).toBe(true);
    expect(opened).toEqual(['p-0']);
    queue.add('p-1', at(1, 1), true);
    queue.close();
    turn();
    expect(opened).toEqual(['p-0']);
    queue.add('p-2', at(1, 2), true);
    expect(queue.size).toBe(0);
    expect(turn()).toBe(false);
  });

  it("opens a partition's follower logs about when its leader's opens, so no leader drops its followers from the ISR", () => {
    // Three brokers, each with every partition of a 3,000-partition topic
    // (replication factor 3), a third led by each; every broker receives the
    // same metadata, in the same order, and opens a log in 10 ms. When each
    // broker opened all it leads first, the followers of broker 1's
    // partitions opened on brokers 2 and 3 only after their own 1,000
    // leaderships: 10 s and more after their leader, past replica.lag.time.max.ms.
    const brokers = [1, 2, 3];
    const partitions = 3000;
    const lagTimeMaxMs = 10_000;
    const openedAt = new Map<number, number[]>();
    for (const b of brokers) {
      const { queue, opened, turn } = harness(5, 10);
      for (let p = 0; p < partitions; p++) {
        const placed = { leader: brokers[p % 3], isr: brokers };
        queue.add(`t-${p}`, at(1, p), opensFirst(placed, b));
      }
      while (turn());
      const times: number[] = [];
      opened.forEach((name, i) => {
        times[Number(name.slice(2))] = (i + 1) * 10;
      });
      openedAt.set(b, times);
    }
    let worstLagMs = 0;
    for (let p = 0; p < partitions; p++) {
      const leaderAt = openedAt.get(brokers[p % 3])![p];
      for (const b of brokers) worstLagMs = Math.max(worstLagMs, openedAt.get(b)![p] - leaderAt);
    }
    expect(worstLagMs).toBeLessThan(lagTimeMaxMs);
    expect(worstLagMs).toBe(0);
  });

  it('a partition this broker leads with no other in-sync replica goes first', () => {
    expect(opensFirst({ leader: 3, isr: [3] }, 3)).toBe(true);
    expect(opensFirst({ leader: 3, isr: [1, 3] }, 3)).toBe(false);
    expect(opensFirst({ leader: 1, isr: [1] }, 3)).toBe(false);
    const { queue, opened, turn } = harness(100, 1);
    queue.add('f-0', at(1, 0), opensFirst({ leader: 1, isr: [1, 3] }, 3));
    queue.add('l-0', at(1, 1), opensFirst({ leader: 3, isr: [1, 3] }, 3));
    queue.add('s-0', at(1, 2), opensFirst({ leader: 3, isr: [3] }, 3));
    turn();
    expect(opened).toEqual(['s-0', 'f-0', 'l-0']);
  });
});
