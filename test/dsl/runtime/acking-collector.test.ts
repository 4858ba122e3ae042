import { isRight } from 'fp-ts/Either';
import { Rill } from '../../../core/client';
import { decodeRecordBatches } from '../../../core/log';
import { rillLogClient } from '../../../dsl';
import { AckingCollector } from '../../../dsl/runtime/acking-collector';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('acking-collector');
afterAll(() => dirs.removeAll());

/** The values stored in the topic's partition, read straight from the broker (synchronously). */
function stored(rill: Rill, topic: string, partition: number): (string | null)[] {
  const p = rill.broker.topics.partition(topic, partition);
  if (!isRight(p)) throw new Error('no partition');
  const batches = decodeRecordBatches(p.right.read(0, 1 << 20));
  if (!isRight(batches)) throw new Error(batches.left.message);
  return batches.right.flatMap((b) => b.records.map((r) => r.value?.toString() ?? null));
}

/** Writes key `k` and `value` into a reused space, as sendRecord's serdes do, and hands the ranges to sendRange. */
function sendRange(collector: AckingCollector, topic: string, value: string): void {
  const src = Buffer.alloc(32, 0xee);
  src.write('k', 4);
  const end = 8 + src.write(value, 8);
  collector.sendRange!(topic, src, 4, 5, 8, end, 1000);
  src.fill(0); // the collector copied them before it returned
}

describe('AckingCollector', () => {
  let rill: Rill;
  beforeEach(async () => {
    rill = Rill.open({ dir: dirs.make() });
    await rill.admin.createTopics([{ name: 'out', partitions: 1 }]);
  });
  afterEach(() => rill.close());

  it('counts range writes as in flight until the log has them, and keeps the order of send and sendRange writes to a topic', async () => {
    const collector = new AckingCollector(rillLogClient(rill).producer());
    expect(collector.sendRange).toBeDefined();
    sendRange(collector, 'out', 'first');
    // Settled means written: when the count reaches 0 the log holds the record.
    await collector.waitUntilAtMost(0).then(() => expect(stored(rill, 'out', 0)).toEqual(['first']));
    collector.send('out', Buffer.from('k'), Buffer.from('a'), 1000, undefined);
    sendRange(collector, 'out', 'b');
    collector.send('out', Buffer.from('k'), Buffer.from('c'), 1000, undefined);
    collector.send('out', Buffer.from('k'), Buffer.from('d'), 1000, undefined);
    sendRange(collector, 'out', 'e');
    sendRange(collector, 'out', 'f');
    expect(collector.inFlight).toBe(6);
    await collector.waitUntilAtMost(0).then(() => expect(stored(rill, 'out', 0)).toEqual(['first', 'a', 'b', 'c', 'd', 'e', 'f']));
    expect(collector.sent).toBe(7);
    await collector.flush();
    expect(collector.failed).toBeUndefined();
  });

  it('ends a topic writer every 500 records, and a failed range write fails the collector', async () => {
    const collector = new AckingCollector(rillLogClient(rill).producer());
    for (let i = 0; i < 1200; i++) sendRange(collector, 'out', `v${i}`);
    await collector.flush();
    expect(collector.inFlight).toBe(0);
    expect(stored(rill, 'out', 0)).toEqual(Array.from({ length: 1200 }, (_, i) => `v${i}`));
    sendRange(collector, 'no-such-topic', 'x');
    await expect(collector.flush()).rejects.toThrow(/write to topic no-such-topic failed/);
    expect(collector.inFlight).toBe(0);
  });

  it('without openWrite (another LogClient) it has no sendRange: the task copies the ranges into send()', () => {
    const { openWrite: _, ...producer } = rillLogClient(rill).producer();
    expect(new AckingCollector(producer).sendRange).toBeUndefined();
  });
});
