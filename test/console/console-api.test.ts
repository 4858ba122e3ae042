// `rill console` against a `rill broker` (both in-process), through its JSON
// API: the numbers it answers, how it shows bytes that are not text and
// tombstones, and that every bad request gets a clear error (with the Kafka
// error code when a broker refused) while the console goes on serving.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runBroker } from '../../cli/broker-command';
import { runConsole } from '../../cli/console-command';
import * as E from 'fp-ts/Either';
import type { AppView, ErrorView, MessagesView, QuorumView, TopicSummary, TopicView } from '../../console/model';
import { parseControllers, WorkerMembership } from '../../core/cluster';
import { ErrorCode } from '../../core/wire';
import { fakeIO } from '../cli/fake-io';
import { printed, WAIT_MS } from './command-output';
import { type HeadlessChromium, launchChromium } from './headless-chromium';
import { freePortPair } from '../support/ports';

const TOPIC = 'bytes';

let dir: string;
const stopBroker = new AbortController();
const stopConsole = new AbortController();
let broker: Promise<number>;
let served: Promise<number>;
let url: string;

/** GETs `route` of a console until its answer passes `ready` (bounded by WAIT_MS), and returns that answer. */
async function until<T>(console: string, route: string, ready: (answer: T) => boolean): Promise<T> {
  let last = '';
  for (let deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
    const response = await fetch(`${console}${route}`);
    const text = await response.text();
    if (response.ok && ready(JSON.parse(text) as T)) return JSON.parse(text) as T;
    last = text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${route} did not become ready: ${last}`);
}

async function get<T>(route: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${route}`, init);
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-console-api-'));
  const brokerIO = fakeIO();
  broker = runBroker(['--data-dir', dir, '--port', '0', '--no-schema-registry', '--no-auto-create-topics'], brokerIO, stopBroker.signal);
  const port = (await printed(brokerIO, /listening on [^:]+:(\d+)/, broker))[1];
  const kafka = new Kafka({ clientId: 'console-api', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: TOPIC,
    messages: [
      { partition: 0, key: 'k', value: Buffer.from([0xff, 0xfe, 0x00, 0x01]) },
      { partition: 0, key: 'gone', value: null },
      { partition: 0, value: 'plain text' },
    ],
  });
  await producer.disconnect();
  const consoleIO = fakeIO();
  const pipeline = path.join(__dirname, '../../examples/wordcount/pipeline.ts');
  served = runConsole(['--bootstrap', `127.0.0.1:${port}`, '--port', '0', '--refresh-ms', '1000', '--pipeline', pipeline], consoleIO, stopConsole.signal);
  url = (await printed(consoleIO, /rill console: console on (http:\/\/\S+?)\/ /, served))[1];
});

afterAll(async () => {
  stopConsole.abort();
  stopBroker.abort();
  await served;
  await broker;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the topics and a topic answer the broker’s numbers', async () => {
  const topics = await get<TopicSummary[]>('/api/topics');
  expect(topics.status).toBe(200);
  expect(topics.body.find((t) => t.name === TOPIC)).toMatchObject({ partitions: 2, records: 3, replicationFactor: 1, underReplicated: 0 });
  const topic = await get<TopicView>(`/api/topics/${TOPIC}`);
  expect(topic.body.partitions.map((p) => [p.partition, p.startOffset, p.endOffset])).toEqual([
    [0, 0, 3],
    [1, 0, 0],
  ]);
});

