// Issue 20 items 8-10: help per subcommand from the flag declarations (defaults
// shown), `rill --version`, --format json on listing and describe commands,
// Kafka's flag names, the rpk/Kafka-tool features (topic add-partitions and
// trim-prefix, group delete and seek) and errors that say what to do.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runConsume } from '../../cli/consume-command';
import { runGroup } from '../../cli/group-command';
import { runProduce } from '../../cli/produce-command';
import { runTopic } from '../../cli/topic-command';
import { runCluster } from '../../cli/cluster-status-command';
import { runDemo } from '../../cli/demo';
import { startTestCluster, TestCluster } from '../core/protocol/harness';
import { fakeIO } from './fake-io';

const ROOT = path.resolve(__dirname, '../..');
let cluster: TestCluster;
let b: string[];

beforeAll(async () => {
  cluster = await startTestCluster();
  b = ['--bootstrap-server', cluster.bootstrap];
});

afterAll(async () => {
  await cluster.stop();
});

async function cli(run: (argv: string[], io: ReturnType<typeof fakeIO>) => Promise<number>, argv: string[], stdin = '') {
  const io = fakeIO(stdin);
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('help and version', () => {
  test('rill --version and rill version print the package version', () => {
    const { version } = require('../../package.json');
    for (const args of [['--version'], ['version']]) {
      const r = spawnSync(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 50_000 });
      expect({ args, status: r.status, out: r.stdout }).toEqual({ args, status: 0, out: `rill ${version}\n` });
    }
  });

  test('each subcommand explains itself, with its own flags and their defaults', async () => {
    const create = await cli(runTopic, ['create', '--help']);
    expect(create.code).toBe(0);
    expect(create.out).toContain('rill topic create NAME');
    expect(create.out).toMatch(/--partitions N +create: partition count \(default 1\)/);
    expect(create.out).toMatch(/--replication-factor N[^]*\(default the broker's\s+default\)/);
    expect(create.out).not.toContain('--set');
    expect(create.out).toContain('--bootstrap, --bootstrap-server HOST:PORT,...');
    const produce = await cli(runProduce, ['--help']);
    expect(produce.out).toMatch(/--linger-ms N[^]*\(default 100\)/);
    expect(produce.out).toMatch(/--batch-size N +records per batch \(default 500\)/);
    const seek = await cli(runGroup, ['seek', '--help']);
    expect(seek.out).toContain('--to start|end|T');
    expect(seek.out).not.toContain('--to-earliest');
    expect((await cli(runCluster, ['partitions', '--help'])).out).toContain('--under-replicated');
    const demo = await cli(runDemo, ['--help']);
    expect(demo).toMatchObject({ code: 0, out: expect.stringContaining('--records N') });
    expect(demo.out).toContain('(default 100000)');
  });

  test('rill demo leaves no directory of its own behind', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await runDemo(['--records', '1000'], fakeIO())).toBe(0);
      const dir = /to the log in (\S+)/.exec(log.mock.calls.map((c) => String(c[0])).join('\n'))![1];
      expect(fs.existsSync(dir)).toBe(false);
    } finally {
      log.mockRestore();
    }
  });

  test('bad flags are usage errors (exit 2) naming the flag', async () => {
    expect(await cli(runTopic, ['list', '--nope', ...b])).toMatchObject({ code: 2, err: expect.stringContaining('unknown flag "--nope"') });
    expect(await cli(runTopic, ['create', 'x', '--partitions', 'many', ...b])).toMatchObject({
      code: 2,
      err: expect.stringContaining('flag "--partitions" needs a number, got "many"'),
    });
    expect(await cli(runTopic, ['list', '--format', 'yaml', ...b])).toMatchObject({ code: 2, err: expect.stringContaining('--format must be text or json') });
  });
});

