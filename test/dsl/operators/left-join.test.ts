import { StreamsBuilder, leftJoin, to } from '../../../dsl';
import { drive, str } from '../helpers';

describe('leftJoin', () => {
  test('stream-table: every order yields a result, null when the customer is unknown', () => {
    const b = new StreamsBuilder('shop');
    const customers = b.table('customers', { key: str, value: str });
    b.stream('orders', { key: str, value: str }).pipe(
      leftJoin(customers, (order, customer) => `${order} for ${customer ?? '?'}`),
      to('enriched', { key: str, value: str }),
    );
    const d = drive(b.build());
    d.inputTopic<string, string>('customers').pipeInput('c1', 'Ada', 1);
    d.inputTopic<string, string>('orders').pipeInput('c1', 'book', 2);
    d.inputTopic<string, string>('orders').pipeInput('c9', 'pen', 3);
    expect(d.outputTopic('enriched', { key: str, value: str }).readKeyValuesToList()).toEqual([
      ['c1', 'book for Ada'],
      ['c9', 'pen for ?'],
    ]);
  });

  test('stream-stream: an order without a payment in the window yields (order, null) once the window closes', () => {
    const b = new StreamsBuilder('pay');
    const payments = b.stream('payments', { key: str, value: str });
    b.stream('orders', { key: str, value: str }).pipe(
      leftJoin(payments, (order, payment) => `${order}/${payment ?? 'unpaid'}`, { window: { beforeMs: 10 } }),
      to('paid', { key: str, value: str }),
    );
    const d = drive(b.build());
    const orders = d.inputTopic<string, string>('orders');
    const pays = d.inputTopic<string, string>('payments');
    const out = d.outputTopic('paid', { key: str, value: str });
    orders.pipeInput('o1', 'order1', 100);
    pays.pipeInput('o1', 'pay1', 105);
    orders.pipeInput('o3', 'order3', 120);
    expect(out.readRecordsToList()).toEqual([{ key: 'o1', value: 'order1/pay1', timestamp: 105 }]);
    pays.pipeInput('o3', 'pay3', 130); // still inside [110, 130]: a match, no null result
    orders.pipeInput('o4', 'order4', 131);
    pays.pipeInput('x', 'other', 142); // stream time 142 > 131 + 10: order4's window closed unmatched
    expect(out.readRecordsToList()).toEqual([
      { key: 'o3', value: 'order3/pay3', timestamp: 130 },
      { key: 'o4', value: 'order4/unpaid', timestamp: 131 },
    ]);
  });
});
