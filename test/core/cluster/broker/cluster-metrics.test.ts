// A 3-node cluster's metrics, each node's registry read by a real Prometheus
// text parser: exactly one active controller across the quorum, every
// controller in the same Raft term with a commit index, the leader's view of
// its voters' lag; brokers count what kafkajs produces to a replicated topic
// (acks=all), report their partition logs, and no partition is under-replicated
// or offline once the ISR is full. A follower cut off from the other brokers
// leaves the ISR and comes back: the leader counts the shrink and the expansion.
import { Kafka, logLevel } from 'kafkajs';
import { InProcessCluster, until } from '../in-process-cluster';
import { Scrape } from '../../../support/scrape';

const IDS = [1, 2, 3];
const DEADLINE_MS = 30_000;

describe('cluster metrics', () => {
  let cluster: InProcessCluster;
  beforeAll(async () => {
    // A follower cut off for 1 s leaves the ISR: the ISR metrics move within the test.
    cluster = await InProcessCluster.start({ ids: IDS, metrics: true, broker: { replicaLagTimeMaxMs: 1000 } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const scrape = async (id: number) => Scrape.parse(await cluster.registries.get(id)!.metrics());
  const scrapeAll = () => Promise.all(IDS.map(scrape));

  it('shows one active controller, the Raft term and commit index, and the brokers’ traffic', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    await cluster.allBrokersRegistered(deadline);

    // One active controller over the quorum, once a leader has applied its term's entries.
    const nodes = await until(
      deadline,
      async () => {
        const all = await scrapeAll();
        return all.reduce((n, s) => n + s.value('rill_controller_active_controller_count'), 0) === 1 ? all : undefined;
      },
      'one active controller',
    );
    const active = nodes.find((s) => s.value('rill_controller_active_controller_count') === 1)!;
    const term = active.value('rill_controller_raft_term');
    expect(term).toBeGreaterThanOrEqual(1);
    expect(active.value('rill_controller_raft_commit_index')).toBeGreaterThan(0);
    // The leader reports every voter's lag (itself included, at 0).
    expect(
      active
        .samples('rill_controller_raft_voter_lag')
        .map((s) => s.labels?.node)
        .sort(),
    ).toEqual(['1', '2', '3']);
    expect(active.value('rill_controller_offline_partitions')).toBe(0);

    const kafka = new Kafka({
      clientId: 'cluster-metrics',
      brokers: IDS.map((id) => cluster.bootstrap(id)),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'metered', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'metered', acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();

    const brokers = await scrapeAll();
    // Only the leader appended from a client: the 20 records are counted once over the brokers.
    expect(brokers.reduce((n, s) => n + s.value('rill_broker_messages_in_total', { topic: 'metered' }), 0)).toBe(20);
    expect(brokers.reduce((n, s) => n + s.value('rill_broker_requests_total', { api: 'Produce' }), 0)).toBeGreaterThanOrEqual(1);
    // Every replica's log reaches offset 20 (followers copy it), and reports its size.
    await until(
      deadline,
      async () => ((await scrapeAll()).every((s) => s.value('rill_broker_log_end_offset', { topic: 'metered', partition: '0' }) === 20) ? true : undefined),
      'every replica at offset 20',
    );
    for (const s of await scrapeAll()) expect(s.value('rill_broker_log_size_bytes', { topic: 'metered', partition: '0' })).toBeGreaterThan(0);
    await until(
      deadline,
      async () => ((await scrapeAll()).every((s) => s.value('rill_broker_under_replicated_partitions') === 0) ? true : undefined),
      'no under-replicated partition',
    );
    // The controllers all moved on in the same term (no election meanwhile on a quiet loopback is not assumed: at least the term seen).
    for (const s of await scrapeAll()) expect(s.value('rill_controller_raft_term')).toBeGreaterThanOrEqual(term);
  });

  it('counts an ISR shrink and expansion at the leader while a follower is cut off and back', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const kafka = new Kafka({
      clientId: 'cluster-metrics-isr',
      brokers: IDS.map((id) => cluster.bootstrap(id)),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'isr-moves', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const leaderId = await until(deadline, () => cluster.broker(IDS[0]).image.topicByName('isr-moves')?.partitions.get(0)?.leader, 'a leader of isr-moves');
    const followerId = IDS.find((id) => id !== leaderId)!;
    const leader = () => scrape(leaderId);
    const before = await leader();

    cluster.isolate(followerId, 'brokers');
    try {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'isr-moves', acks: 1, messages: [{ value: 'while cut off' }] });
      await producer.disconnect();
      await until(
        deadline,
        async () => ((await leader()).value('rill_broker_isr_shrinks_total') > before.value('rill_broker_isr_shrinks_total') ? true : undefined),
        'an ISR shrink counted at the leader',
      );
      await until(
        deadline,
        async () => ((await leader()).value('rill_broker_under_replicated_partitions') >= 1 ? true : undefined),
        'an under-replicated partition',
      );
    } finally {
      cluster.heal(followerId);
    }
    await until(
      deadline,
      async () => ((await leader()).value('rill_broker_isr_expands_total') > before.value('rill_broker_isr_expands_total') ? true : undefined),
      'an ISR expansion counted at the leader',
    );
    await until(deadline, async () => ((await leader()).value('rill_broker_under_replicated_partitions') === 0 ? true : undefined), 'the ISR full again');
  });
});
