// An application reading a topic that transactional producers write: it sees
// the committed records only (never an aborted one, nor a marker), and
// waitUntilCaughtUp returns once it is through the topic, although the topic
// ends with a transaction marker that no record ever shows (the runtime
// commits the consumer's position past it).
import { Rill } from '../../../core/client';
import { stringSerde } from '../../../core/schema';
import { mapValues, memoryLogger, RillStreams, StreamsBuilder, to } from '../../../dsl';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-txn-input');
afterAll(() => dirs.removeAll());

const str = stringSerde();

test('committed records only, and caught up at the end of a topic that ends with a marker', async () => {
  const rill = Rill.open({ dir: dirs.make() });
  try {
    await rill.admin.createTopics([
      { name: 'orders', partitions: 1 },
      { name: 'shouted', partitions: 1 },
    ]);
    const producer = rill.producer({ transactionalId: 'orders-writer' });
    await producer.beginTransaction();
    await producer.send('orders', [
      { key: 'k', value: 'one' },
      { key: 'k', value: 'two' },
    ]);
    await producer.commit();
    await producer.beginTransaction();
    await producer.send('orders', { key: 'k', value: 'aborted' });
    await producer.abort();
    await producer.beginTransaction();
    await producer.send('orders', { key: 'k', value: 'three' });
    await producer.commit();
    await producer.close();

    const b = new StreamsBuilder('shout');
    b.stream('orders', { key: str, value: str }).pipe(
      mapValues((v: string) => v.toUpperCase()),
      to('shouted', { key: str, value: str }),
    );
    const app = new RillStreams(b.build(), { log: rill, logger: memoryLogger() });
    await app.start();
    await app.waitUntilCaughtUp();
    await app.stop();

    const [end] = await rill.admin.fetchTopicOffsets('orders');
    const [committed] = await rill.admin.fetchOffsets('shout', 'orders');
    // Three markers and four records: the group's offset is the end of the log, past the last marker.
    expect(end.highWatermark).toBe(7);
    expect(committed.offset).toBe(end.highWatermark);
    const consumer = rill.consumer({ autoOffsetReset: 'earliest' });
    await consumer.assign([{ topic: 'shouted', partition: 0 }]);
    const values: string[] = [];
    for await (const r of consumer) {
      values.push(String(r.value));
      if (values.length === 3) break;
    }
    await consumer.close();
    expect(values).toEqual(['ONE', 'TWO', 'THREE']);
  } finally {
    await rill.close();
  }
});
