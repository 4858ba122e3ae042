// `npm run example:orders`: orders enriched with customers, and matched with payments within 10 minutes.
import { jsonSerde, stringSerde } from '../../core/schema';
import type { LogClient } from '../../core/client';
import { readTopic, runExample, runMain } from '../support/run-example';
import { CUSTOMERS, ENRICHED, ORDERS, PAID, PAYMENTS, ordersTopology, type EnrichedOrder, type OrderPayment } from './topology';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const min = (m: number) => T0 + m * 60_000;
const json = (v: unknown) => JSON.stringify(v);

export const SAMPLE = {
  customers: [
    { key: 'c1', value: json({ name: 'Ada', tier: 'gold' }), timestamp: min(0) },
    { key: 'c2', value: json({ name: 'Bob', tier: 'standard' }), timestamp: min(0) },
  ],
  orders: [
    { key: 'o1', value: json({ orderId: 'o1', customerId: 'c1', amount: 30 }), timestamp: min(1) },
    { key: 'o2', value: json({ orderId: 'o2', customerId: 'c2', amount: 12 }), timestamp: min(2) },
    { key: 'o3', value: json({ orderId: 'o3', customerId: 'c9', amount: 99 }), timestamp: min(3) }, // unknown customer
    { key: 'o4', value: json({ orderId: 'o4', customerId: 'c1', amount: 7 }), timestamp: min(30) }, // moves stream time on
  ],
  payments: [
    { key: 'o1', value: json({ orderId: 'o1', method: 'card' }), timestamp: min(4) }, // 3 min after o1
    { key: 'o2', value: json({ orderId: 'o2', method: 'cash' }), timestamp: min(15) }, // 13 min after o2: too late
  ],
};

/** On `target`: a directory (the embedded log) or any LogClient. */
export async function runOrders(target: string | LogClient, print: (s: string) => void = console.log) {
  let enriched: EnrichedOrder[] = [];
  let paid: OrderPayment[] = [];
  await runExample(
    {
      topology: ordersTopology(),
      // One partition each: orders, customers and payments are co-partitioned.
      inputs: [
        { topic: CUSTOMERS, partitions: 1, records: SAMPLE.customers },
        { topic: PAYMENTS, partitions: 1, records: SAMPLE.payments },
        { topic: ORDERS, partitions: 1, records: SAMPLE.orders },
      ],
    },
    target,
    async (log) => {
      enriched = (await readTopic(log, ENRICHED, stringSerde(), jsonSerde<EnrichedOrder>())).map((r) => r.value!);
      paid = (await readTopic(log, PAID, stringSerde(), jsonSerde<OrderPayment>())).map((r) => r.value!);
      print('orders enriched with customers (stream-table join):');
      for (const o of enriched) print(`  ${o.orderId} ${o.amount} by ${o.customer} (${o.tier})`);
      print('orders and payments within 10 minutes (stream-stream left join):');
      for (const p of paid) print(`  ${p.orderId} ${p.amount}: ${p.paidWith ?? 'UNPAID'}`);
    },
  );
  return { enriched, paid };
}

if (require.main === module) runMain('orders', (dir) => runOrders(dir));
