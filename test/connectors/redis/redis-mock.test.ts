// Redis sinks against ioredis-mock: fast, no server. The same cases run against
// a real redis-server in redis-server.integration.test.ts.
import { redisMock } from './mock';
import { describeRedisSinkCases } from './sink-cases';

describeRedisSinkCases('ioredis-mock', () => redisMock());
