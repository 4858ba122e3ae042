// kcat (librdkafka) against a real `rill` Kafka server: -L metadata, -P produce,
// -C consume, -G group consume.
import { killAll, run } from './children';
import { startTestCluster, TestCluster } from './harness';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterAll(async () => {
  killAll();
  await cluster.stop();
});

const kcat = (args: string[], input?: string) => run('kcat', ['-b', cluster.bootstrap, ...args], { input, timeoutMs: 30000 });

test('kcat -L lists this broker as controller and the topics with their partitions', async () => {
  cluster.broker.createTopic({ name: 'listed', partitions: 3 });
  const r = await kcat(['-L']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`broker ${cluster.broker.nodeId} at ${cluster.bootstrap} (controller)`);
  expect(r.stdout).toContain('topic "listed" with 3 partitions:');
  expect(r.stdout).toMatch(/partition 2, leader 0, replicas: 0, isrs: 0/);
});

test('kcat -P then -C reads back keys, values and headers exactly', async () => {
  const lines = Array.from({ length: 20 }, (_, i) => `key${i}\tvalue ${i} ünïcode`);
  const p = await kcat(['-P', '-t', 'kcat-topic', '-K', '\t', '-H', 'origin=kcat'], lines.join('\n') + '\n');
  expect(p.code).toBe(0);
  const c = await kcat(['-C', '-t', 'kcat-topic', '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\t%h\t%o\n']);
  expect(c.code).toBe(0);
  const got = c.stdout.trim().split('\n');
  expect(got).toEqual(lines.map((l, i) => `${l}\torigin=kcat\t${i}`));
});

test('kcat -C from an offset stops at the end', async () => {
  const c = await kcat(['-C', '-t', 'kcat-topic', '-o', '15', '-e', '-q', '-f', '%o\n']);
  expect(c.stdout.trim().split('\n')).toEqual(['15', '16', '17', '18', '19']);
});

test('kcat -G consumes as a group member and commits, so a second run reads nothing old', async () => {
  await kcat(['-P', '-t', 'kcat-group-topic'], 'one\ntwo\nthree\n');
  const first = await kcat(['-G', 'kcat-group', 'kcat-group-topic', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
  expect(first.code).toBe(0);
  expect(first.stdout.trim().split('\n')).toEqual(['one', 'two', 'three']);
  const committed = cluster.broker.fetchOffsets('kcat-group', [{ topic: 'kcat-group-topic', partition: 0 }]);
  expect(committed[0].offset).toBe(3);
  await kcat(['-P', '-t', 'kcat-group-topic'], 'four\n');
  const second = await kcat(['-G', 'kcat-group', 'kcat-group-topic', '-e', '-q', '-f', '%s\n']);
  expect(second.stdout.trim().split('\n')).toEqual(['four']);
});
