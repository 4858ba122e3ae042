// A join the coordinator refuses for good (a session timeout out of range)
// fails subscribe() with the reason, instead of retrying silently forever.
import { Rill } from '../../../core/client';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('group-join-errors');
afterAll(() => dirs.removeAll());

test('a session timeout below group.min.session.timeout.ms fails subscribe() with a clear error', async () => {
  const rill = Rill.open({ dir: dirs.make() });
  try {
    await rill.admin.createTopics([{ name: 't', partitions: 1 }]);
    const consumer = rill.consumer({ groupId: 'g', sessionTimeoutMs: 3000 });
    await expect(consumer.subscribe(['t'])).rejects.toThrow(/session timeout 3000 ms is outside the broker's allowed range/);
    await consumer.close();
  } finally {
    await rill.close();
  }
});
