// The redis-materialize example end to end: pipeline on the embedded log,
// Redis table sink into ioredis-mock.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { redisMock } from './redis/mock';
import { runRedisMaterialize } from '../../examples/redis-materialize/main';

test('page views counted by the pipeline end up as Redis keys', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-redis-example-'));
  const redis = redisMock();
  await redis.flushall();
  try {
    const lines: string[] = [];
    const result = await runRedisMaterialize(dir, redis, undefined, (l) => lines.push(l));
    expect(result).toEqual({ 'views:/docs': '2', 'views:/home': '3', 'views:/pricing': '1' });
    expect(lines[0]).toBe('views per page, as materialized in Redis:');
  } finally {
    redis.disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
