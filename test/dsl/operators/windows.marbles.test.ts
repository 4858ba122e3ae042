// Windowed counts as marble diagrams (RxJS TestScheduler): emission frames show
// exactly when a final result leaves — on the record that closes the window,
// or on a wall-clock tick after the partition went quiet.
import { TestScheduler } from 'rxjs/testing';
import { StreamsBuilder, count, silentLogger, tumbling, type KRecord, type TumblingWindows, type WindowedOptions } from '../../../dsl';
import { withTask } from '../../../dsl/operator';
import { StreamTask } from '../../../dsl/runtime/stream-task';
import { str } from '../helpers';

const rec = (timestamp: number): KRecord<string, string> => ({ key: 'k', value: 'v', timestamp });

function setup(options: WindowedOptions<string, number, TumblingWindows>, now: () => number) {
  const op = count<string, string>(options) as unknown as (s: unknown) => never;
  const b = new StreamsBuilder('marbles');
  b.stream('in', { key: str, value: str }).pipe(op as never);
  const task = new StreamTask({
    topology: b.build(),
    partition: 0,
    collector: { send: () => undefined },
    logger: silentLogger,
    deserializationErrors: 'fail',
    processingErrors: 'fail',
    now,
  });
  return { op, task };
}

test('emit final: the window [0,10) leaves on the record that moves stream time past its end', () => {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const { op, task } = setup({ store: 'w', window: tumbling(10), emit: 'final' }, () => scheduler.now());
  scheduler.run(({ cold, expectObservable }) => {
    const input = cold('a-b-c-d-|', { a: rec(1), b: rec(8), c: rec(4), d: rec(12) });
    expectObservable(withTask(task, () => op(input))).toBe('------x-|', { x: { key: { key: 'k', window: { start: 0, end: 10 } }, value: 3, timestamp: 9 } });
  });
});

test('closeAfterIdleMs: a quiet partition closes its window on a wall-clock tick', () => {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const { op, task } = setup({ store: 'w', window: tumbling(10), emit: 'final', closeAfterIdleMs: 40 }, () => scheduler.now());
  scheduler.run(({ cold, hot, expectObservable }) => {
    hot('30ms t 19ms u', { t: 30, u: 50 }).subscribe(task.wallClock);
    const input = cold('a', { a: rec(5) });
    // At 30 ms the partition has been idle 30 ms (< 40): nothing. At 50 ms, idle 50 ms: stream time 5 + 50 passes 10.
    expectObservable(withTask(task, () => op(input))).toBe('50ms x', { x: { key: { key: 'k', window: { start: 0, end: 10 } }, value: 1, timestamp: 9 } });
  });
});
