// Orders: (1) enriched with their customer — a stream-table join against the
// customers table read from a compacted topic, after re-keying orders by
// customer id (a repartition topic); (2) matched with their payment — a
// stream-stream left join within 10 minutes: an order with no payment in time
// is reported unpaid once its window closes.
import { jsonSerde, stringSerde } from '../../core/schema';
import { StreamsBuilder, join, leftJoin, mapValues, selectKey, to, type Topology } from '../../dsl';

export interface Order {
  orderId: string;
  customerId: string;
  amount: number;
}
export interface Customer {
  name: string;
  tier: 'gold' | 'standard';
}
export interface Payment {
  orderId: string;
  method: string;
}
export interface EnrichedOrder extends Order {
  customer: string;
  tier: string;
}
export interface OrderPayment {
  orderId: string;
  amount: number;
  paidWith: string | null;
}

export const ORDERS = 'orders';
export const CUSTOMERS = 'customers';
export const PAYMENTS = 'payments';
export const ENRICHED = 'orders-enriched';
export const PAID = 'orders-paid';
export const TEN_MINUTES = 10 * 60_000;

export function ordersTopology(applicationId = 'orders'): Topology {
  const b = new StreamsBuilder(applicationId);
  const key = stringSerde();
  const customers = b.table(CUSTOMERS, { key, value: jsonSerde<Customer>(), store: 'customers' });
  const orders = b.stream(ORDERS, { key, value: jsonSerde<Order>() });
  const payments = b.stream(PAYMENTS, { key, value: jsonSerde<Payment>() });

  orders.pipe(
    selectKey((r) => r.value.customerId, { keySerde: key }),
    join(customers, (order, customer): EnrichedOrder => ({ ...order, customer: customer.name, tier: customer.tier })),
    to(ENRICHED, { key, value: jsonSerde<EnrichedOrder>() }),
  );

  orders.pipe(
    leftJoin(payments, (order, payment): OrderPayment => ({ orderId: order.orderId, amount: order.amount, paidWith: payment?.method ?? null }), {
      window: { beforeMs: TEN_MINUTES },
      stores: { left: 'orders-awaiting-payment', right: 'payments-awaiting-order' },
    }),
    mapValues((p) => p),
    to(PAID, { key, value: jsonSerde<OrderPayment>() }),
  );
  return b.build();
}
