import { StreamsBuilder, join, to } from '../../../dsl';
import { drive, str } from '../helpers';

describe('join (inner)', () => {
  test('stream-table: each order is enriched with the customer as of its arrival; unknown customers drop the order', () => {
    const b = new StreamsBuilder('shop');
    const customers = b.table('customers', { key: str, value: str, store: 'customers' });
    b.stream('orders', { key: str, value: str }).pipe(
      join(customers, (order, customer) => `${order} for ${customer}`),
      to('enriched', { key: str, value: str }),
    );
    const d = drive(b.build());
    const c = d.inputTopic<string, string>('customers');
    const o = d.inputTopic<string, string>('orders');
    c.pipeInput('c1', 'Ada', 1);
    o.pipeInput('c1', 'book', 2);
    o.pipeInput('c2', 'pen', 3); // no customer c2 yet
    c.pipeInput('c2', 'Bob', 4);
    c.pipeInput('c1', 'Ada L.', 5);
    o.pipeInput('c1', 'lamp', 6);
    o.pipeInput('c2', 'ink', 7);
    c.pipeInput('c2', null, 8); // tombstone: c2 deleted
    o.pipeInput('c2', 'paper', 9);
    expect(d.outputTopic('enriched', { key: str, value: str }).readRecordsToList()).toEqual([
      { key: 'c1', value: 'book for Ada', timestamp: 2 },
      { key: 'c1', value: 'lamp for Ada L.', timestamp: 6 },
      { key: 'c2', value: 'ink for Bob', timestamp: 7 },
    ]);
    expect(d.keyValueStore('customers').get('c2')).toBeUndefined();
  });

  test('stream-stream: orders meet payments of the same key within the window, in either order', () => {
    const b = new StreamsBuilder('pay');
    const payments = b.stream('payments', { key: str, value: str });
    b.stream('orders', { key: str, value: str }).pipe(
      join(payments, (order, payment) => `${order}/${payment}`, { window: { beforeMs: 10 }, stores: { left: 'orders-buf', right: 'payments-buf' } }),
      to('paid', { key: str, value: str }),
    );
    const d = drive(b.build());
    const orders = d.inputTopic<string, string>('orders');
    const pays = d.inputTopic<string, string>('payments');
    orders.pipeInput('o1', 'order1', 100);
    pays.pipeInput('o1', 'pay1', 105);
    pays.pipeInput('o2', 'pay2', 110);
    orders.pipeInput('o2', 'order2', 115);
    orders.pipeInput('o3', 'order3', 120);
    pays.pipeInput('o3', 'pay3', 135); // 15 ms after the order: outside the window
    orders.pipeInput('o4', 'order4', 100); // late: 100 + 10 + 0 < stream time 135
    expect(d.outputTopic('paid', { key: str, value: str }).readRecordsToList()).toEqual([
      { key: 'o1', value: 'order1/pay1', timestamp: 105 },
      { key: 'o2', value: 'order2/pay2', timestamp: 115 },
    ]);
    expect(d.logLines.some((l) => /late record: timestamp 100 is behind stream time 135/.test(l) && /topic orders, partition 0, offset 3/.test(l))).toBe(true);
    // Both buffers are stores with changelogs.
    expect(d.writtenTopics).toEqual(expect.arrayContaining(['pay-orders-buf-changelog', 'pay-payments-buf-changelog']));
  });

  test('stream-stream: buffers keep records for before + after + grace (Kafka Streams), not max(before, after) + grace', () => {
    const b = new StreamsBuilder('ret');
    const payments = b.stream('payments', { key: str, value: str });
    b.stream('orders', { key: str, value: str }).pipe(
      join(payments, (order, payment) => `${order}/${payment}`, { window: { beforeMs: 10, afterMs: 10 }, lateRecords: { deadLetterTopic: 'late' } }),
      to('paid', { key: str, value: str }),
    );
    const d = drive(b.build());
    const orders = d.inputTopic<string, string>('orders');
    const pays = d.inputTopic<string, string>('payments');
    pays.pipeInput('k', 'pay90', 90);
    orders.pipeInput('other', 'x', 105); // stream time 105
    orders.pipeInput('k', 'order100', 100); // out of order; pay90 is within [100 - 10, 100 + 10] and 90 + 20 >= 105: kept
    pays.pipeInput('k', 'pay70', 70); // 70 + 20 < 105: older than the buffers keep, late
    expect(d.outputTopic('paid', { key: str, value: str }).readRecordsToList()).toEqual([{ key: 'k', value: 'order100/pay90', timestamp: 100 }]);
    expect(d.outputTopic('late').readKeyValuesToList()).toEqual([['k', 'pay70']]);
  });

  test('stream-stream: a partner older than before + after + grace is not seen, whether or not expiry removed it yet', () => {
    const b = new StreamsBuilder('clip');
    const payments = b.stream('payments', { key: str, value: str });
    b.stream('orders', { key: str, value: str }).pipe(
      join(payments, (order, payment) => `${order}/${payment}`, { window: { beforeMs: 100, afterMs: 0 } }),
      to('paid', { key: str, value: str }),
    );
    const d = drive(b.build());
    d.inputTopic<string, string>('payments').pipeInput('k', 'pay0', 0);
    d.inputTopic<string, string>('orders').pipeInput('other', 'x', 150); // stream time 150: pay0 is out of retention (0 + 100 < 150)
    d.inputTopic<string, string>('orders').pipeInput('k', 'order60', 60); // 60 + 100 >= 150: not late, but pay0 is gone
    expect(d.outputTopic('paid', { key: str, value: str }).readRecordsToList()).toEqual([]);
  });

  test('a stream-stream join needs a window', () => {
    const b = new StreamsBuilder('x');
    const other = b.stream('b', { key: str, value: str });
    expect(() => b.stream('a', { key: str, value: str }).pipe(join(other, (x, y) => x + y, undefined as never))).toThrow(/needs a window/);
  });
});
