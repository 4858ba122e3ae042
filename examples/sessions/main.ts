// `npm run example:sessions`: user sessions (session windows) on the embedded log.
import { jsonSerde, stringSerde } from '../../core/schema';
import { windowedSerde } from '../../dsl';
import type { LogClient } from '../../core/client';
import { readTopic, runExample, runMain } from '../support/run-example';
import { CLICKS, SESSIONS, sessionsTopology, type SessionSummary } from './topology';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (minutes: number) => T0 + minutes * 60_000;

/** [user, page, minutes after 10:00], in arrival order. */
export const SAMPLE_CLICKS: [string, string, number][] = [
  ['ada', '/home', 0],
  ['ada', '/docs', 2],
  ['bob', '/home', 3],
  ['bob', '/pricing', 6],
  ['ada', '/docs', 4], // out of order (stream time is 10:06): joins ada's first session
  ['ada', '/blog', 12], // more than 5 min after 10:04: a new session
  ['bob', '/home', 7], // at stream time 10:12, bob's session [10:03, 10:06] is open until just after 10:12 (end + 5 gap + 1 grace): it joins
  ['ada', '/home', 30], // closes everything before 10:24
];

/** On `target`: a directory (the embedded log) or any LogClient. */
export async function runSessions(target: string | LogClient, print: (s: string) => void = console.log) {
  const sessions: { user: string; from: string; to: string; summary: SessionSummary }[] = [];
  const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
  await runExample(
    {
      topology: sessionsTopology(),
      inputs: [
        { topic: CLICKS, partitions: 1, records: SAMPLE_CLICKS.map(([user, page, m]) => ({ key: user, value: JSON.stringify({ page }), timestamp: at(m) })) },
      ],
    },
    target,
    async (log) => {
      for (const r of await readTopic(log, SESSIONS, windowedSerde(stringSerde()), jsonSerde<SessionSummary>())) {
        sessions.push({ user: r.key!.key, from: hhmm(r.key!.window.start), to: hhmm(r.key!.window.end), summary: r.value! });
      }
      print('closed user sessions (gap 5 min, grace 1 min):');
      for (const s of sessions) print(`  ${s.user.padEnd(4)} ${s.from}-${s.to}  ${s.summary.clicks} clicks  ${s.summary.pages.join(' ')}`);
    },
  );
  return sessions;
}

if (require.main === module) runMain('sessions', (dir) => runSessions(dir));
