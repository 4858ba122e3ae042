import { jsonSerde, stringSerde } from '../../core/schema';
import { TopologyTestDriver, windowedSerde } from '../../dsl';
import { runSessions } from '../../examples/sessions/main';
import { CLICKS, SESSIONS, sessionsTopology } from '../../examples/sessions/topology';
import { tempDirs } from '../support/tmp-dir';

const dirs = tempDirs('example-sessions');
afterAll(() => dirs.removeAll());

test('sessions in the test driver: one final summary per closed session', () => {
  const d = new TopologyTestDriver(sessionsTopology());
  const click = (user: string, page: string, minute: number) => d.inputTopic(CLICKS).pipeInput(user, { page }, minute * 60_000);
  click('u', '/a', 0);
  click('u', '/b', 4);
  click('u', '/a', 20); // new session; closes [0, 4] (4 + 5 + 1 < 20)
  click('u', '/c', 27); // new session; closes [20, 20]
  expect(d.outputTopic(SESSIONS, { key: windowedSerde(stringSerde()), value: jsonSerde() }).readKeyValuesToList()).toEqual([
    [
      { key: 'u', window: { start: 0, end: 4 * 60_000 } },
      { clicks: 2, pages: ['/a', '/b'] },
    ],
    [
      { key: 'u', window: { start: 20 * 60_000, end: 20 * 60_000 } },
      { clicks: 1, pages: ['/a'] },
    ],
  ]);
});

test('npm run example:sessions on the embedded log', async () => {
  const sessions = await runSessions(dirs.make(), () => undefined);
  expect(sessions.map((s) => `${s.user} ${s.from}-${s.to} ${s.summary.clicks} ${s.summary.pages.join(',')}`)).toEqual([
    'ada 10:00-10:04 3 /home,/docs',
    'bob 10:03-10:07 3 /home,/pricing',
    'ada 10:12-10:12 1 /blog',
  ]);
});
