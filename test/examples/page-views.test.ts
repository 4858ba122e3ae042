import { avroSerde, orThrow, stringSerde } from '../../core/schema';
import { TopologyTestDriver } from '../../dsl';
import { runPageViews } from '../../examples/page-views/main';
import { LATE, PER_MINUTE, PageView, PageViewCount, VIEWS, pageViewsTopology } from '../../examples/page-views/topology';
import { tempDirs } from '../support/tmp-dir';

const dirs = tempDirs('example-page-views');
afterAll(() => dirs.removeAll());

test('page views per minute in the test driver: Avro in and out, event time from the record, grace, late views', () => {
  const d = new TopologyTestDriver(pageViewsTopology());
  const input = d.inputTopic(VIEWS);
  const view = (url: string, seconds: number) => input.pipeInput('user', { url, userId: 'user', viewedAt: seconds * 1000 }, 0);
  view('/a', 10);
  view('/a', 65);
  view('/b', 59); // out of order, within grace
  view('/a', 70); // stream time 70 s: minute 0 closes (60 + 10 <= 70)
  view('/b', 5); // late
  view('/a', 200); // closes minute 1
  expect(d.outputTopic(PER_MINUTE, { key: stringSerde(), value: avroSerde(PageViewCount) }).readRecordsToList()).toEqual([
    { key: '/a', value: { url: '/a', minuteStart: 0, views: 1 }, timestamp: 59_999 },
    { key: '/b', value: { url: '/b', minuteStart: 0, views: 1 }, timestamp: 59_999 },
    { key: '/a', value: { url: '/a', minuteStart: 60_000, views: 2 }, timestamp: 119_999 },
  ]);
  const late = d.outputTopic(LATE).readRecordsToList();
  expect(late.map((r) => r.value)).toEqual([{ url: '/b', userId: 'user', viewedAt: 5000 }]);
  // The record's own timestamp (0) is not its event time: viewedAt is.
  expect(orThrow(avroSerde(PageView).serialize({ url: '/x', userId: 'u', viewedAt: 1 })).length).toBeGreaterThan(0);
});

test('npm run example:page-views on the embedded log', async () => {
  const results = await runPageViews(dirs.make(), () => undefined);
  expect(results).toEqual([
    { url: '/home', minute: '12:00', views: 3 },
    { url: '/docs', minute: '12:00', views: 1 },
    { url: '/home', minute: '12:01', views: 1 },
    { url: '/docs', minute: '12:01', views: 1 },
    { url: '/docs', minute: '12:02', views: 1 },
  ]);
});
