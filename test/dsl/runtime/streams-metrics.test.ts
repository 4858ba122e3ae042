// A stream application's /metrics (RillStreams with metricsPort), scraped over
// HTTP and read by a real Prometheus text parser while it runs on the embedded
// log: records consumed, processed and produced grow with the input, commits
// are timed, a late record is counted and dead-lettered, the window store
// reports its entries, the task's assignment counts as a rebalance, and the
// input partition's lag is there. A second instance restores the store from
// its changelog, counted in a registry it was given.
import { Rill } from '../../../core/client';
import { jsonSerde, stringSerde } from '../../../core/schema';
import { count, memoryLogger, RillStreams, StreamsBuilder, to, tumbling, windowedSerde } from '../../../dsl';
import { metricsRegistry } from '../../../core/metrics';
import { Scrape } from '../../support/scrape';
import { tempDirs } from '../../support/tmp-dir';

const str = stringSerde();
const dirs = tempDirs('dsl-metrics');
afterAll(() => dirs.removeAll());

function clickCounter() {
  const b = new StreamsBuilder('click-counter');
  b.stream('clicks', { key: str, value: str }).pipe(
    count({ store: 'per-10s', window: tumbling(10_000), lateRecords: { deadLetterTopic: 'late-clicks' } }),
    to('click-counts', { key: windowedSerde(str), value: jsonSerde<number>() }),
  );
  return b.build();
}

test('an app serves its metrics, and they move as records flow', async () => {
  const rill = Rill.open({ dir: dirs.make() });
  let app: RillStreams | undefined;
  try {
    await rill.admin.createTopics([{ name: 'clicks', partitions: 1 }]);
    app = new RillStreams(clickCounter(), { log: rill, logger: memoryLogger(), metricsPort: 0 });
    await app.start();
    const url = app.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const start = await Scrape.of(url);
    expect(start.value('rill_streams_records_processed_total')).toBe(0);
    expect(start.value('rill_streams_tasks')).toBe(1);
    expect(start.value('rill_streams_rebalances_total')).toBe(1);
    expect(start.value('rill_streams_tasks_assigned_total')).toBe(1);

    // Stream time reaches 50 s; the record at 3 s is then late for its closed window [0, 10 s).
    await rill.producer().send('clicks', [
      { key: 'a', value: 'x', timestamp: 1_000 },
      { key: 'b', value: 'x', timestamp: 2_000 },
      { key: 'a', value: 'x', timestamp: 50_000 },
      { key: 'a', value: 'x', timestamp: 3_000 },
    ]);
    await app.waitUntilCaughtUp();

    const after = await Scrape.of(url);
    expect(after.value('rill_streams_records_consumed_total')).toBe(4);
    expect(after.value('rill_streams_records_processed_total', { task: '0' })).toBe(4);
    expect(after.family('rill_streams_process_latency_seconds')?.type).toBe('HISTOGRAM');
    expect(after.value('rill_streams_late_records_total')).toBe(1);
    expect(after.value('rill_streams_dead_lettered_records_total')).toBe(1);
    // Three counts to the sink, their changelog entries, and the dead letter.
    expect(after.value('rill_streams_records_produced_total')).toBeGreaterThanOrEqual(3 + 1);
    expect(after.value('rill_streams_state_store_entries', { store: 'per-10s', task: '0' })).toBe(3);
    expect(after.value('rill_streams_consumer_lag', { topic: 'clicks', partition: '0' })).toBe(0);
    expect(after.family('rill_streams_commit_duration_seconds')?.metrics[0].count).not.toBe('0');

    // Stopped, the app's metrics server is gone with it.
    const served = app.metricsUrl!;
    await app.stop();
    await expect(Scrape.of(served)).rejects.toThrow(/ECONNREFUSED/);

    // A new instance (no local snapshot) restores the window store from its changelog: counted in a registry the app was given.
    const registry = metricsRegistry();
    app = new RillStreams(clickCounter(), { log: rill, logger: memoryLogger(), metrics: registry });
    await app.start();
    const restored = Scrape.parse(await registry.metrics());
    expect(restored.value('rill_streams_restored_records_total', { store: 'per-10s' })).toBeGreaterThanOrEqual(3);
    expect(restored.value('rill_streams_restore_remaining_records', { store: 'per-10s', task: '0' })).toBe(0);
    expect(restored.value('rill_streams_state_store_entries', { store: 'per-10s', task: '0' })).toBe(3);
    expect(app.metricsUrl).toBeUndefined();
  } finally {
    await app?.stop();
    await rill.close();
  }
});
