// The console's live pages: GET /api/live (server-sent events) read with
// node's http client (a changed answer is sent, an unchanged one is not, a
// heartbeat comment keeps a quiet stream open, one poll per path whatever
// the number of streams, the number of streams bounded, a stream's polling
// stopped when its client goes, bad paths refused), then in headless Chromium:
// a page's number changes without a reload as records are written, and a page
// refused a stream falls back to polling. Every wait is bounded and on events.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { runBroker } from '../../cli/broker-command';
import { ConsoleServer } from '../../console/server';
import type { LiveEvent, TopicSummary } from '../../console/model';
import { fakeIO } from '../cli/fake-io';
import { printed, WAIT_MS } from './command-output';
import { type EventStream, openEventStream } from './event-stream';
import { type HeadlessChromium, launchChromium } from './headless-chromium';

jest.setTimeout(120_000);

const TOPIC = 'clicks';
const MAX_STREAMS = 3;

let dir: string;
const stopBroker = new AbortController();
let broker: Promise<number>;
let admin: Admin;
let producer: Producer;
let served: ConsoleServer;
const streams: EventStream[] = [];

/** The records of TOPIC in a /api/topics answer. */
const recordsOf = (e: LiveEvent) => (e.body as TopicSummary[] | undefined)?.find((t) => t.name === TOPIC)?.records;

async function open(paths: readonly string[]): Promise<EventStream> {
  const s = await openEventStream(`${served.url}/api/live?${paths.map((p) => `path=${encodeURIComponent(p)}`).join('&')}`);
  streams.push(s);
  return s;
}

/** Resolves once `condition` holds, looked at every 20 ms (bounded by WAIT_MS). */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + WAIT_MS; !condition(); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-console-live-'));
  const io = fakeIO();
  broker = runBroker(['--data-dir', dir, '--port', '0', '--no-schema-registry', '--no-auto-create-topics'], io, stopBroker.signal);
  const port = (await printed(io, /listening on [^:]+:(\d+)/, broker))[1];
  const kafka = new Kafka({ clientId: 'console-live', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: [{ value: 'first' }] });
  served = await ConsoleServer.start({ bootstrap: `127.0.0.1:${port}`, port: 0, refreshMs: 100, heartbeatMs: 150, maxLiveStreams: MAX_STREAMS });
});

afterAll(async () => {
  for (const s of streams) s.close();
  await served?.close();
  await producer?.disconnect();
  await admin?.disconnect();
  stopBroker.abort();
  await broker;
  fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await until('every stream to be closed', () => served.live.open === 0 && served.live.polled === 0);
});

test('a stream sends a path’s answer, then each change of it, with heartbeats between', async () => {
  const s = await open(['/api/topics']);
  expect(s.status).toBe(200);
  expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  const first = await s.event((e) => recordsOf(e) !== undefined, WAIT_MS);
  expect(first.path).toBe('/api/topics');
  const before = recordsOf(first)!;
  expect(before).toBeGreaterThanOrEqual(1);
  // Nothing changes: no new event, only heartbeats.
  await s.comment((c) => c === 'heartbeat', WAIT_MS);
  const unchanged = s.events.length;
  await producer.send({ topic: TOPIC, messages: [{ value: 'a' }, { value: 'b' }] });
  const changed = await s.event((e) => recordsOf(e) === before + 2, WAIT_MS);
  expect(changed.path).toBe('/api/topics');
  // Every event after the first carried a change: no two events in a row are the same.
  const sent = s.events.map((e) => JSON.stringify(e));
  expect(sent.every((e, i) => i === 0 || e !== sent[i - 1])).toBe(true);
  expect(s.events.length).toBeGreaterThan(unchanged);
});

test('streams of one path share its polling; closing them stops it', async () => {
  const a = await open(['/api/topics', '/api/cluster']);
  const b = await open(['/api/topics']);
  await a.event((e) => e.path === '/api/cluster' && e.body !== undefined, WAIT_MS);
  // The second stream gets the path's last answer at once, from the shared feed.
  await b.event((e) => recordsOf(e) !== undefined, WAIT_MS);
  expect(served.live.open).toBe(2);
  expect(served.live.polled).toBe(2);
  a.close();
  await until('the first stream to be gone', () => served.live.open === 1);
  // /api/cluster had only the first stream: its polling stopped; /api/topics goes on for the second.
  expect(served.live.polled).toBe(1);
});

test('streams beyond the bound are refused with 503, and bad paths with 400; the console goes on serving', async () => {
  const held = [];
  for (let i = 0; i < MAX_STREAMS; i++) held.push(await open(['/api/topics']));
  const refused = await open(['/api/topics']);
  expect(refused.status).toBe(503);
  expect(refused.headers['retry-after']).toBe('5');
  expect(JSON.parse(await refused.ended)).toEqual({ error: expect.stringContaining('too many live streams') });
  for (const s of held) s.close();
  await until('the held streams to be closed', () => served.live.open === 0);

  for (const bad of ['/api/live', '', '/etc/passwd', ['/api/topics', '/api/groups', '/api/cluster', '/api/info', '/api/apps']] as const) {
    const s = await open(typeof bad === 'string' ? (bad === '' ? [] : [bad]) : bad);
    expect(s.status).toBe(400);
    expect(JSON.parse(await s.ended)).toEqual({ error: expect.any(String) });
  }
  // A path the API does not have: the stream carries its error, as GET would answer it.
  const missing = await open(['/api/topics/no-such-topic']);
  const e = await missing.event((x) => x.error !== undefined, WAIT_MS);
  expect(e.error).toEqual(expect.objectContaining({ code: 3 }));
  const answer = await fetch(`${served.url}/api/info`);
  expect(answer.status).toBe(200);
});

describe('in Chromium', () => {
  let browser: HeadlessChromium;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test('the Topics page follows its stream: the record count changes without a reload as records are written', async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(`${served.url}/#/topics`);
    const records = page.locator(`main[data-route="#/topics"] tr[data-topic="${TOPIC}"] td[data-field="records"]`);
    await records.waitFor();
    await expect(page.locator('main').getAttribute('data-live')).resolves.toBe('sse');
    const before = Number(await records.textContent());
    // A mark on this document: a reload would lose it.
    await page.evaluate(() => document.body.setAttribute('data-mark', 'same-document'));
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 5 }, (_, i) => ({ value: `more ${i}` })) });
    await page.locator(`tr[data-topic="${TOPIC}"] td[data-field="records"]`, { hasText: new RegExp(`^${before + 5}$`) }).waitFor();
    await expect(page.locator('body').getAttribute('data-mark')).resolves.toBe('same-document');
    expect(served.live.open).toBe(1);
    await page.close();
  });

  test('a page refused a stream (too many open) polls instead', async () => {
    for (let i = 0; i < MAX_STREAMS; i++) await open(['/api/cluster']);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(`${served.url}/#/topics`);
    await page.locator('main[data-live="polling"]').waitFor();
    const records = page.locator(`main[data-route="#/topics"] tr[data-topic="${TOPIC}"] td[data-field="records"]`);
    await records.waitFor();
    const before = Number(await records.textContent());
    await producer.send({ topic: TOPIC, messages: [{ value: 'polled' }] });
    await page.locator(`tr[data-topic="${TOPIC}"] td[data-field="records"]`, { hasText: new RegExp(`^${before + 1}$`) }).waitFor();
    await page.close();
  });
});
