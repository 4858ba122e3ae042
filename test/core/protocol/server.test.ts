// The TCP server: version negotiation edge cases, request order, refusals of bad
// frames, and graceful shutdown.
import { Reader, apis, decodeMessage } from '../../../core/protocol';
import { KafkaConnection } from '../../../core/protocol';
import { encodeRecordBatch } from '../../../core/log';
import { fetchRequestBody, startTestCluster, TestCluster, waitFor } from './harness';
import { rawConnect, requestFrame } from './raw';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ server: { maxFrameBytes: 1024 * 1024 } });
});

afterAll(async () => {
  await cluster.stop();
});

const fetchBody = (topic: string, offset: number, maxWaitMs: number) =>
  fetchRequestBody(topic, [{ partition: 0, fetchOffset: offset }], { maxWaitMs, minBytes: 1 });

test('ApiVersions v3 (librdkafka probe) is answered flexibly; an unknown version gets error 35 with a v0 body', async () => {
  const c = await rawConnect(cluster.server.port);
  c.socket.write(requestFrame(apis.apiVersions, 3, 1, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' }));
  const [v3] = await c.responses(1);
  expect(v3.readInt32BE(0)).toBe(1);
  const body = decodeMessage(apis.apiVersions.response, 3, new Reader(v3, 4)) as any;
  expect(body.errorCode).toBe(0);
  expect(body.apiKeys.find((k: any) => k.apiKey === 0)).toEqual({ apiKey: 0, minVersion: 3, maxVersion: 10 });
  c.socket.destroy();

  const d = await rawConnect(cluster.server.port);
  const unsupported = requestFrame(apis.apiVersions, 0, 9, {});
  unsupported.writeInt16BE(99, 6); // api_version 99
  d.socket.write(unsupported);
  d.socket.write(requestFrame(apis.apiVersions, 0, 10, {}));
  const [err, ok] = await d.responses(2);
  expect(err.readInt32BE(0)).toBe(9);
  expect(decodeMessage(apis.apiVersions.response, 0, new Reader(err, 4))).toEqual({
    errorCode: 35,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
    throttleTimeMs: 0,
  });
  expect(ok.readInt32BE(0)).toBe(10);
  d.socket.destroy();
});

test('an unknown API key or unsupported version closes the connection after earlier responses, and others are still served', async () => {
  for (const patch of [(f: Buffer) => f.writeInt16BE(999, 4), (f: Buffer) => f.writeInt16BE(40, 6)]) {
    const c = await rawConnect(cluster.server.port);
    const bad = requestFrame(apis.metadata, 1, 2, { topics: [] });
    patch(bad);
    c.socket.write(Buffer.concat([requestFrame(apis.apiVersions, 0, 1, {}), bad]));
    await c.closed;
    expect(c.frames.map((f) => f.readInt32BE(0))).toEqual([1]);
  }
  const healthy = await KafkaConnection.connect(cluster.bootstrap);
  expect(((await healthy.request(apis.metadata, { topics: [] })) as any).brokers).toHaveLength(1);
  healthy.close();
  expect(cluster.logs.some((l) => l.includes('unknown API key 999'))).toBe(true);
  expect(cluster.logs.some((l) => l.includes('Metadata v40 is not supported'))).toBe(true);
});

test('an oversized frame is refused by closing, before its body is read', async () => {
  const c = await rawConnect(cluster.server.port);
  const header = Buffer.alloc(4);
  header.writeInt32BE(50 * 1024 * 1024);
  c.socket.write(header);
  await c.closed;
  expect(c.frames).toHaveLength(0);
  expect(cluster.logs.some((l) => l.includes('exceeds socket.request.max.bytes'))).toBe(true);
});

test('responses keep request order when a long-poll Fetch is answered after later requests finish', async () => {
  cluster.broker.createTopic({ name: 'ordered' });
  const c = await rawConnect(cluster.server.port);
  c.socket.write(Buffer.concat([requestFrame(apis.fetch, 11, 1, fetchBody('ordered', 0, 20000)), requestFrame(apis.metadata, 6, 2, { topics: null })]));
  // Metadata is done at once but must wait behind the Fetch, which new data wakes
  // (or finds at once, if the produce is read first: the order holds either way).
  const producer = await KafkaConnection.connect(cluster.bootstrap);
  const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('wake') }] });
  const produced: any = await producer.request(apis.produce, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'ordered', partitionData: [{ index: 0, records: batch }] }],
  });
  expect(produced.responses[0].partitionResponses[0].errorCode).toBe(0);
  const [first, second] = await c.responses(2);
  expect([first.readInt32BE(0), second.readInt32BE(0)]).toEqual([1, 2]);
  const fetched = decodeMessage(apis.fetch.response, 11, new Reader(first, 4)) as any;
  expect(fetched.responses[0].partitions[0].highWatermark).toBe(1);
  expect(fetched.responses[0].partitions[0].records.length).toBeGreaterThan(0);
  producer.close();
  c.socket.destroy();
});

