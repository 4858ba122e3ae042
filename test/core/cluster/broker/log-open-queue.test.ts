// The queue of replica logs a broker has yet to open: leaders first, a time
// budget per chunk (at least one log), the rest after the event loop's turn.
import { LogOpenQueue, type QueuedLog } from '../../../../core/cluster/broker/log-open-queue';

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
  it('opens leaders first, a budget at a time, the rest in later turns', () => {
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
});
