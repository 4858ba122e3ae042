// The web console end to end: `rill broker --console-port` in-process with its
// schema registry, topics written with kafkajs (text, JSON and Avro values), a
// consumer group that committed part of what it read; then every page opened
// in headless Chromium (Debian's, through playwright-core) and its numbers
// checked against what the broker itself answers kafkajs' admin client. Every
// wait is for a selector or a text (bounded), never a sleep. Screenshots go to a
// temp dir (RILL_CONSOLE_SCREENSHOTS=DIR keeps them).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import avro from 'avsc';
import { type Admin, type Consumer, Kafka, logLevel } from 'kafkajs';
import type { Page } from 'playwright-core';
import { runBroker } from '../../cli/broker-command';
import { frame } from '../../core/schema';
import { fakeIO } from '../cli/fake-io';
import { printed, WAIT_MS } from './command-output';
import { type HeadlessChromium, launchChromium } from './headless-chromium';

jest.setTimeout(120_000);

const ORDERS = 'orders';
const EVENTS = 'events';
const PAYMENTS = 'payments';
const GROUP = 'billing';
/** Records the group leaves unread on each partition of ORDERS it committed. */
const LEFT_UNREAD = 2;
const PAYMENT_SCHEMA = {
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cents', type: 'long' },
  ],
};

let dir: string;
let shots: string;
const stop = new AbortController();
let exited: Promise<number>;
let consoleUrl: string;
let admin: Admin;
let consumer: Consumer;
let browser: HeadlessChromium;
let page: Page;
/** What the page threw or logged as an error: shown when a wait fails. */
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Opens a console page and waits for its live part to be drawn. */
async function open(route: string): Promise<void> {
  await page.goto(`${consoleUrl}/#/${route}`);
  try {
    // The route's own content: a hash change is handled after goto returns, so the previous page may still be shown.
    await page.locator(`main[data-route="#/${route}"] .live > *`).first().waitFor({ timeout: WAIT_MS });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nthe page's errors: ${pageErrors.join('; ') || 'none'}`);
  }
}

