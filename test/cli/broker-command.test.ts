// `rill broker` as a real child process: starts from flags and a config file,
// serves Kafka clients and the schema registry, and on SIGTERM stops
// gracefully with exit code 0, its data on disk.
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../core/broker';
import { Rill } from '../../core/client';
import { applyConfig, completeSettings, readConfigFile } from '../../cli/broker-config';
import { UsageError } from '../../cli/args';
import { killBrokerProcesses, startBrokerProcess } from '../support/broker-process';

const ROOT = path.join(__dirname, '..', '..');
const children = new Set<ChildProcess>();
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-broker-cli-'));
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  killBrokerProcesses();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('serves kafkajs and the schema registry; SIGTERM stops it cleanly with its data flushed', async () => {
  const dataDir = path.join(dir, 'data');
  const config = path.join(dir, 'broker.properties');
  fs.writeFileSync(config, `# rill broker\ndata.dir=${dataDir}\nnode.id=3\nport=9\n`);
  // Flags override the file: port 0 picks a free port.
  const broker = await startBrokerProcess(['--config', config, '--port', '0', '--host', '127.0.0.1', '--schema-registry-port', '0']);
  const kafka = new Kafka({ clientId: 'cli-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'persisted',
    messages: [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ],
  });
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  expect(cluster.brokers[0].nodeId).toBe(3);
  await admin.disconnect();
  const subjects = await fetch(`${broker.registryUrl}/subjects`);
  expect(subjects.status).toBe(200);
  const schema = JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'page', type: 'string' }] });
  const registered = await fetch(`${broker.registryUrl}/subjects/clicks-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
  });
  expect(registered.status).toBe(200);
  const { id } = (await registered.json()) as { id: number };

  broker.child.kill('SIGTERM');
  expect(await broker.exited).toBe(0);
  expect(broker.stderr()).toContain('stopped: logs flushed and closed');
  // Every partition log (the topic's, _schemas, the internal ones) was closed with its clean-shutdown mark: none is recovered.
  const logDir = path.join(dataDir, 'log');
  const partitionDirs = fs.readdirSync(logDir, { withFileTypes: true }).filter((e) => e.isDirectory());
  expect(partitionDirs.map((e) => e.name)).toContain('persisted-0');
  for (const e of partitionDirs) expect([e.name, fs.existsSync(path.join(logDir, e.name, '.clean-shutdown'))]).toEqual([e.name, true]);
  const warnings: string[] = [];
  const reopened = Broker.open({ dir: logDir, scheduler: false, groupTickIntervalMs: 0, onWarning: (w) => warnings.push(w) });
  expect(warnings).toEqual([]);
  const offsets = reopened.partitionOffsets('persisted', 0);
  expect(offsets._tag === 'Right' && offsets.right.highWatermark).toBe(2);
  await reopened.close();
  // The registry lives in the broker's _schemas topic: the embedded API sees the same schemas.
  const rill = Rill.open({ dir: dataDir });
  try {
    const byId = rill.schemaRegistry.schemaById(id);
    expect(byId._tag === 'Right' && rill.schemaRegistry.subjectVersionsForId(id)).toEqual([{ subject: 'clicks-value', version: 1 }]);
  } finally {
    await rill.close();
  }
});

test('a bad setting is refused with exit code 2 and what is allowed', async () => {
  const child = spawn(
    process.execPath,
    ['-r', './test/support/register-ts.js', 'cli/main.ts', 'broker', '--data-dir', path.join(dir, 'x'), '--port', '70000'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30000);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.on('exit', r));
  clearTimeout(killer);
  expect(code).toBe(2);
  expect(err).toContain('"port" must be a port from 0 to 65535');
});

test('config files: properties and JSON; unknown keys named in a warning and skipped, bad values of known keys refused', () => {
  const props = path.join(dir, 'a.properties');
  fs.writeFileSync(props, 'data.dir=/d\nauto.create.topics.enable=false\n\n# c\nschema.registry.port=-1\n');
  const s: Record<string, unknown> = {};
  applyConfig(s, readConfigFile(props), props);
  expect(completeSettings(s)).toMatchObject({ dataDir: '/d', autoCreateTopics: false, schemaRegistryPort: -1, port: 9092 });
  const json = path.join(dir, 'b.json');
  fs.writeFileSync(json, JSON.stringify({ 'log.dirs': '/e', 'num.partitions': 3, 'broker.id': 5 }));
  const fromJson: Record<string, unknown> = {};
  const warnings = applyConfig(fromJson, readConfigFile(json), json);
  expect(warnings).toEqual([expect.stringMatching(/unknown setting "num.partitions" ignored; known: data.dir/)]);
  // broker.id (a Kafka server.properties' node id) is node.id, not skipped.
  expect(completeSettings(fromJson)).toMatchObject({ dataDir: '/e', nodeId: 5 });
  const bad = path.join(dir, 'c.properties');
  fs.writeFileSync(bad, 'data.dir=/d\nbogus.key=1\nport=99999\n');
  expect(() => applyConfig({}, readConfigFile(bad), bad)).toThrow(UsageError);
  expect(() => applyConfig({}, readConfigFile(bad), bad)).toThrow(/"port" must be a port from 0 to 65535/);
  expect(() => completeSettings({})).toThrow(/--data-dir/);
});
