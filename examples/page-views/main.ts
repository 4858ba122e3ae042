// `npm run example:page-views`: page views per URL per minute on the embedded log.
import { avroSerde, orThrow, stringSerde } from '../../core/schema';
import type { LogClient } from '../../core/client';
import { readTopic, runExample, runMain } from '../support/run-example';
import { LATE, MINUTE, PER_MINUTE, PageView, PageViewCount, VIEWS, pageViewsTopology } from './topology';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** [url, seconds after 12:00:00] in arrival order: some out of order, one too late. */
export const SAMPLE_VIEWS: [string, number][] = [
  ['/home', 5],
  ['/docs', 20],
  ['/home', 45],
  ['/home', 62], // 12:01 begins
  ['/home', 58], // out of order, within the 10 s grace of 12:00's window
  ['/docs', 75],
  ['/home', 30], // stream time 75 > 12:01:00 + 10 s: 12:00's window is closed, late
  ['/docs', 130], // 12:02: closes 12:01's window
  ['/home', 200], // 12:03: closes 12:02's window
];

/** On `target`: a directory (the embedded log) or any LogClient. */
export async function runPageViews(target: string | LogClient, print: (s: string) => void = console.log) {
  const serde = avroSerde(PageView);
  const results: { url: string; minute: string; views: number }[] = [];
  await runExample(
    {
      topology: pageViewsTopology(),
      inputs: [
        {
          topic: VIEWS,
          partitions: 1,
          records: SAMPLE_VIEWS.map(([url, s], i) => ({
            key: `user-${i % 3}`,
            value: orThrow(serde.serialize({ url, userId: `user-${i % 3}`, viewedAt: T0 + s * 1000 })),
          })),
        },
      ],
    },
    target,
    async (log) => {
      for (const r of await readTopic(log, PER_MINUTE, stringSerde(), avroSerde(PageViewCount))) {
        results.push({ url: r.value!.url, minute: new Date(r.value!.minuteStart).toISOString().slice(11, 16), views: r.value!.views });
      }
      const late = await readTopic(log, LATE, stringSerde(), stringSerde());
      print(`page views per URL per minute (tumbling ${MINUTE / 1000} s windows, grace 10 s, final results only):`);
      for (const r of results) print(`  ${r.minute}  ${r.url.padEnd(6)} ${r.views}`);
      print(`${late.length} late view(s) in ${LATE}; windows still open at the end (12:03) are not final yet.`);
    },
  );
  return results;
}

if (require.main === module) runMain('page-views', (dir) => runPageViews(dir));
