// Event-time alignment on the real runtime: a task reads the records of all
// its input partitions in timestamp order (Kafka Streams' PartitionGroup),
// waiting for partitions known to have more, so joins see the other side as
// it was at each record's time, even when every input was written before the
// app started. And waitUntilCaughtUp means "every input partition processed
// by its owner", not "this instance has nothing left".
import { Rill } from '../../../core/client';
import { jsonSerde, stringSerde } from '../../../core/schema';
import { StreamsBuilder, RillStreams, defaultLogger, count, join, memoryLogger, selectKey, to, type Topology } from '../../../dsl';
import { readTopic } from '../../connectors/support';
import { tempDirs } from '../../support/tmp-dir';

const str = stringSerde();
const dirs = tempDirs('dsl-alignment');
afterAll(() => dirs.removeAll());

const T0 = Date.UTC(2026, 0, 1);

interface Order {
  id: string;
  customer: string;
}

/** Orders re-keyed by customer, joined with the customers table: the customer version current at each order's time. */
function enrichment(app: string): Topology {
  const b = new StreamsBuilder(app);
  const customers = b.table('customers', { key: str, value: str, store: 'customers' });
  b.stream('orders', { key: str, value: jsonSerde<Order>() }).pipe(
    selectKey((r) => r.value.customer, { keySerde: str }),
    join(customers, (order, version) => `${order.id}@${version}`),
    to('enriched', { key: str, value: str }),
  );
  return b.build();
}

/** A topic's values, every partition, as text. */
async function readValues(rill: Rill, topic: string): Promise<string[]> {
  return (await readTopic(rill, topic)).map((r) => r.value?.toString() ?? '');
}

async function runToEnd(rill: Rill, topology: Topology, extra: Partial<ConstructorParameters<typeof RillStreams>[1]> = {}): Promise<void> {
  const app = new RillStreams(topology, { log: rill, logger: memoryLogger(), ...extra });
  try {
    await app.start();
    await app.waitUntilCaughtUp();
  } finally {
    await app.stop();
  }
}

