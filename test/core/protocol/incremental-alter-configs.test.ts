// IncrementalAlterConfigs (44) on `rill broker`, as Kafka's own tools send it:
// @platformatic/kafka's admin sets, appends to, subtracts from and deletes a
// topic's overrides, keys not named keep their values; a malformed operation
// is refused with a clear error and changes nothing.
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { apis, KafkaConnection } from '../../../core/protocol';
import { killAll, run } from './children';
import { startTestCluster, TestCluster } from './harness';

const PLATFORMATIC = path.join(__dirname, 'platformatic-client.mjs');
const INVALID_CONFIG = 40;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
  const kafka = new Kafka({ clientId: 'incremental', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'tuned', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1048576' }] }] });
  await admin.disconnect();
});

afterAll(async () => {
  killAll();
  await cluster.stop();
});

/** The topic's overrides after `ops`, through @platformatic/kafka in a child process. */
async function alter(ops: { name: string; configOperation: number; value?: string }[]): Promise<Record<string, string>> {
  const r = await run(process.execPath, [PLATFORMATIC, 'configs', cluster.bootstrap, 'tuned', JSON.stringify(ops)], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`platformatic configs failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
}

test('SET, APPEND, SUBTRACT and DELETE change only the keys they name', async () => {
  expect(await alter([{ name: 'retention.ms', configOperation: 0, value: '120000' }, { name: 'cleanup.policy', configOperation: 2, value: 'compact' }])).toEqual({
    'segment.bytes': '1048576',
    'retention.ms': '120000',
    'cleanup.policy': 'compact,delete',
  });
  expect(await alter([{ name: 'retention.ms', configOperation: 1 }, { name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).toEqual({
    'segment.bytes': '1048576',
    'cleanup.policy': 'compact',
  });
});

test('an operation that cannot apply is refused with the reason, and nothing changes', async () => {
  const c = await KafkaConnection.connect(cluster.bootstrap, { timeoutMs: 10_000 });
  try {
    const r = await c.request<apis.IncrementalAlterConfigsResponse>(apis.incrementalAlterConfigs, {
      resources: [{ resourceType: 2, resourceName: 'tuned', configs: [{ name: 'segment.bytes', configOperation: 0, value: '2097152' }, { name: 'retention.ms', configOperation: 2, value: '5' }] }],
      validateOnly: false,
    });
    expect(r.responses[0]).toMatchObject({ errorCode: INVALID_CONFIG, errorMessage: expect.stringContaining('retention.ms is not a list') });
  } finally {
    c.close();
  }
  expect(await alter([])).toEqual({ 'segment.bytes': '1048576', 'cleanup.policy': 'compact' });
});
