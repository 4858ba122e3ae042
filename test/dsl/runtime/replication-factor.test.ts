// replicationFactor (Kafka Streams' replication.factor) on the embedded log:
// it keeps one copy, so -1 and 1 work and more is refused clearly; a value
// that is no replication factor is refused before anything starts.
import { Rill } from '../../../core/client';
import { stringSerde } from '../../../core/schema';
import { count, memoryLogger, RillStreams, StreamsBuilder } from '../../../dsl';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-rf');
afterAll(() => dirs.removeAll());

function topology() {
  const b = new StreamsBuilder('rf');
  b.stream('in', { key: stringSerde(), value: stringSerde() }).pipe(count({ store: 'counts', keySerde: stringSerde() }));
  return b.build();
}

test('the embedded log refuses a replication factor above 1 and a value that is none', async () => {
  const rill = Rill.open({ dir: dirs.make() });
  try {
    await rill.admin.createTopics([{ name: 'in', partitions: 1 }]);
    await expect(new RillStreams(topology(), { log: rill, logger: memoryLogger(), replicationFactor: 0 }).start()).rejects.toThrow(
      /replicationFactor must be an integer ≥ 1, or -1/,
    );
    await expect(new RillStreams(topology(), { log: rill, logger: memoryLogger(), replicationFactor: 3 }).start()).rejects.toThrow(
      /replication factor 3 needs a cluster; the embedded log keeps one copy/,
    );
    const app = new RillStreams(topology(), { log: rill, logger: memoryLogger(), replicationFactor: 1 });
    await app.start();
    await app.stop();
    expect(await rill.admin.listTopics()).toContain('rf-counts-changelog');
  } finally {
    await rill.close();
  }
});