test('acks=0 produce gets no response, and the next request is answered', async () => {
  const c = await rawConnect(cluster.server.port);
  const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('fire-and-forget') }] });
  c.socket.write(
    requestFrame(apis.produce, 7, 1, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: 'ordered', partitionData: [{ index: 0, records: batch }] }],
    }),
  );
  c.socket.write(requestFrame(apis.apiVersions, 0, 2, {}));
  const [only] = await c.responses(1);
  expect(only.readInt32BE(0)).toBe(2);
  c.socket.destroy();
});

test('graceful shutdown answers an in-flight long poll, then closes; new connections are refused', async () => {
  const own = await startTestCluster();
  own.broker.createTopic({ name: 'idle' });
  const c = await rawConnect(own.server.port);
  c.socket.write(requestFrame(apis.fetch, 11, 7, fetchBody('idle', 0, 60000)));
  await waitFor(() => own.server.inFlightRequests === 1, 'the Fetch parked in the server');
  await own.server.close(10000);
  await c.closed;
  expect(c.frames.map((f) => f.readInt32BE(0))).toEqual([7]);
  await expect(rawConnect(own.server.port)).rejects.toThrow();
  await own.broker.close();
});

test('an idle connection is closed after connections.max.idle.ms, but not while a long poll is in flight', async () => {
  const own = await startTestCluster({ server: { idleTimeoutMs: 500 } });
  own.broker.createTopic({ name: 'quiet' });
  const idle = await rawConnect(own.server.port);
  const polling = await rawConnect(own.server.port);
  polling.socket.write(requestFrame(apis.fetch, 11, 1, fetchBody('quiet', 0, 3000)));
  await idle.closed;
  expect(polling.socket.destroyed).toBe(false);
  // The long poll ends on its own time with an empty answer.
  const [answer] = await polling.responses(1);
  expect(answer.readInt32BE(0)).toBe(1);
  polling.socket.destroy();
  expect(own.logs.some((l) => l.startsWith('closing idle connection'))).toBe(true);
  await own.stop();
});

test('an idempotent producer id from InitProducerId makes a retried batch a duplicate: same offsets, written once', async () => {
  const client = await KafkaConnection.connect(cluster.bootstrap);
  const init: any = await client.request(apis.initProducerId, { transactionalId: null, transactionTimeoutMs: 60000 });
  expect(init.errorCode).toBe(0);
  cluster.broker.createTopic({ name: 'idempotent' });
  const batch = () =>
    encodeRecordBatch({
      records: [{ key: null, value: Buffer.from('once') }],
      producerId: init.producerId,
      producerEpoch: init.producerEpoch,
      baseSequence: 0,
    });
  const send = () =>
    client.request<any>(apis.produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'idempotent', partitionData: [{ index: 0, records: batch() }] }],
    });
  const first = (await send()).responses[0].partitionResponses[0];
  const retry = (await send()).responses[0].partitionResponses[0];
  expect([first.errorCode, retry.errorCode]).toEqual([0, 0]);
  expect(retry.baseOffset).toBe(first.baseOffset);
  const offsets = cluster.broker.partitionOffsets('idempotent', 0);
  expect(offsets._tag === 'Right' && offsets.right.highWatermark).toBe(1);
  // With a transactional id, the transaction coordinator's id: a fresh one, at epoch 0.
  const transactional: any = await client.request(apis.initProducerId, { transactionalId: 'tx', transactionTimeoutMs: 60000 });
  expect(transactional).toMatchObject({ errorCode: 0, producerEpoch: 0 });
  expect(transactional.producerId).not.toBe(init.producerId);
  client.close();
});

test('a client that does not read its responses stops being read: Fetches go one at a time and reading pauses on a full socket', async () => {
  const own = await startTestCluster({ server: { maxInFlightPerConnection: 1000 } });
  own.broker.createTopic({ name: 'big' });
  const value = Buffer.alloc(100 * 1024, 1);
  for (let i = 0; i < 40; i++) own.broker.produce('big', 0, encodeRecordBatch({ records: [{ key: null, value }] }));
  const c = await rawConnect(own.server.port);
  c.socket.pause(); // never reads
  const fetch = (id: number) =>
    requestFrame(apis.fetch, 11, id, {
      ...fetchBody('big', 0, 0),
      maxBytes: 4 << 20,
      topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 4 << 20 }] }],
    });
  // 200 Fetches of ~4 MB each: 800 MB if the server read them all.
  c.socket.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => fetch(i))));
  await waitFor(() => own.server.connectionsBlockedOnWrites === 1, 'reading paused on a full socket');
  expect(own.server.requestsRead).toBeLessThan(50);
  c.socket.destroy();
  await own.stop();
});
