// Commits and task changes run one at a time; `busy` is set the moment work is
// queued, so the processing loop pauses before the work even starts.
import { ExclusiveQueue } from '../../../dsl/runtime/exclusive-queue';

test('runs work one at a time in order, busy from queueing until the queue is empty, errors to the caller only', async () => {
  const q = new ExclusiveQueue();
  const order: string[] = [];
  let release!: () => void;
  const first = q.run(async () => {
    order.push('first start');
    await new Promise<void>((r) => (release = r));
    order.push('first end');
    return 1;
  });
  expect(q.busy).toBe(true);
  const failing = q.run(async () => {
    order.push('second');
    throw new Error('boom');
  });
  const third = q.run(async () => {
    order.push('third');
    return 3;
  });
  const idle = q.idle().then(() => order.push('idle'));
  await Promise.resolve();
  release();
  await expect(first).resolves.toBe(1);
  await expect(failing).rejects.toThrow('boom');
  await expect(third).resolves.toBe(3);
  await idle;
  expect(order).toEqual(['first start', 'first end', 'second', 'third', 'idle']);
  expect(q.busy).toBe(false);
});
