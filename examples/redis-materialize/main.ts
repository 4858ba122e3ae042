// `npm run example:redis -- --redis redis://127.0.0.1:6379`: a pipeline on the
// embedded log counts page views per page into the topic views-per-page; the
// Redis table sink materializes that topic into Redis keys `views:<page>`.
// The pipeline writes a topic and the sink drains it: the primary way a Rill
// pipeline ends in an outside system (offsets are committed only after Redis
// acknowledged each batch). Starts no Redis itself: give --redis (or
// REDIS_URL); default redis://127.0.0.1:6379.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Redis } from 'ioredis';
import { Rill } from '../../core/client';
import { RillStreams, silentLogger } from '../../dsl';
import { ConnectorRunner, redisConnection, redisTableSink, type BackoffOptions } from '../../connectors';
import { PAGE_VIEWS, VIEWS_PER_PAGE, viewsPerPageTopology, type PageView } from './topology';

const SAMPLE: PageView[] = [
  { page: '/home', user: 'ada' },
  { page: '/docs', user: 'ada' },
  { page: '/home', user: 'alan' },
  { page: '/pricing', user: 'grace' },
  { page: '/home', user: 'grace' },
  { page: '/docs', user: 'linus' },
];

export async function runRedisMaterialize(
  dir: string,
  redis: Redis,
  views: readonly PageView[] = SAMPLE,
  print: (s: string) => void = console.log,
  retry: BackoffOptions = {},
): Promise<Record<string, string>> {
  const rill = Rill.open({ dir });
  try {
    const existing = await rill.admin.listTopics();
    for (const name of [PAGE_VIEWS, VIEWS_PER_PAGE]) if (!existing.includes(name)) await rill.admin.createTopics([{ name, partitions: 2 }]);
    await rill.producer().send(
      PAGE_VIEWS,
      views.map((v) => ({ key: v.user, value: JSON.stringify(v) })),
    );

    // 1. The pipeline: page views -> counts per page -> topic views-per-page.
    const app = new RillStreams(viewsPerPageTopology(), { log: rill, logger: silentLogger, commitIntervalMs: 100 });
    // 2. The Redis sink drains views-per-page into keys views:<page>.
    const runner = new ConnectorRunner({ log: rill, logger: silentLogger });
    const sink = runner.sink(redisTableSink<string, number>({ redis, keyPrefix: 'views:' }), { topics: [VIEWS_PER_PAGE], retry });
    await runner.start();
    try {
      try {
        await app.start();
        await app.waitUntilCaughtUp();
      } finally {
        // Stopping the app flushes its last counts to views-per-page...
        await app.stop();
      }
      // ...and the sink, running all along, catches up with them.
      await sink.waitUntilCaughtUp();
    } finally {
      await runner.stop();
    }

    const keys = (await redis.keys('views:*')).sort();
    const values = keys.length ? await redis.mget(...keys) : [];
    const result = Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
    print('views per page, as materialized in Redis:');
    for (const [k, v] of Object.entries(result)) print(`  ${k.padEnd(16)} ${v}`);
    return result;
  } finally {
    await rill.close();
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--redis');
  const url = i > 0 ? process.argv[i + 1] : (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-redis-example-'));
  const redis = redisConnection(url, { maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 3 ? null : 200) });
  redis.on('error', () => undefined);
  // A demo gives up after a few tries (a service would retry for ever, the default).
  runRedisMaterialize(dir, redis, SAMPLE, console.log, { maxAttempts: 4 })
    .catch((e: Error) => {
      console.error(`redis-materialize failed: ${e.message}\n(is Redis running at ${url}? start one with: redis-server --port 6379, or pass --redis <url>)`);
      process.exitCode = 1;
    })
    .finally(() => {
      redis.disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    });
}