const cell = (row: string, field: string) => page.locator(`${row} td[data-field="${field}"]`);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-console-'));
  shots = process.env.RILL_CONSOLE_SCREENSHOTS ?? path.join(dir, 'screenshots');
  fs.mkdirSync(shots, { recursive: true });
  const io = fakeIO();
  exited = runBroker(
    ['--data-dir', path.join(dir, 'data'), '--port', '0', '--schema-registry-port', '0', '--console-port', '0', '--no-auto-create-topics'],
    io,
    stop.signal,
  );
  consoleUrl = (await printed(io, /rill broker: console on (http:\/\/\S+?)\/ /, exited))[1];
  const port = (await printed(io, /listening on [^:]+:(\d+)/, exited))[1];
  const registry = (await printed(io, /schema registry on (http:\/\/\S+)/, exited))[1];

  const kafka = new Kafka({ clientId: 'console-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: ORDERS, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '86400000' }] },
      { topic: EVENTS, numPartitions: 1 },
      { topic: PAYMENTS, numPartitions: 1 },
    ],
  });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: ORDERS, messages: Array.from({ length: 30 }, (_, i) => ({ key: `customer-${i % 7}`, value: `order ${i}` })) });
  // Events at known times, for the timestamp seek: 1000, 2000, ..., 5000 ms.
  await producer.send({
    topic: EVENTS,
    messages: Array.from({ length: 5 }, (_, i) => ({ value: JSON.stringify({ n: i, kind: 'click' }), timestamp: String((i + 1) * 1000) })),
  });
  const registered = await fetch(`${registry}/subjects/${PAYMENTS}-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(PAYMENT_SCHEMA) }),
  });
  const { id } = (await registered.json()) as { id: number };
  const type = avro.Type.forSchema(PAYMENT_SCHEMA as avro.Schema);
  await producer.send({ topic: PAYMENTS, messages: [{ value: frame(id, type.toBuffer({ id: 'p-1', cents: 1250 })) }] });
  await producer.disconnect();

  // The group reads everything, then commits all but the last LEFT_UNREAD records of each partition, and stays a member.
  const ends = await admin.fetchTopicOffsets(ORDERS);
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  consumer = kafka.consumer({ groupId: GROUP });
  await consumer.connect();
  await consumer.subscribe({ topic: ORDERS, fromBeginning: true });
  let read = 0;
  const allRead = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async () => {
        if (++read === total) resolve();
      },
    });
  });
  await allRead;
  await consumer.commitOffsets(ends.map((p) => ({ topic: ORDERS, partition: p.partition, offset: String(Math.max(0, Number(p.high) - LEFT_UNREAD)) })));

  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await consumer?.disconnect();
  await admin?.disconnect();
  stop.abort();
  await exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the Cluster page shows the brokers, the controller and every partition as Metadata does', async () => {
  const cluster = await admin.describeCluster();
  const topics = await admin.fetchTopicMetadata();
  const partitions = topics.topics.reduce((n, t) => n + t.partitions.length, 0);
  await open('cluster');
  await expect(page.locator('[data-card="brokers"] .value').textContent()).resolves.toBe(String(cluster.brokers.length));
  await expect(page.locator('[data-card="controller"] .value').textContent()).resolves.toBe(`node ${cluster.controller}`);
  await expect(page.locator('[data-card="partitions"] .value').textContent()).resolves.toBe(String(partitions));
  await expect(page.locator('[data-card="under-replicated"] .value').textContent()).resolves.toBe('0');
  await expect(cell(`tr[data-partition="${ORDERS}/2"]`, 'leader').textContent()).resolves.toBe(String(cluster.brokers[0].nodeId));
  await shot('cluster');
});

test('the Topics page lists every topic with its record count', async () => {
  const metadata = await admin.fetchTopicMetadata();
  await open('topics');
  await expect(page.locator('[data-card="topics"] .value').textContent()).resolves.toBe(String(metadata.topics.length));
  for (const [topic, records] of [
    [ORDERS, 30],
    [EVENTS, 5],
    [PAYMENTS, 1],
  ] as const) {
    await expect(cell(`tr[data-topic="${topic}"]`, 'records').textContent()).resolves.toBe(String(records));
  }
  await expect(cell(`tr[data-topic="${ORDERS}"]`, 'partitions').textContent()).resolves.toBe('3');
  await shot('topics');
});

test('a topic page shows each partition’s offsets and the topic’s configs, and browses its messages by offset', async () => {
  const offsets = await admin.fetchTopicOffsets(ORDERS);
  await open(`topics/${ORDERS}`);
  for (const p of offsets) await expect(cell(`tr[data-partition="${ORDERS}/${p.partition}"]`, 'end-offset').textContent()).resolves.toBe(p.high);
  await expect(cell('tr[data-config="retention.ms"]', 'value').textContent()).resolves.toBe('86400000');
  // The browser opens on the latest records of partition 0.
  const last = Number(offsets.find((p) => p.partition === 0)!.high) - 1;
  if (last >= 0) await page.locator(`tr[data-offset="${last}"]`).waitFor();
  // From offset 1 of the fullest partition.
  const fullest = offsets.reduce((a, b) => (Number(b.high) > Number(a.high) ? b : a));
  await page.fill('input[name="partition"]', String(fullest.partition));
  await page.selectOption('select[name="seek"]', 'offset');
  await page.fill('input[name="at"]', '1');
  await page.click('form.seek button');
  await page.locator(`[data-read="${fullest.partition}/1"]`).waitFor();
  await expect(page.locator('tr[data-offset]').first().getAttribute('data-offset')).resolves.toBe('1');
  await expect(page.locator('tr[data-offset]').count()).resolves.toBe(Number(fullest.high) - 1);
  await expect(page.locator('tr[data-offset="1"] td[data-field="value"] pre').textContent()).resolves.toMatch(/^order \d+$/);
  await shot('topic-orders');
});

test('the message browser seeks by timestamp and shows JSON pretty or raw', async () => {
  await open(`topics/${EVENTS}`);
  await page.selectOption('select[name="seek"]', 'timestamp');
  await page.fill('input[name="at"]', '2500');
  await page.click('form.seek button');
  // The first record at or after 2500 ms is the third (offset 2, at 3000 ms).
  await page.locator(`[data-read="0/2"]`).waitFor();
  await expect(page.locator('tr[data-offset]').count()).resolves.toBe(3);
  const value = page.locator('tr[data-offset="2"] td[data-field="value"]');
  await expect(value.locator('[data-view]').getAttribute('data-view')).resolves.toBe('json');
  await expect(value.locator('pre').textContent()).resolves.toBe(JSON.stringify({ n: 2, kind: 'click' }, null, 2));
  await expect(page.locator('tr[data-offset="2"] td[data-field="timestamp"]').textContent()).resolves.toBe(new Date(3000).toISOString());
  await page.selectOption('select[name="view"]', 'raw');
  await expect(value.locator('pre').textContent()).resolves.toBe(JSON.stringify({ n: 2, kind: 'click' }));
  await shot('topic-events');
});

test('Avro values are decoded through the schema registry', async () => {
  await open(`topics/${PAYMENTS}`);
  const value = page.locator('tr[data-offset="0"] td[data-field="value"]');
  await value.waitFor();
  await expect(value.locator('[data-view]').getAttribute('data-view')).resolves.toBe('avro');
  await expect(value.locator('pre').textContent()).resolves.toBe(JSON.stringify({ id: 'p-1', cents: 1250 }, null, 2));
});

test('the group pages show the member, its assignment, and the lag of each partition', async () => {
  const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [ORDERS] });
  const ends = await admin.fetchTopicOffsets(ORDERS);
  await open('groups');
  await expect(cell(`tr[data-group="${GROUP}"]`, 'state').textContent()).resolves.toBe('Stable');
  await shot('groups');
  await open(`groups/${GROUP}`);
  await expect(page.locator('[data-card="members"] .value').textContent()).resolves.toBe('1');
  let totalLag = 0;
  for (const p of committed[0].partitions) {
    const end = Number(ends.find((e) => e.partition === p.partition)!.high);
    const lag = end - Number(p.offset);
    totalLag += lag;
    const row = `tr[data-partition="${ORDERS}/${p.partition}"]`;
    await expect(cell(row, 'committed').textContent()).resolves.toBe(p.offset);
    await expect(cell(row, 'end-offset').textContent()).resolves.toBe(String(end));
    await expect(cell(row, 'lag').textContent()).resolves.toBe(String(lag));
  }
  expect(totalLag).toBeGreaterThan(0);
  await expect(page.locator('[data-card="total-lag"] .value').textContent()).resolves.toBe(String(totalLag));
  await expect(page.locator('td[data-field="assignment"]').textContent()).resolves.toBe(`${ORDERS}-0, ${ORDERS}-1, ${ORDERS}-2`);
  await shot('group-billing');
});

test('the Schemas page shows the registry’s subjects, versions and compatibility', async () => {
  await open('schemas');
  const row = `tr[data-subject="${PAYMENTS}-value"]`;
  await expect(cell(row, 'versions').textContent()).resolves.toBe('1');
  await expect(page.locator('[data-card="compatibility"] .value').textContent()).resolves.toBe('BACKWARD');
  await shot('schemas');
});
