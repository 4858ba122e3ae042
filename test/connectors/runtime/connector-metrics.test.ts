// Connector metrics: records and errors per connector, read by a real
// Prometheus text parser from the runner's registry as a source writes good
// and bad input (skipped under its policy).
import { ConnectorRunner, type SourceConnector, type SourcePoll } from '../../../connectors';
import { metricsRegistry } from '../../../core/metrics';
import { memoryLogger } from '../../../dsl';
import { openTempRill, type TempRill } from '../support';
import { Scrape } from '../../support/scrape';

let t: TempRill;
beforeEach(() => {
  t = openTempRill();
});
afterEach(async () => {
  await t.close();
});

test('records and bad records are counted per connector', async () => {
  const polls: SourcePoll<string, unknown, number>[] = [
    {
      kind: 'entries',
      entries: [
        { kind: 'record', record: { key: 'k1', value: 1 }, position: 1 },
        { kind: 'bad', reason: 'line 2 is not JSON', raw: Buffer.from('garbage'), position: 2 },
        { kind: 'record', record: { key: 'k3', value: 3 }, position: 3 },
      ],
      end: true,
    },
  ];
  const source: SourceConnector<string, unknown, number> = {
    name: 'lines',
    poll: async () => polls.shift() ?? { kind: 'entries', entries: [], end: true },
    acknowledge: async () => undefined,
  };
  const registry = metricsRegistry();
  const runner = new ConnectorRunner({ log: t.rill, logger: memoryLogger(), metrics: registry });
  runner.source(source, { topic: 'in', partitions: 1, badRecords: 'skip' });

  const before = Scrape.parse(await registry.metrics());
  expect(before.value('rill_connector_records_total', { connector: 'lines' })).toBe(0);
  expect(before.value('rill_connector_record_errors_total', { connector: 'lines' })).toBe(0);

  await runner.start();
  await runner.done;
  const after = Scrape.parse(await registry.metrics());
  expect(after.value('rill_connector_records_total', { connector: 'lines' })).toBe(2);
  expect(after.value('rill_connector_record_errors_total', { connector: 'lines' })).toBe(1);
  expect(after.value('rill_connector_dead_lettered_records_total', { connector: 'lines' })).toBe(0);
  expect(after.value('rill_connector_failed', { connector: 'lines' })).toBe(0);
});
