// A single-node broker's /metrics, scraped over HTTP and read by a real
// Prometheus text parser, as kafkajs produces and consumes: messages and bytes
// in per topic grow by what was produced, bytes out by what was fetched,
// requests are counted per API and version, partition logs report their end
// offset and size, a consumer group's generation counts as a rebalance. Two
// brokers in one process keep their own numbers. And the /metrics server itself:
// GET only, one path.
import { Kafka, logLevel } from 'kafkajs';
import { MetricsServer, metricsRegistry, type Registry } from '../../../core/metrics';
import { startTestCluster, type TestCluster } from '../protocol/harness';
import { httpGet, Scrape } from '../../support/scrape';

interface MeteredBroker {
  cluster: TestCluster;
  registry: Registry;
  metrics: MetricsServer;
  kafka: Kafka;
}

async function meteredBroker(): Promise<MeteredBroker> {
  const registry = metricsRegistry();
  const cluster = await startTestCluster({ server: { metrics: registry } });
  const metrics = await MetricsServer.start({ registry, port: 0 });
  const kafka = new Kafka({ clientId: 'metrics-test', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
  return { cluster, registry, metrics, kafka };
}

/** A labelled histogram's observation count, from the registry itself. */
async function histogramCount(registry: Registry, name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  // A histogram's values carry the series name (_bucket, _sum, _count) beside the labels.
  const values = (await registry.getSingleMetric(name)!.get()).values as { metricName?: string; labels: Record<string, string | number>; value: number }[];
  const count = values.find((v) => v.metricName === `${name}_count` && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return count?.value ?? 0;
}

async function stop(b: MeteredBroker | undefined): Promise<void> {
  await b?.metrics.close();
  await b?.cluster.stop();
}

describe('broker metrics', () => {
  let a: MeteredBroker;
  let b: MeteredBroker;
  beforeAll(async () => {
    a = await meteredBroker();
    b = await meteredBroker();
  });
  afterAll(async () => {
    await stop(a);
    await stop(b);
  });

  it('count produced messages and bytes, fetched bytes, requests and partition logs as traffic flows', async () => {
    const admin = a.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    await admin.disconnect();

    const before = await Scrape.of(a.metrics.url);
    expect(before.value('rill_broker_messages_in_total', { topic: 'orders' })).toBe(0);

    const producer = a.kafka.producer();
    await producer.connect();
    // 3 batches of 10 records: counted per batch header, 30 records in all.
    for (let i = 0; i < 3; i++) {
      await producer.send({
        topic: 'orders',
        messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${i}-${j}`, value: `order ${i}-${j}`, partition: j % 2 })),
      });
    }
    await producer.disconnect();

    const produced = await Scrape.of(a.metrics.url);
    expect(produced.value('rill_broker_messages_in_total', { topic: 'orders' })).toBe(30);
    const bytesIn = produced.value('rill_broker_bytes_in_total', { topic: 'orders' });
    expect(bytesIn).toBeGreaterThan(30 * 'order 0-0'.length);
    expect(produced.value('rill_broker_requests_total', { api: 'Produce' })).toBe(3);
    expect(produced.samples('rill_broker_requests_total', { api: 'ApiVersions' }).length).toBeGreaterThan(0);
    expect(produced.family('rill_broker_request_duration_seconds')?.type).toBe('HISTOGRAM');
    // parse-prometheus-text-format folds a labelled histogram's series into one: its count per API is read from the registry.
    expect(await histogramCount(a.registry, 'rill_broker_request_duration_seconds', { api: 'Produce' })).toBe(3);
    expect(produced.value('rill_broker_log_end_offset', { topic: 'orders', partition: '0' })).toBe(15);
    expect(produced.value('rill_broker_log_end_offset', { topic: 'orders', partition: '1' })).toBe(15);
    expect(produced.value('rill_broker_log_size_bytes', { topic: 'orders' })).toBeGreaterThanOrEqual(bytesIn);
    expect(produced.value('rill_broker_bytes_out_total', { topic: 'orders' })).toBe(0);

    // A consumer group reads it all: bytes go out, the group is counted, its generation is a rebalance.
    const consumer = a.kafka.consumer({ groupId: 'metrics-readers', maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let seen = 0;
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 30) resolve();
        },
      });
    });
    await all;
    const consumed = await Scrape.of(a.metrics.url);
    await consumer.disconnect();
    expect(consumed.value('rill_broker_bytes_out_total', { topic: 'orders' })).toBeGreaterThanOrEqual(bytesIn);
    expect(consumed.value('rill_broker_requests_total', { api: 'Fetch' })).toBeGreaterThan(0);
    expect(consumed.value('rill_broker_group_rebalances_total')).toBeGreaterThanOrEqual(1);
    expect(consumed.value('rill_broker_groups')).toBe(1);
    expect(consumed.value('rill_broker_connections')).toBeGreaterThanOrEqual(1);
    // Scraped while the consumer still polls: its long poll may be parked, never more than one per connection.
    expect(consumed.value('rill_broker_fetch_purgatory_size')).toBeLessThanOrEqual(consumed.value('rill_broker_connections'));

    // The other broker in this process saw none of it.
    const other = await Scrape.of(b.metrics.url);
    expect(other.samples('rill_broker_messages_in_total')).toEqual([]);
    expect(other.value('rill_broker_requests_total')).toBe(0);
  });

  it('serve GET /metrics only', async () => {
    const url = a.metrics.url;
    const ok = await httpGet(url);
    expect(ok.status).toBe(200);
    expect(ok.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(Scrape.parse(ok.body).family('rill_broker_connections')?.help).toMatch(/connections/);
    expect((await httpGet(url, 'POST')).status).toBe(405);
    expect((await httpGet(url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await httpGet(url, 'HEAD')).status).toBe(200);
  });
});