describe('Kafka tool conventions', () => {
  test('--topic, --group and --bootstrap-server as kafka-topics.sh and kafka-consumer-groups.sh take them; --format json', async () => {
    expect((await cli(runTopic, ['create', '--topic', 'conv', '--partitions', '2', ...b])).code).toBe(0);
    const listed = JSON.parse((await cli(runTopic, ['list', '--format', 'json', ...b])).out);
    expect(listed).toContainEqual({ name: 'conv', partitions: 2, internal: false });
    expect((await cli(runProduce, ['--topic', 'conv', '--partition', '1', ...b], 'a\nb\nc\n')).code).toBe(0);
    const described = JSON.parse((await cli(runTopic, ['describe', '--topic', 'conv', '--format', 'json', ...b])).out);
    expect(described.name).toBe('conv');
    expect(
      described.partitions.map((p: { partition: number; logStartOffset: number; highWatermark: number }) => [p.partition, p.logStartOffset, p.highWatermark]),
    ).toEqual([
      [0, 0, 0],
      [1, 0, 3],
    ]);
    expect(described.configs.length).toBeGreaterThan(0);

    expect((await cli(runConsume, ['--topic', 'conv', '--group', 'conv-readers', '--from-beginning', '--exit-at-end', ...b])).out).toBe('a\nb\nc\n');
    // Internal topics only when asked for (Issue 20 item 15: the same on a single broker and a cluster).
    expect((await cli(runTopic, ['list', ...b])).out).not.toContain('__consumer_offsets');
    expect((await cli(runTopic, ['list', '--internal', ...b])).out).toMatch(/^__consumer_offsets\t\d+ partition\(s\)\t\(internal\)$/m);
    const groups = JSON.parse((await cli(runGroup, ['list', '--format', 'json', ...b])).out);
    expect(groups).toContainEqual(expect.objectContaining({ group: 'conv-readers' }));
    const group = JSON.parse((await cli(runGroup, ['describe', '--group', 'conv-readers', '--format', 'json', ...b])).out);
    expect(group).toMatchObject({ group: 'conv-readers', members: [] });
    expect(group.offsets).toContainEqual({ topic: 'conv', partition: 1, committed: 3, logEnd: 3, lag: 0, member: null });
  });

  test("--command-config FILE: a Kafka client properties file's bootstrap.servers, other keys warned about", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-command-config-'));
    try {
      const file = path.join(dir, 'client.properties');
      fs.writeFileSync(file, `bootstrap.servers=127.0.0.1:1,${cluster.bootstrap}\nsecurity.protocol=PLAINTEXT\nclient.id=tools\n`);
      const r = await cli(runTopic, ['list', '--command-config', file]);
      expect(r.code).toBe(0);
      expect(r.out).toContain('conv\t2 partition(s)');
      expect(r.err).toMatch(new RegExp(`^rill: warning: ${file}: "client.id" is not used \\(the tools read bootstrap.servers, security.protocol, [^)]*\\)\n$`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('topic add-partitions and trim-prefix (delete-records)', async () => {
    expect((await cli(runTopic, ['create', 'grow', ...b])).code).toBe(0);
    expect(await cli(runTopic, ['add-partitions', 'grow', '--partitions', '3', ...b])).toMatchObject({
      code: 0,
      out: 'Topic "grow" now has 3 partition(s).\n',
    });
    expect(JSON.parse((await cli(runTopic, ['describe', 'grow', '--format', 'json', ...b])).out).partitions).toHaveLength(3);
    expect((await cli(runProduce, ['--topic', 'grow', '--partition', '0', ...b], '1\n2\n3\n4\n5\n6\n')).code).toBe(0);
    expect(await cli(runTopic, ['trim-prefix', 'grow', '--offset', '4', '--partition', '0', ...b])).toMatchObject({
      code: 0,
      out: 'PARTITION\tLOG-START\n0\t4\n',
    });
    expect((await cli(runConsume, ['--topic', 'grow', '--partition', '0', '--from-beginning', '--exit-at-end', ...b])).out).toBe('5\n6\n');
    expect(await cli(runTopic, ['delete-records', 'grow', '--offset', '-1', ...b])).toMatchObject({ code: 0, out: 'PARTITION\tLOG-START\n0\t6\n1\t0\n2\t0\n' });
    // Past the log end (docs/cli.md's example on a fresh topic): the valid offsets, not a bare error code.
    expect(await cli(runTopic, ['trim-prefix', 'grow', '--offset', '1000', '--partition', '0', ...b])).toMatchObject({
      code: 1,
      err: 'rill topic: cannot delete records of grow-0 before offset 1000: its log ends at offset 6; give --offset from 0 to 6, or -1 for all\n',
    });
  });

  test('group seek to start, end and a timestamp; group delete-offsets and delete', async () => {
    expect((await cli(runTopic, ['create', 'seekable', ...b])).code).toBe(0);
    expect((await cli(runProduce, ['--topic', 'seekable', ...b], 'x\ny\nz\n')).code).toBe(0);
    expect((await cli(runConsume, ['--topic', 'seekable', '--group', 'seekers', '--from-beginning', '--exit-at-end', ...b])).code).toBe(0);
    const committed = () => cluster.broker.fetchOffsets('seekers', [{ topic: 'seekable', partition: 0 }])[0].offset;
    expect(committed()).toBe(3);
    expect((await cli(runGroup, ['seek', 'seekers', '--topic', 'seekable', '--to', 'start', ...b])).code).toBe(0);
    expect(committed()).toBe(0);
    expect((await cli(runGroup, ['seek', 'seekers', '--topic', 'seekable', '--to', 'end', ...b])).code).toBe(0);
    expect(committed()).toBe(3);
    expect((await cli(runGroup, ['seek', 'seekers', '--topic', 'seekable', '--to', '0', ...b])).code).toBe(0);
    expect(committed()).toBe(0);
    expect(await cli(runGroup, ['delete-offsets', 'seekers', '--topic', 'seekable', ...b])).toMatchObject({ code: 0, out: 'PARTITION\tRESULT\n0\tdeleted\n' });
    expect(committed()).toBe(-1);
    expect(await cli(runGroup, ['delete-offsets', 'seekers', '--topic', 'nowhere', ...b])).toMatchObject({ code: 1 });
    expect((await cli(runGroup, ['seek', 'seekers', '--topic', 'seekable', '--to', 'end', ...b])).code).toBe(0);
    expect(await cli(runGroup, ['delete', 'seekers', ...b])).toMatchObject({ code: 0, out: 'Deleted group "seekers".\n' });
    expect(committed()).toBe(-1);
    expect(JSON.parse((await cli(runGroup, ['list', '--format', 'json', ...b])).out)).not.toContainEqual(expect.objectContaining({ group: 'seekers' }));
  });
});

describe('errors that help', () => {
  test('topic delete of a missing topic says so, without an API hint', async () => {
    const r = await cli(runTopic, ['delete', 'nope', ...b]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'rill topic: cannot delete topic "nope": UNKNOWN_TOPIC_OR_PARTITION (error 3): the topic or partition does not exist (rill topic list shows what does)\n',
    );
  });

  test('consume --offset out of range names the valid range', async () => {
    expect((await cli(runTopic, ['create', 'ranged', ...b])).code).toBe(0);
    expect((await cli(runProduce, ['--topic', 'ranged', ...b], '1\n2\n3\n')).code).toBe(0);
    const r = await cli(runConsume, ['--topic', 'ranged', '--offset', '999', '--exit-at-end', ...b]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'rill consume: offset 999 is out of range for ranged-0: its records are at offsets 0 to 2 (log start 0, log end 3); give --offset from 0 to 3, or --from-beginning\n',
    );
  });
});
