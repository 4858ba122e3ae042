import { jsonSerde, stringSerde } from '../../../core/schema';
import { StreamsBuilder, count, flatMapValues, join, selectKey, to, tumbling } from '../../../dsl';

test('describe() prints sources, sub-topologies split at repartition topics, stores with changelogs, sinks', () => {
  const b = new StreamsBuilder('shop');
  const customers = b.table('customers', { key: stringSerde(), value: jsonSerde<{ name: string }>(), store: 'customers' });
  b.stream('orders', { key: stringSerde(), value: jsonSerde<{ customer: string }>() }).pipe(
    selectKey((r) => r.value.customer, { keySerde: stringSerde() }),
    join(customers, (o, c) => ({ ...o, name: c.name })),
    to('enriched'),
  );
  b.stream('clicks', { key: stringSerde(), value: stringSerde() }).pipe(
    count({ store: 'clicks', window: tumbling(60_000, { graceMs: 5000 }), emit: 'final', lateRecords: { deadLetterTopic: 'late-clicks' } }),
  );
  b.stream('lines', { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((l) => l.split(' ')),
    count({ store: 'volatile', changelog: false }),
  );
  expect(b.build().describe()).toBe(
    [
      'Topology of application "shop"',
      '  Sub-topology 0',
      '    Source: source-0000000000 (topic: customers, table; key string, value json)',
      '      --> toTable-0000000001',
      '    Processor: toTable-0000000001 (stores: [customers])',
      '      <-- source-0000000000',
      '    Source: source-0000000005 (topic: shop-join-0-repartition, repartition; key string, value json)',
      '      --> join-0000000006',
      '    Processor: join-0000000006 (stream-table with customers; reads: [toTable-0000000001])',
      '      <-- source-0000000005',
      '      --> to-0000000007',
      '    Processor: to-0000000007 (key json, value json; to: enriched)',
      '      <-- join-0000000006',
      '  Sub-topology 1',
      '    Source: source-0000000002 (topic: orders; key string, value json)',
      '      --> selectKey-0000000003',
      '    Processor: selectKey-0000000003',
      '      <-- source-0000000002',
      '      --> repartition-0000000004',
      '    Processor: repartition-0000000004 (to: shop-join-0-repartition)',
      '      <-- selectKey-0000000003',
      '  Sub-topology 2',
      '    Source: source-0000000008 (topic: clicks; key string, value string)',
      '      --> count-0000000009',
      '    Processor: count-0000000009 (tumbling 60000 ms, grace 5000 ms, emit final; stores: [clicks, clicks-stream-time]; dead letters to: late-clicks)',
      '      <-- source-0000000008',
      '  Sub-topology 3',
      '    Source: source-0000000010 (topic: lines; key string, value string)',
      '      --> flatMapValues-0000000011',
      '    Processor: flatMapValues-0000000011',
      '      <-- source-0000000010',
      '      --> count-0000000012',
      '    Processor: count-0000000012 (stores: [volatile])',
      '      <-- flatMapValues-0000000011',
      '  Repartition topics: shop-join-0-repartition',
      '  Stores:',
      '    customers (key-value; key string, value json; changelog: source topic customers)',
      '    clicks (window; key string, value json; changelog: shop-clicks-changelog)',
      '    clicks-stream-time (key-value; key string, value json; changelog: shop-clicks-stream-time-changelog)',
      '    volatile (key-value; key string, value json; NO CHANGELOG (opted out: state is lost on restart))',
      '  Sinks: enriched',
      '  Dead-letter topics: late-clicks',
    ].join('\n'),
  );
});

test('declaration errors are clear', () => {
  expect(() => new StreamsBuilder('bad name')).toThrow(/may only hold letters/);
  const b = new StreamsBuilder('x');
  b.stream('t');
  expect(() => b.stream('t')).toThrow(/already a source/);
  b.stream('u').pipe(count({ store: 's' }));
  b.stream('v').pipe(count({ store: 's' }));
  expect(() => b.build()).toThrow(/Store name "s" is used by two operators/);
  expect(() => tumbling(0)).toThrow(/positive integer/);
});
