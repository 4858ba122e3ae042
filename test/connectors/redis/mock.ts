// ioredis-mock typed as ioredis: it ships no types, and mirrors ioredis' API
// (without XGROUP/XREADGROUP/XACK in 8.13). Instances share one in-memory
// Redis per process: flush it at the start of a test.
import type { Redis } from 'ioredis';

const RedisMock = require('ioredis-mock') as new () => Redis;

export function redisMock(): Redis {
  return new RedisMock();
}