describe('event-time alignment across a task’s input partitions', () => {
  test('stream-table join, one partition each, all written first: each order meets the customer version of its time', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    try {
      await rill.admin.createTopics([
        { name: 'customers', partitions: 1 },
        { name: 'orders', partitions: 1 },
      ]);
      const n = 600;
      // Customer c1 changes once a second; an order for c1 half a second after each change.
      await rill.producer().send(
        'customers',
        Array.from({ length: n }, (_, i) => ({ key: 'c1', value: `v${i}`, timestamp: T0 + i * 1000 })),
      );
      await rill.producer().send(
        'orders',
        Array.from({ length: n }, (_, i) => ({ key: `o${i}`, value: JSON.stringify({ id: `o${i}`, customer: 'c1' }), timestamp: T0 + i * 1000 + 500 })),
      );
      await runToEnd(rill, enrichment('enrich-1'));
      const joined = await readValues(rill, 'enriched');
      expect(joined).toHaveLength(n);
      expect(joined.filter((v) => v !== `${v.split('@')[0]}@v${v.split('@')[0].slice(1)}`)).toEqual([]);
    } finally {
      await rill.close();
    }
  }, 60_000);

  test('stream-table join over 4 co-partitioned partitions: no order meets another customer version than the one of its time', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    try {
      await rill.admin.createTopics([
        { name: 'customers', partitions: 4 },
        { name: 'orders', partitions: 4 },
      ]);
      const customers = 50;
      const orders = 2000;
      // Version j of customer c is written at T0 + (j * customers + c) * 10 ms; orders come 5 ms after a version.
      const updates = [];
      for (let j = 0; j < orders / customers; j++)
        for (let c = 0; c < customers; c++) updates.push({ key: `c${c}`, value: `v${j}`, timestamp: T0 + (j * customers + c) * 10 });
      await rill.producer().send('customers', updates);
      // Keyed by customer: each task joins its own orders and customers partitions, no repartition topic.
      const placed = Array.from({ length: orders }, (_, i) => ({
        key: `c${i % customers}`,
        value: JSON.stringify({ id: `o${i}`, customer: `c${i % customers}` }),
        timestamp: T0 + i * 10 + 5,
      }));
      await rill.producer().send('orders', placed);
      const b = new StreamsBuilder('enrich-4');
      const table = b.table('customers', { key: str, value: str, store: 'customers' });
      b.stream('orders', { key: str, value: jsonSerde<Order>() }).pipe(
        join(table, (order, version) => `${order.id}@${version}`),
        to('enriched', { key: str, value: str }),
      );
      await runToEnd(rill, b.build());
      const joined = await readValues(rill, 'enriched');
      expect(joined).toHaveLength(orders);
      // Order i (customer i % 50, 5 ms after that customer's version floor(i / 50)) must see exactly that version.
      const wrong = joined.filter((v) => {
        const [id, version] = v.split('@');
        return version !== `v${Math.floor(Number(id.slice(1)) / customers)}`;
      });
      expect(wrong).toEqual([]);
    } finally {
      await rill.close();
    }
  }, 60_000);

  test('stream-stream join of orders and payments 60 s later, all written first: every order is matched', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    try {
      await rill.admin.createTopics([
        { name: 'orders', partitions: 1 },
        { name: 'payments', partitions: 1 },
      ]);
      const n = 600;
      await rill.producer().send(
        'orders',
        Array.from({ length: n }, (_, i) => ({ key: `o${i}`, value: `order${i}`, timestamp: T0 + i * 10_000 })),
      );
      await rill.producer().send(
        'payments',
        Array.from({ length: n }, (_, i) => ({ key: `o${i}`, value: `paid${i}`, timestamp: T0 + i * 10_000 + 60_000 })),
      );
      const b = new StreamsBuilder('pay-match');
      const payments = b.stream('payments', { key: str, value: str });
      b.stream('orders', { key: str, value: str }).pipe(
        join(payments, (order, payment) => `${order}+${payment}`, { window: { beforeMs: 10 * 60_000 } }),
        to('matched', { key: str, value: str }),
      );
      await runToEnd(rill, b.build());
      const matched = await readValues(rill, 'matched');
      expect(matched.sort()).toEqual(Array.from({ length: n }, (_, i) => `order${i}+paid${i}`).sort());
    } finally {
      await rill.close();
    }
  }, 60_000);
});

describe('waitUntilCaughtUp', () => {
  test('on an instance that joined during a rebalance, it returns only once every input partition is processed by its owner', async () => {
    const rill = Rill.open({ dir: dirs.make() });
    const apps: RillStreams[] = [];
    try {
      await rill.admin.createTopics([{ name: 'words', partitions: 4 }]);
      const topology = () => {
        const b = new StreamsBuilder('counting');
        b.stream('words', { key: str, value: str }).pipe(
          count({ store: 'counts', keySerde: str }),
          to('word-counts', { key: str, value: jsonSerde<number>() }),
        );
        return b.build();
      };
      const group = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 };
      const a = new RillStreams(topology(), { log: rill, logger: process.env.DBG ? defaultLogger() : memoryLogger(), group });
      apps.push(a);
      await a.start();
      const words = Array.from({ length: 4000 }, (_, i) => ({ key: `w${i % 97}`, value: 'x' }));
      await rill.producer().send('words', words);
      const b = new RillStreams(topology(), { log: rill, logger: process.env.DBG ? defaultLogger() : memoryLogger(), group });
      apps.push(b);
      await b.start();
      await b.waitUntilCaughtUp();
      const ends = await rill.admin.fetchTopicOffsets('words');
      const committed = await rill.admin.fetchOffsets('counting', 'words');
      for (const e of ends) expect(committed.find((c) => c.partition === e.partition)?.offset).toBe(e.highWatermark);
    } finally {
      for (const app of apps) await app.stop();
      await rill.close();
    }
  }, 60_000);
});
