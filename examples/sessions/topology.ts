// User sessions: clicks keyed by user, grouped into session windows (a session
// ends after 5 minutes without a click; 1 minute of grace for stragglers),
// aggregated into clicks and pages visited, one final result per session.
import { jsonSerde, stringSerde } from '../../core/schema';
import { StreamsBuilder, aggregate, mapValues, to, session, windowedSerde, type Topology } from '../../dsl';

export interface Click {
  page: string;
}
export interface SessionSummary {
  clicks: number;
  pages: string[];
}

export const CLICKS = 'clicks';
export const SESSIONS = 'user-sessions';
export const GAP = 5 * 60_000;

export function sessionsTopology(applicationId = 'sessions'): Topology {
  const b = new StreamsBuilder(applicationId);
  b.stream(CLICKS, { key: stringSerde(), value: jsonSerde<Click>() }).pipe(
    aggregate(
      (): SessionSummary => ({ clicks: 0, pages: [] }),
      (_user, click, s) => ({ clicks: s.clicks + 1, pages: s.pages.includes(click.page) ? s.pages : [...s.pages, click.page] }),
      {
        store: 'sessions',
        window: session(GAP, { graceMs: 60_000 }),
        emit: 'final',
        merger: (_user, a, b) => ({ clicks: a.clicks + b.clicks, pages: [...new Set([...a.pages, ...b.pages])] }),
        valueSerde: jsonSerde<SessionSummary>(),
      },
    ),
    mapValues((s) => s!),
    to(SESSIONS, { key: windowedSerde(stringSerde()), value: jsonSerde<SessionSummary>() }),
  );
  return b.build();
}
