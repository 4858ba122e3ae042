// `npm run example:nexmark [-- --query q5 --events 20000]`: generates Nexmark
// events, writes them to `nexmark-events` (4 partitions) on the embedded log,
// runs one query until it has caught up, and prints a few of its results.
import { Rill } from '../../core/client';
import { runMain } from '../support/run-example';
import { generateEvents } from './generator';
import { QUERIES, type QueryName } from './queries';
import { readOutput, runQuery, writeEvents } from './run';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export async function runNexmark(dir: string, query: QueryName, events: number, print: (s: string) => void = console.log) {
  const rill = Rill.open({ dir });
  try {
    // 1000 events per second of event time: 20 000 events span 20 s, so the 10 s windows close.
    await writeEvents(rill, generateEvents(events, { eventsPerSecond: 1000 }), 4);
    const run = await runQuery(rill, query, { maxAuctionLengthMs: 3_400 }, { commitIntervalMs: 200 });
    const out = await readOutput(rill, query);
    print(`${query}: ${events} events in ${run.wallSeconds.toFixed(2)} s (${run.cpuSeconds.toFixed(2)} s CPU), ${out.length} results, for example:`);
    for (const r of out.slice(0, 5)) print(`  ${JSON.stringify(r.key)} -> ${JSON.stringify(r.value)}`);
    return out;
  } finally {
    await rill.close();
  }
}

if (require.main === module) {
  const query = (arg('query') ?? 'q5') as QueryName;
  if (!QUERIES.includes(query)) throw new Error(`--query must be one of ${QUERIES.join(', ')}`);
  runMain('nexmark', (dir) => runNexmark(dir, query, Number(arg('events') ?? 20_000)));
}
