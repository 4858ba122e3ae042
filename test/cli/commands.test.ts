// The `rill` tools (topic, produce, consume, group) against a real server,
// run in-process: output, exit codes and error sentences.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SchemaRegistry, EphemeralSchemaStorage, startSchemaRegistryServer, SchemaRegistryServer } from '../../core/schema';
import { runConsume } from '../../cli/consume-command';
import { runGroup } from '../../cli/group-command';
import { runProduce } from '../../cli/produce-command';
import { runTopic } from '../../cli/topic-command';
import { Kafka, logLevel } from 'kafkajs';
import { startTestCluster, TestCluster, waitFor } from '../core/protocol/harness';
import { fakeIO } from './fake-io';

let cluster: TestCluster;
let registryServer: SchemaRegistryServer;
let b: string[];

beforeAll(async () => {
  cluster = await startTestCluster();
  registryServer = await startSchemaRegistryServer({ registry: SchemaRegistry.open(new EphemeralSchemaStorage()), port: 0 });
  b = ['--bootstrap', cluster.bootstrap];
});

afterAll(async () => {
  await registryServer.close();
  await cluster.stop();
});

async function cli(run: (argv: string[], io: ReturnType<typeof fakeIO>) => Promise<number>, argv: string[], stdin = '') {
  const io = fakeIO(stdin);
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

test('topic create, list, describe, alter-config and delete', async () => {
  expect(await cli(runTopic, ['create', 'clicks', '--partitions', '3', '--config', 'retention.ms=3600000', ...b])).toMatchObject({
    code: 0,
    out: 'Created topic "clicks" with 3 partition(s).\n',
  });
  const again = await cli(runTopic, ['create', 'clicks', ...b]);
  expect(again.code).toBe(1);
  expect(again.err).toBe('rill topic: cannot create topic "clicks": Topic "clicks" already exists.\n');
  expect((await cli(runTopic, ['list', ...b])).out).toContain('clicks\t3 partition(s)\n');
  const described = await cli(runTopic, ['describe', 'clicks', ...b]);
  expect(described.out).toContain('Topic: clicks\tpartitions: 3');
  expect(described.out).toContain('retention.ms=3600000\t(override)');
  expect((await cli(runTopic, ['alter-config', 'clicks', '--set', 'cleanup.policy=compact', ...b])).code).toBe(0);
  const config = cluster.broker.describeTopic('clicks');
  expect(config._tag === 'Right' && config.right.configOverrides).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
  expect((await cli(runTopic, ['alter-config', 'clicks', '--delete', 'retention.ms', ...b])).code).toBe(0);
  const after = cluster.broker.describeTopic('clicks');
  expect(after._tag === 'Right' && after.right.configOverrides).toEqual({ 'cleanup.policy': 'compact' });
  expect((await cli(runTopic, ['delete', 'clicks', ...b])).code).toBe(0);
  expect(cluster.broker.listTopics()).not.toContain('clicks');
});

test('bad usage exits 2 with a pointer to the help; a missing topic exits 1 with a sentence', async () => {
  const bad = await cli(runTopic, ['frob', ...b]);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('unknown action "frob"');
  expect(bad.err).toContain('rill topic --help');
  expect((await cli(runProduce, ['--topic'])).code).toBe(2);
  const missing = await cli(runTopic, ['describe', 'nope', ...b]);
  expect(missing.code).toBe(1);
  expect(missing.err).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  const help = await cli(runConsume, ['--help']);
  expect(help.code).toBe(0);
  expect(help.out).toContain('--from-beginning');
  const down = await cli(runTopic, ['list', '--bootstrap', '127.0.0.1:1']);
  expect(down.code).toBe(1);
  expect(down.err).toContain('Is a broker running there?');
});

test('produce lines with keys and headers; consume them from the beginning, an offset and a timestamp', async () => {
  await cli(runTopic, ['create', 'lines', '--partitions', '2', ...b]);
  const before = Date.now();
  const produced = await cli(runProduce, ['--topic', 'lines', '--key-separator', ':', '--header', 'src=cli', ...b], 'u1:a\nu2:b\nu3:c\nu1:d\n');
  expect(produced).toMatchObject({ code: 0, err: 'Produced 4 record(s) to lines.\n' });
  const all = await cli(runConsume, ['--topic', 'lines', '--from-beginning', '--exit-at-end', '--format', 'json', ...b]);
  const records = all.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(records.map((r) => `${r.key}:${r.value}`).sort()).toEqual(['u1:a', 'u1:d', 'u2:b', 'u3:c']);
  expect(records.every((r) => r.headers.src === 'cli')).toBe(true);
  // Same key, same partition.
  expect(new Set(records.filter((r) => r.key === 'u1').map((r) => r.partition)).size).toBe(1);
  const u1Partition = records.find((r) => r.key === 'u1').partition;
  const fromOffset = await cli(runConsume, ['--topic', 'lines', '--partition', String(u1Partition), '--offset', '1', '--exit-at-end', ...b]);
  expect(fromOffset.out.trim().split('\n').pop()).toBe('d');
  const byTime = await cli(runConsume, ['--topic', 'lines', '--timestamp', String(before), '--exit-at-end', '--max-messages', '4', ...b]);
  expect(byTime.out.trim().split('\n').sort()).toEqual(['a', 'b', 'c', 'd']);
  const future = await cli(runConsume, ['--topic', 'lines', '--timestamp', new Date(Date.now() + 3_600_000).toISOString(), '--exit-at-end', ...b]);
  expect(future).toMatchObject({ code: 0, out: '' });
});

test('consume with a group commits; group describe shows lag; reset-offsets moves it back', async () => {
  await cli(runProduce, ['--topic', 'grouped', ...b], 'one\ntwo\nthree\n');
  const first = await cli(runConsume, ['--topic', 'grouped', '--group', 'g1', '--from-beginning', '--exit-at-end', ...b]);
  expect(first.out).toBe('one\ntwo\nthree\n');
  await cli(runProduce, ['--topic', 'grouped', ...b], 'four\n');
  const described = await cli(runGroup, ['describe', 'g1', ...b]);
  expect(described.out).toContain('Group: g1\tstate: Empty');
  expect(described.out).toContain('grouped\t0\t3\t4\t1\t-');
  const second = await cli(runConsume, ['--topic', 'grouped', '--group', 'g1', '--exit-at-end', ...b]);
  expect(second.out).toBe('four\n');
  expect((await cli(runGroup, ['list', ...b])).out).toContain('g1\tEmpty\tconsumer');
  const dry = await cli(runGroup, ['reset-offsets', 'g1', '--topic', 'grouped', '--to-offset', '1', '--dry-run', ...b]);
  expect(dry.out).toContain('Would reset');
  expect(cluster.broker.fetchOffsets('g1', [{ topic: 'grouped', partition: 0 }])[0].offset).toBe(4);
  expect((await cli(runGroup, ['reset-offsets', 'g1', '--topic', 'grouped', '--to-earliest', ...b])).code).toBe(0);
  expect(cluster.broker.fetchOffsets('g1', [{ topic: 'grouped', partition: 0 }])[0].offset).toBe(0);
  expect((await cli(runConsume, ['--topic', 'grouped', '--group', 'g1', '--exit-at-end', ...b])).out).toBe('one\ntwo\nthree\nfour\n');
});

test('Avro values: produce JSON lines with a schema (registered), consume them decoded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cli-'));
  const schemaFile = path.join(dir, 'click.avsc');
  fs.writeFileSync(
    schemaFile,
    JSON.stringify({
      type: 'record',
      name: 'Click',
      fields: [
        { name: 'user', type: 'string' },
        { name: 'n', type: 'int' },
      ],
    }),
  );
  const registry = ['--schema-registry', registryServer.url];
  const produced = await cli(
    runProduce,
    ['--topic', 'avro-clicks', '--avro-schema', schemaFile, ...registry, ...b],
    '{"user":"ada","n":1}\n{"user":"bob","n":2}\n',
  );
  expect(produced.code).toBe(0);
  // On the wire: Confluent framing (magic 0 + schema id).
  const [raw] = await cluster.broker.fetch({ partitions: [{ topic: 'avro-clicks', partition: 0, offset: 0, maxBytes: 1 << 20 }] });
  expect(raw.records.length).toBeGreaterThan(0);
  const consumed = await cli(runConsume, ['--topic', 'avro-clicks', '--from-beginning', '--exit-at-end', '--avro', ...registry, ...b]);
  expect(consumed.out).toBe('{"user":"ada","n":1}\n{"user":"bob","n":2}\n');
  const wrong = await cli(runProduce, ['--topic', 'avro-clicks', '--avro-schema', schemaFile, ...registry, ...b], '{"user":"ada"}\n');
  expect(wrong.code).toBe(1);
  expect(wrong.err).toContain('line 1: does not match the Avro schema (at n)');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('group describe shows an active member, its assignment and its lag; reset-offsets refuses a group with members', async () => {
  await cli(runTopic, ['create', 'watched', '--partitions', '2', ...b]);
  await cli(runProduce, ['--topic', 'watched', '--partition', '1', ...b], 'x\ny\n');
  const kafka = new Kafka({ clientId: 'watcher-client', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'watchers', maxWaitTimeInMs: 100 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topic: 'watched', fromBeginning: true });
  let seen = 0;
  await consumer.run({ autoCommit: false, eachMessage: async () => void seen++ });
  await waitFor(() => joined && seen === 2, 'the kafkajs member joined and read both records');
  const described = await cli(runGroup, ['describe', 'watchers', ...b]);
  expect(described.out).toContain('Group: watchers\tstate: Stable\tprotocol: RoundRobinAssigner\tmembers: 1');
  expect(described.out).toMatch(/watcher-client-[^\t]*\twatcher-client\twatched-0,watched-1/);
  // Nothing committed (autoCommit off): no committed offset, no lag figure, owner shown.
  expect(described.out).toMatch(/watched\t1\t-\t2\t-\twatcher-client-/);
  const refused = await cli(runGroup, ['reset-offsets', 'watchers', '--topic', 'watched', '--to-latest', ...b]);
  expect(refused.code).toBe(1);
  expect(refused.err).toContain('has 1 active member(s); stop its consumers');
  await consumer.disconnect();
});
