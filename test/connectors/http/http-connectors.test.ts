// HTTP connectors with real sockets on port 0: the webhook sink's answers
// (2xx, retryable, refused) and the HTTP source's reply-after-append.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryLogger } from '../../../dsl';
import { httpSource, parseRecords, SinkTask, SourceTask, webhookSink } from '../../../connectors';
import { headerMap, instantClock, openTempRill, readTopic, type TempRill } from '../support';

let t: TempRill;
beforeEach(() => {
  t = openTempRill();
});
afterEach(async () => {
  await t.close();
});

/** A receiver answering each request with the status `answer` gives. */
async function receiver(answer: (body: { value: { price: number } }, origin: string) => number) {
  const got: { body: unknown; origin: string; status: number }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const origin = String(req.headers['x-rill-origin']);
      const status = answer(JSON.parse(body), origin);
      got.push({ body: JSON.parse(body), origin, status });
      res.writeHead(status).end(status === 400 ? 'price must be positive' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => new Promise((r) => server.close(r)) };
}

test('the webhook sink posts each record; 5xx is retried, 400 goes to the dead-letter topic', async () => {
  await t.rill.admin.createTopics([
    { name: 'orders', partitions: 1 },
    { name: 'orders-dlt', partitions: 1 },
  ]);
  await t.rill.producer().send(
    'orders',
    [1, -2, 3].map((price, i) => ({ key: `o${i}`, value: JSON.stringify({ price }) })),
  );
  // A negative price is refused (400); the third record meets a 503 once, and the batch is retried.
  let unavailableOnce = true;
  const hook = await receiver((body, origin) => {
    if (body.value.price < 0) return 400;
    if (origin === 'orders/0/2' && unavailableOnce) {
      unavailableOnce = false;
      return 503;
    }
    return 200;
  });
  const clock = instantClock();
  const task = new SinkTask(t.client, webhookSink({ url: hook.url }), {
    topics: ['orders'],
    logger: memoryLogger(),
    clock,
    badRecords: { deadLetterTopic: 'orders-dlt' },
  });
  await task.start();
  await task.waitUntilCaughtUp();
  await task.stop();
  await hook.close();
  expect(clock.waits).toEqual([100]);
  const delivered = hook.got.filter((g) => g.status === 200).map((g) => g.origin);
  expect([...new Set(delivered)].sort()).toEqual(['orders/0/0', 'orders/0/2']);
  expect(hook.got[0].body).toMatchObject({ key: 'o0', value: { price: 1 }, topic: 'orders', partition: 0, offset: 0 });
  const dlt = await readTopic(t.rill, 'orders-dlt');
  expect(dlt).toHaveLength(1);
  expect(headerMap(dlt[0])['rill.error']).toMatch(/answered HTTP 400: price must be positive/);
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('a webhook nobody listens on is unavailable, reported and retried', async () => {
  await t.rill.admin.createTopics([{ name: 'orders', partitions: 1 }]);
  await t.rill.producer().send('orders', [{ value: '1' }]);
  const logger = memoryLogger();
  const port = await closedPort();
  const task = new SinkTask(t.client, webhookSink({ url: `http://127.0.0.1:${port}/nothing` }), {
    topics: ['orders'],
    logger,
    clock: instantClock(),
    retry: { maxAttempts: 2 },
  });
  await task.start();
  await expect(task.done).rejects.toThrow(/gave up writing after 2 tries: http:\/\/127.0.0.1:\d+\/nothing: .*ECONNREFUSED/);
  expect(logger.lines.some((l) => l.includes('write failed (try 1)'))).toBe(true);
});

test('the HTTP source replies 200 only once the records are in the topic', async () => {
  const source = httpSource();
  const task = new SourceTask(t.client, source, { topic: 'events', partitions: 1, logger: memoryLogger() });
  await task.start();
  const url = `http://127.0.0.1:${source.port}/records`;
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify([
      { key: 'a', value: { n: 1 } },
      { key: 'b', value: null, headers: { from: 'test' } },
    ]),
  });
  expect(res.status).toBe(200);
  // The reply came after the append: the records are there now.
  const records = await readTopic(t.rill, 'events');
  expect(records.map((r) => [r.key!.toString(), r.value?.toString() ?? null])).toEqual([
    ['a', '{"n":1}'],
    ['b', null],
  ]);
  expect(headerMap(records[1])).toEqual({ from: 'test' });
  const bad = await fetch(url, { method: 'POST', body: '{"key": 1, "value": 2}' });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toEqual({ error: 'the record: "key" must be a string' });
  expect((await fetch(`http://127.0.0.1:${source.port}/other`, { method: 'POST', body: '{}' })).status).toBe(404);
  await task.stop();
});

test('the HTTP source answers 503 when too much waits, and on stop to what was not acknowledged', async () => {
  const source = httpSource({ maxPending: 1 });
  await source.start();
  const url = `http://127.0.0.1:${source.port}/records`;
  const waiting = fetch(url, { method: 'POST', body: '{"value": 1}' });
  const polled = await source.poll(10, new AbortController().signal);
  expect(polled.kind === 'entries' && polled.entries).toHaveLength(1);
  const busy = await fetch(url, { method: 'POST', body: '{"value": 2}' });
  expect(busy.status).toBe(503);
  expect(busy.headers.get('retry-after')).toBe('1');
  await source.stop();
  expect((await waiting).status).toBe(503);
});

test('request bodies: what is accepted and what is refused', () => {
  expect(parseRecords('{"value": 1}')).toEqual([{ key: null, value: 1, headers: undefined }]);
  expect(parseRecords('[{"value": 1}, 3]')).toBe('record 1 must be an object like {"key": "k", "value": ...}');
  expect(parseRecords('{"key": "k"}')).toBe('the record has no "value" (use null for a tombstone)');
  expect(parseRecords('nope')).toMatch(/^body is not JSON/);
});