test('a pipeline given to the console is a Stream app with its topology, though no worker runs it', async () => {
  const info = await get<{ apps: boolean; controllers: boolean }>('/api/info');
  expect(info.body).toMatchObject({ apps: true, controllers: false });
  const { status, body } = await get<AppView[]>('/api/apps');
  expect(status).toBe(200);
  expect(body).toHaveLength(1);
  expect(body[0]).toMatchObject({ generation: -1, workers: [], tasks: [] });
  expect(body[0].topology?.text).toContain(`Topology of application "${body[0].app}"`);
  expect(body[0].topology?.mermaid).toMatch(/^flowchart/);
  // Without the controllers there is no quorum to show.
  expect((await get<ErrorView>('/api/quorum')).status).toBe(400);

  // The page draws toSvg()'s picture: one SVG node per node of the flowchart, the store among them.
  const nodes = body[0].topology!.mermaid.split('\n').filter((line) => /^\s*\w+\[/.test(line) && !/^\s*subgraph/.test(line)).length;
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(`${url}/#/apps`);
    const drawing = page.locator('main[data-route="#/apps"] [data-topology="drawing"] svg');
    await drawing.locator('g.node').first().waitFor();
    await expect(drawing.locator('g.node').count()).resolves.toBe(nodes);
    await expect(drawing.locator('g.node.store').count()).resolves.toBe(1);
    const shots = process.env.RILL_CONSOLE_SCREENSHOTS;
    if (shots !== undefined) await page.screenshot({ path: path.join(shots, 'apps-topology.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

test('bytes that are not text are shown as hex, a tombstone as null, text as text', async () => {
  const { body } = await get<MessagesView>(`/api/topics/${TOPIC}/messages?partition=0&from=beginning`);
  expect(body.messages.map((m) => [m.offset, m.key, m.value])).toEqual([
    [0, { view: 'string', text: 'k' }, { view: 'hex', text: 'fffe0001' }],
    [1, { view: 'string', text: 'gone' }, { view: 'string', text: null }],
    [2, { view: 'string', text: null }, { view: 'string', text: 'plain text' }],
  ]);
  // The latest records: the last `limit` of them.
  const latest = await get<MessagesView>(`/api/topics/${TOPIC}/messages?partition=0&limit=1`);
  expect(latest.body.from).toBe(2);
  expect(latest.body.messages.map((m) => m.offset)).toEqual([2]);
  // An empty partition reads nothing.
  expect((await get<MessagesView>(`/api/topics/${TOPIC}/messages?partition=1&from=beginning`)).body.messages).toEqual([]);
});

test('bad requests get a clear error, with the Kafka error code when the broker refused, and the console goes on serving', async () => {
  const unknownTopic = await get<ErrorView>('/api/topics/nope');
  expect(unknownTopic).toEqual({ status: 404, body: { error: expect.stringContaining('topic "nope"'), code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION } });
  const noTopic = await get<ErrorView>('/api/topics/nope/messages');
  expect(noTopic).toEqual({ status: 404, body: { error: 'topic "nope": UNKNOWN_TOPIC_OR_PARTITION (error 3)', code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION } });
  const noPartition = await get<ErrorView>(`/api/topics/${TOPIC}/messages?partition=7`);
  expect(noPartition).toEqual({
    status: 404,
    body: { error: expect.stringContaining('partitions 0 to 1, not 7'), code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
  });
  const unknownGroup = await get<ErrorView>('/api/groups/nobody');
  expect(unknownGroup).toEqual({ status: 404, body: { error: expect.stringContaining('group "nobody"'), code: ErrorCode.GROUP_ID_NOT_FOUND } });
  expect(await get<ErrorView>(`/api/topics/${TOPIC}/messages?limit=0`)).toEqual({ status: 400, body: { error: 'limit must be from 1 to 500' } });
  expect(await get<ErrorView>(`/api/topics/${TOPIC}/messages?offset=x`)).toEqual({ status: 400, body: { error: 'offset must be an integer, not "x"' } });
  expect((await get<ErrorView>(`/api/topics/${TOPIC}/messages?timestamp=yesterday`)).status).toBe(400);
  expect((await get<ErrorView>(`/api/topics/${TOPIC}/messages?from=middle`)).status).toBe(400);
  expect(await get<ErrorView>('/api/schemas')).toEqual({ status: 400, body: { error: expect.stringContaining('no schema registry') } });
  expect(await get<ErrorView>('/api/topics', { method: 'POST', body: '{}' })).toEqual({
    status: 405,
    body: { error: 'the console is read-only: only GET is served' },
  });
  expect((await get<ErrorView>('/api/nothing')).status).toBe(404);
  expect((await get<ErrorView>('/api/topics/%E0%A4%A')).status).toBe(400);
  // Still serving.
  expect((await get<{ brokers: unknown[] }>('/api/cluster')).body.brokers).toHaveLength(1);
});

test('bad console flags are usage errors', async () => {
  const io = fakeIO();
  expect(await runConsole(['--port', '70000'], io, new AbortController().signal)).toBe(2);
  expect(io.err()).toContain('the console port must be a port number, 0 to 65535');
  const refresh = fakeIO();
  expect(await runConsole(['--refresh-ms', '5'], refresh, new AbortController().signal)).toBe(2);
  expect(refresh.err()).toContain('--refresh-ms must be an integer of at least 100');
  const broker = fakeIO();
  expect(await runBroker(['--data-dir', path.join(dir, 'x'), '--console-port', '-1'], broker, new AbortController().signal)).toBe(2);
});

test('the console stops on its signal and its port closes', async () => {
  const io = fakeIO();
  const stop = new AbortController();
  const exited = runConsole(['--bootstrap', '127.0.0.1:1', '--port', '0'], io, stop.signal);
  const own = (await printed(io, /console on (http:\/\/\S+?)\/ /, exited))[1];
  // The page is served even while no broker answers; the API says what is wrong.
  expect((await fetch(`${own}/`)).status).toBe(200);
  const down = await fetch(`${own}/api/topics`);
  expect(down.status).toBe(502);
  stop.abort();
  expect(await exited).toBe(0);
  await expect(fetch(`${own}/`)).rejects.toThrow();
});

test('a cluster node serves the console over its own listener, with its controllers’ quorum and the workers of an application', async () => {
  const taken = new Set<number>();
  const controllerPort = await freePortPair(taken);
  const kafkaPort = await freePortPair(taken);
  const io = fakeIO();
  const stop = new AbortController();
  const quorum = `1@127.0.0.1:${controllerPort}`;
  const args = ['--controller', '--node-id', '1', '--controllers', quorum, '--port', String(kafkaPort)];
  const exited = runBroker([...args, '--data-dir', path.join(dir, 'node'), '--console-port', '0'], io, stop.signal);
  let worker: WorkerMembership | undefined;
  let browser: HeadlessChromium | undefined;
  try {
    const own = (await printed(io, /rill broker 1: console on (http:\/\/\S+?)\/ /, exited))[1];
    // The broker shows up in Metadata once the controller (a quorum of one) has registered it.
    const cluster = await until(own, '/api/cluster', (c: { brokers: { nodeId: number }[] }) => c.brokers.length > 0);
    expect(cluster.brokers.map((b) => b.nodeId)).toEqual([1]);
    const kafka = new Kafka({ clientId: 'console-node', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'lines', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const q = await until(own, '/api/quorum', (x: QuorumView) => x.leader === 1);
    expect(q.controllers).toEqual([expect.objectContaining({ id: 1, active: true, error: null })]);
    expect(q.term).toBeGreaterThanOrEqual(1);

    worker = new WorkerMembership({ controllers: E.getOrElseW(() => [])(parseControllers(quorum)), app: 'counts', workerId: 'w1', inputTopics: ['lines'] });
    expect(E.isRight(await worker.start(WAIT_MS))).toBe(true);
    const apps = await until(own, '/api/apps', (a: AppView[]) => a[0]?.workers[0]?.tasks.length === 2);
    expect(apps).toEqual([expect.objectContaining({ app: 'counts', workers: [expect.objectContaining({ workerId: 'w1', tasks: ['lines-0', 'lines-1'] })] })]);

    // The same in the browser: the controllers on the Cluster page, the worker on the Stream apps page.
    browser = await launchChromium();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(`${own}/#/cluster`);
    await expect(page.locator('main[data-route="#/cluster"] tr[data-controller="1"] td[data-field="role"]').textContent()).resolves.toBe('active');
    await page.goto(`${own}/#/apps`);
    await expect(page.locator('main[data-route="#/apps"] tr[data-worker="w1"] td[data-field="tasks"]').textContent()).resolves.toBe('lines-0, lines-1');
    await page.screenshot({ path: path.join(dir, 'apps.png'), fullPage: true });

    await worker.stop();
    worker = undefined;
    stop.abort();
    expect(await exited).toBe(0);
    await expect(fetch(`${own}/`)).rejects.toThrow();
  } finally {
    await browser?.close();
    await worker?.stop();
    stop.abort();
    await exited;
  }
});

test('a controller-only node refuses --console-port', async () => {
  const io = fakeIO();
  const code = await runBroker(
    ['--controller', '--node-id', '1', '--controllers', '1@127.0.0.1:1', '--data-dir', path.join(dir, 'controller'), '--console-port', '0'],
    io,
    new AbortController().signal,
  );
  expect(code).toBe(2);
  expect(io.err()).toContain('--console-port needs the broker role');
});
