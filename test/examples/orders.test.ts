import { jsonSerde, stringSerde } from '../../core/schema';
import { TopologyTestDriver } from '../../dsl';
import { runOrders } from '../../examples/orders/main';
import { CUSTOMERS, ENRICHED, ORDERS, PAID, PAYMENTS, ordersTopology } from '../../examples/orders/topology';
import { tempDirs } from '../support/tmp-dir';

const dirs = tempDirs('example-orders');
afterAll(() => dirs.removeAll());

test('orders in the test driver: enrichment and payments within 10 minutes', () => {
  const d = new TopologyTestDriver(ordersTopology());
  const min = (m: number) => m * 60_000;
  d.inputTopic(CUSTOMERS).pipeInput('c1', { name: 'Ada', tier: 'gold' }, 0);
  d.inputTopic(ORDERS).pipeInput('o1', { orderId: 'o1', customerId: 'c1', amount: 5 }, min(1));
  d.inputTopic(ORDERS).pipeInput('o2', { orderId: 'o2', customerId: 'c2', amount: 6 }, min(2));
  d.inputTopic(PAYMENTS).pipeInput('o2', { orderId: 'o2', method: 'card' }, min(9));
  d.inputTopic(ORDERS).pipeInput('o3', { orderId: 'o3', customerId: 'c1', amount: 7 }, min(20));
  expect(d.outputTopic(ENRICHED, { key: stringSerde() }).readKeyValuesToList()).toEqual([
    ['c1', { orderId: 'o1', customerId: 'c1', amount: 5, customer: 'Ada', tier: 'gold' }],
    ['c1', { orderId: 'o3', customerId: 'c1', amount: 7, customer: 'Ada', tier: 'gold' }],
  ]);
  expect(d.outputTopic(PAID, { key: stringSerde(), value: jsonSerde() }).readRecordsToList()).toEqual([
    { key: 'o2', value: { orderId: 'o2', amount: 6, paidWith: 'card' }, timestamp: min(9) },
    // stream time 20 min passes o1's window (1 + 10 min): unpaid
    { key: 'o1', value: { orderId: 'o1', amount: 5, paidWith: null }, timestamp: min(1) },
  ]);
});

test('npm run example:orders on the embedded log', async () => {
  const { enriched, paid } = await runOrders(dirs.make(), () => undefined);
  expect(enriched.map((o) => `${o.orderId}:${o.customer}`)).toEqual(['o1:Ada', 'o2:Bob', 'o4:Ada']);
  expect(paid).toEqual([
    { orderId: 'o1', amount: 30, paidWith: 'card' },
    { orderId: 'o2', amount: 12, paidWith: null },
    { orderId: 'o3', amount: 99, paidWith: null },
  ]);
});
