// A record whose key does not deserialize is reported as a key (the runtime
// reads keys with the record's plain location and locates only failures as keys).
import { Rill } from '../../../core/client';
import { jsonSerde, stringSerde } from '../../../core/schema';
import { memoryLogger, RillStreams, StreamsBuilder, to } from '../../../dsl';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-key-errors');
afterAll(() => dirs.removeAll());

test('an undeserializable key is skipped with a log line naming the record key and its offset', async () => {
  const rill = Rill.open({ dir: dirs.make() });
  try {
    await rill.admin.createTopics([{ name: 'keyed', partitions: 1 }]);
    await rill.producer().send('keyed', [
      { key: '{not json', value: 'a' },
      { key: '"ok"', value: 'b' },
    ]);
    const b = new StreamsBuilder('key-errors');
    b.stream('keyed', { key: jsonSerde<string>(), value: stringSerde() }).pipe(to('copied', { key: jsonSerde<string>(), value: stringSerde() }));
    const logger = memoryLogger();
    const app = new RillStreams(b.build(), { log: rill, logger, deserializationErrors: 'skip' });
    await app.start();
    await app.waitUntilCaughtUp();
    await app.stop();
    expect(logger.lines.filter((l) => /cannot read the record at .*: record key at topic keyed, partition 0, offset 0: not valid JSON/.test(l))).toHaveLength(
      1,
    );
    // A pino logger: the task's line carries the application's and the task's bindings as fields.
    expect(logger.records).toContainEqual(
      expect.objectContaining({ level: 40, component: 'streams', app: 'key-errors', task: 0, partition: 0, msg: expect.stringContaining('offset 0') }),
    );
    expect((await rill.admin.fetchTopicOffsets('copied'))[0].highWatermark).toBe(1);
  } finally {
    await rill.close();
  }
});
