// Bad input: random and mutated frames (fast-check, fixed seeds) never crash the
// broker, never leave connections behind, and never stop it serving others;
// reading ahead is bounded per connection.
import fc from 'fast-check';
import { encodeRecordBatch } from '../../../core/log';
import { APIS, KafkaConnection, apis } from '../../../core/protocol';
import { startTestCluster, TestCluster, waitFor } from './harness';
import { rawConnect, requestFrame } from './raw';

let cluster: TestCluster;
const MAX_IN_FLIGHT = 8;

beforeAll(async () => {
  cluster = await startTestCluster({ server: { maxFrameBytes: 64 * 1024, maxInFlightPerConnection: MAX_IN_FLIGHT } });
  cluster.broker.createTopic({ name: 'fuzz', partitions: 2 });
});

afterAll(async () => {
  await cluster.stop();
});

/** Sends bytes on a fresh connection, half-closes, and waits (bounded) for the server to close it. */
async function sendAndHangUp(bytes: Uint8Array): Promise<void> {
  const c = await rawConnect(cluster.server.port);
  c.socket.end(bytes);
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10000).unref());
  if ((await Promise.race([c.closed, timeout])) === 'timeout') {
    c.socket.destroy();
    throw new Error('the server kept a hung-up connection open');
  }
}

async function stillServes(): Promise<void> {
  const client = await KafkaConnection.connect(cluster.bootstrap, { timeoutMs: 5000 });
  const meta: any = await client.request(apis.metadata, { topics: [{ name: 'fuzz' }], allowAutoTopicCreation: false });
  expect(meta.topics[0].partitions).toHaveLength(2);
  client.close();
}

const frameOf = (body: Uint8Array) => {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length);
  Buffer.from(body).copy(b, 4);
  return b;
};

// APIs whose random success would be slow (thousands of partitions) are left out of the header generator.
const SAFE = APIS.filter((a) => a.key !== 19 && a.key !== 37);

test('random bytes as frames', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (body) => {
      await sendAndHangUp(frameOf(body));
    }),
    { seed: 1, numRuns: 150 },
  );
  await stillServes();
});

test('random bodies behind valid headers of every served API and version', async () => {
  const header = fc.constantFrom(
    ...SAFE.flatMap((api) => Array.from({ length: api.versions.max - api.versions.min + 1 }, (_, i) => ({ api, version: api.versions.min + i }))),
  );
  await fc.assert(
    fc.asyncProperty(header, fc.uint8Array({ maxLength: 120 }), async ({ api, version }, tail) => {
      const head = requestFrame(api, version, 1, {}).subarray(4, 4 + 14); // key, version, correlation id, client id "raw"
      await sendAndHangUp(frameOf(Buffer.concat([head, Buffer.from(tail)])));
    }),
    { seed: 2, numRuns: 300 },
  );
  await stillServes();
});

test('mutated valid requests (flipped bytes, truncation, garbage appended)', async () => {
  const batch = encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] });
  const seeds = [
    requestFrame(apis.metadata, 9, 1, { topics: [{ name: 'fuzz' }], allowAutoTopicCreation: false }),
    requestFrame(apis.produce, 7, 2, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 100,
      topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: batch }] }],
    }),
    requestFrame(apis.fetch, 12, 3, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1000,
      topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1000 }] }],
    }),
    requestFrame(apis.listOffsets, 5, 4, { replicaId: -1, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 1, timestamp: -1 }] }] }),
    requestFrame(apis.offsetCommit, 8, 5, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }],
    }),
    requestFrame(apis.apiVersions, 3, 6, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }),
  ].map((f) => f.subarray(4));
  const mutation = fc.record({
    seed: fc.nat(seeds.length - 1),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    cut: fc.option(fc.nat()),
    extra: fc.uint8Array({ maxLength: 16 }),
  });
  await fc.assert(
    fc.asyncProperty(mutation, async ({ seed, flips, cut, extra }) => {
      const body = Buffer.from(seeds[seed]);
      for (const [at, value] of flips) body[8 + (at % Math.max(1, body.length - 8))] = value; // keep the api key/version, mangle the rest
      const cutBody = cut === null ? body : body.subarray(0, 8 + (cut % Math.max(1, body.length - 7)));
      await sendAndHangUp(frameOf(Buffer.concat([cutBody, Buffer.from(extra)])));
    }),
    { seed: 3, numRuns: 300 },
  );
  await stillServes();
  await waitFor(() => cluster.server.connectionCount === 0, 'every fuzz connection closed');
});

test('a client that pipelines without end has at most maxInFlight requests read; the rest wait in the socket', async () => {
  const c = await rawConnect(cluster.server.port);
  // A long poll at the log end of an empty partition holds the head of the queue;
  // the Metadata requests behind it are answered at once but wait for their turn.
  const longPoll = requestFrame(apis.fetch, 11, 0, {
    maxWaitMs: 30000,
    minBytes: 1,
    maxBytes: 1000,
    topics: [{ topic: 'fuzz', partitions: [{ partition: 1, fetchOffset: 0, partitionMaxBytes: 1000 }] }],
  });
  const metadata = (id: number) => requestFrame(apis.metadata, 9, id, { topics: [{ name: 'fuzz' }], allowAutoTopicCreation: false });
  c.socket.write(Buffer.concat([longPoll, ...Array.from({ length: 40 }, (_, i) => metadata(i + 1))]));
  await waitFor(() => cluster.server.inFlightRequests === MAX_IN_FLIGHT, `${MAX_IN_FLIGHT} requests in flight`);
  // Reading is paused: no more are taken in while they wait.
  await new Promise((r) => setImmediate(r));
  expect(cluster.server.inFlightRequests).toBe(MAX_IN_FLIGHT);
  // Only this connection is open: of its 41 requests, exactly MAX_IN_FLIGHT were taken off the socket.
  expect(cluster.server.requestsRead).toBe(MAX_IN_FLIGHT);
  c.socket.destroy();
  await waitFor(() => cluster.server.inFlightRequests === 0, 'the parked fetch released when the client left');
});
