// A Redis connection set up for connectors: a command fails as soon as a
// connection attempt fails (maxRetriesPerRequest 0: in-flight and queued
// commands are rejected, never silently resent), so the connector runner's
// backoff is the one place that retries, reports and keeps offsets
// uncommitted. ioredis keeps reconnecting in the background; commands sent
// while it connects wait for the connection.
import type { Redis, RedisOptions } from 'ioredis';
import type * as Ioredis from 'ioredis';
import { optionalPackage } from '../optional-package';

export function redisConnection(url: string, options: RedisOptions = {}): Redis {
  const ioredis = optionalPackage<typeof Ioredis>('ioredis', 'redisConnection (the Redis connectors)', () => require('ioredis'));
  return new ioredis.Redis(url, {
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 2000),
    ...options,
  });
}
