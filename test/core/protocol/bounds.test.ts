// The listener bounds under the attacks of issue 21, each with its input:
// the idle-connection flood, the incomplete-frame memory attack, a huge
// max_bytes Fetch, and the same bounds on the cluster's Kafka listener.
// Everything waits on events (waitFor on counters), never on the clock.
import * as net from 'node:net';
import { KafkaConnection, Reader, apis, decodeMessage } from '../../../core/protocol';
import { encodeRecordBatch } from '../../../core/log';
import { startTestCluster, waitFor } from './harness';
import { rawConnect, requestFrame, RawConnection } from './raw';

const apiVersionsFrame = (id: number) => requestFrame(apis.apiVersions, 0, id, {});

async function answered(c: RawConnection, id: number, n: number): Promise<number> {
  c.socket.write(apiVersionsFrame(id));
  const frames = await c.responses(n);
  return frames[n - 1].readInt32BE(0);
}

/** Opens `n` sockets; resolves with them once each is connected or closed. */
async function openMany(port: number, n: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port });
          s.on('error', () => undefined);
          s.once('connect', () => resolve(s));
          s.once('close', () => resolve(s));
        }),
    ),
  );
}

test('idle-connection flood: connections beyond max.connections are closed at once, with few log lines, and the admitted ones are served', async () => {
  const own = await startTestCluster({ server: { maxConnections: 20, maxConnectionsPerIp: 1000 } });
  const sockets: net.Socket[] = [];
  try {
    const first = await rawConnect(own.server.port);
    sockets.push(first.socket);
    sockets.push(...(await openMany(own.server.port, 200)));
    await waitFor(() => own.server.limiter.refused === 181, 'the 181 connections beyond the limit refused');
    expect(own.server.connectionCount).toBe(20);
    const lines = own.logs.filter((l) => l.includes('max.connections (20)'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThan(10);
    expect(await answered(first, 7, 1)).toBe(7);
    // Room again once admitted connections go.
    for (const s of sockets.slice(1)) s.destroy();
    await waitFor(() => own.server.connectionCount === 1, 'the flood connections gone');
    const later = await rawConnect(own.server.port);
    sockets.push(later.socket);
    expect(await answered(later, 8, 1)).toBe(8);
  } finally {
    for (const s of sockets) s.destroy();
    await own.stop();
  }
});

test('max.connections.per.ip refuses one address beyond its share', async () => {
  const own = await startTestCluster({ server: { maxConnections: 100, maxConnectionsPerIp: 5 } });
  const sockets: net.Socket[] = [];
  try {
    sockets.push(...(await openMany(own.server.port, 12)));
    await waitFor(() => own.server.limiter.refused === 7, '7 connections refused');
    expect(own.server.connectionCount).toBe(5);
    expect(own.logs.some((l) => l.includes('max.connections.per.ip (5)'))).toBe(true);
  } finally {
    for (const s of sockets) s.destroy();
    await own.stop();
  }
});

test('incomplete-frame memory attack: connections holding partial large frames are bounded by queued.max.request.bytes, and small requests still get through', async () => {
  const MiB = 1024 * 1024;
  const own = await startTestCluster({ server: { queuedMaxRequestBytes: 8 * MiB, maxFrameBytes: 6 * MiB } });
  const attackers: RawConnection[] = [];
  try {
    // Four connections each declare a 6 MiB Produce frame and send 5 MiB of it, never the rest.
    const partial = Buffer.alloc(5 * MiB, 0x41);
    partial.writeInt32BE(6 * MiB, 0);
    partial.writeInt16BE(0, 4); // api key Produce
    for (let i = 0; i < 4; i++) {
      const c = await rawConnect(own.server.port);
      attackers.push(c);
      c.socket.write(partial);
    }
    // One frame fits the pool; the other three wait, their sockets unread.
    await waitFor(() => own.server.pool.waiting === 3, 'three frames waiting for the pool');
    await waitFor(() => own.server.bufferedRequestBytes >= 5 * MiB - 4, 'the admitted frame read');
    expect(own.server.pool.usedBytes).toBe(6 * MiB);
    expect(own.server.pool.highWater).toBeLessThanOrEqual(8 * MiB);
    // What is buffered is the admitted frame plus at most a few socket reads of each waiting one.
    expect(own.server.bufferedRequestBytes).toBeLessThan(6 * MiB + 3 * MiB);
    // A small request fits beside it.
    const honest = await rawConnect(own.server.port);
    attackers.push(honest);
    expect(await answered(honest, 42, 1)).toBe(42);
    // Attackers leave one by one: a waiting frame is admitted whenever the admitted one's goes back.
    for (let i = 0; i < 4; i++) {
      attackers[i].socket.destroy();
      const left = 3 - i;
      await waitFor(
        () => own.server.pool.waiting === Math.max(0, left - 1) && own.server.pool.usedBytes === (left > 0 ? 6 * MiB : 0),
        `${left} attacker(s) left`,
      );
    }
    expect(own.server.pool.highWater).toBeLessThanOrEqual(8 * MiB);
    for (const c of attackers) c.socket.destroy();
    await waitFor(() => own.server.connectionCount === 0 && own.server.pool.usedBytes === 0, 'every reservation returned');
    expect(own.server.pool.waiting).toBe(0);
  } finally {
    for (const c of attackers) c.socket.destroy();
    await own.stop();
  }
});

test('a frame larger than queued.max.request.bytes is refused by closing, as one above socket.request.max.bytes', async () => {
  const own = await startTestCluster({ server: { queuedMaxRequestBytes: 1024 * 1024, maxFrameBytes: 4 * 1024 * 1024 } });
  try {
    const c = await rawConnect(own.server.port);
    const head = Buffer.alloc(8);
    head.writeInt32BE(2 * 1024 * 1024, 0);
    c.socket.write(head);
    await c.closed;
    expect(own.logs.some((l) => l.includes('exceeds queued.max.request.bytes'))).toBe(true);
    expect(own.server.pool.usedBytes).toBe(0);
  } finally {
    await own.stop();
  }
});

test('a Fetch asking for 2 GB gets at most fetch.max.bytes, and still one whole batch when that batch is larger', async () => {
  const own = await startTestCluster({ broker: { limits: { fetchMaxBytes: 1024 * 1024 } } });
  try {
    own.broker.createTopic({ name: 'big', partitions: 2 });
    const value = Buffer.alloc(100 * 1024, 7);
    for (let i = 0; i < 40; i++) own.broker.produce('big', i % 2, encodeRecordBatch({ records: [{ key: null, value }] }));
    const huge = 0x7fffffff;
    const body = {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: huge,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'big', partitions: [0, 1].map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: huge })) }],
    };
    const c = await rawConnect(own.server.port);
    c.socket.write(requestFrame(apis.fetch, 11, 1, body));
    const [frame] = await c.responses(1);
    const reader = new Reader(frame);
    reader.int32();
    const response: any = decodeMessage(apis.fetch.response, 11, reader);
    const sizes = response.responses[0].partitions.map((p: any) => p.records?.length ?? 0);
    const total = sizes.reduce((a: number, b: number) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(1024 * 1024);
    c.socket.destroy();

    // A limit below one batch still returns that batch whole (KIP-74), and no more.
    const tiny = await startTestCluster({ broker: { limits: { fetchMaxBytes: 1024 } } });
    try {
      tiny.broker.createTopic({ name: 'big' });
      for (let i = 0; i < 3; i++) tiny.broker.produce('big', 0, encodeRecordBatch({ records: [{ key: null, value }] }));
      const t = await rawConnect(tiny.server.port);
      t.socket.write(
        requestFrame(apis.fetch, 11, 2, { ...body, topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: huge }] }] }),
      );
      const [f] = await t.responses(1);
      const r = new Reader(f);
      r.int32();
      const res: any = decodeMessage(apis.fetch.response, 11, r);
      const records: Buffer = res.responses[0].partitions[0].records;
      expect(records.length).toBeGreaterThan(100 * 1024);
      expect(records.length).toBeLessThan(2 * 100 * 1024);
      t.socket.destroy();
    } finally {
      await tiny.stop();
    }
  } finally {
    await own.stop();
  }
});

test('max.partitions.per.request: CreateTopics and CreatePartitions topics beyond it get POLICY_VIOLATION, the rest of the request is served', async () => {
  const own = await startTestCluster({ broker: { limits: { maxPartitionsPerRequest: 10, maxBrokerPartitions: 20 } } });
  const client = await KafkaConnection.connect(own.bootstrap);
  try {
    const topic = (name: string, numPartitions: number) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] });
    const created: any = await client.request(apis.createTopics, {
      topics: [topic('six', 6), topic('six-more', 6), topic('four', 4)],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(created.topics.map((t: any) => [t.name, t.errorCode])).toEqual([
      ['six', 0],
      ['six-more', 44],
      ['four', 0],
    ]);
    expect(created.topics[1].errorMessage).toContain('max.partitions.per.request (10)');
    expect(own.broker.listTopics()).toEqual(['four', 'six']);
    // A bit-flipped count (1026 partitions) is refused; a small growth in the same request is served.
    const grown: any = await client.request(apis.createPartitions, {
      topics: [
        { name: 'six', count: 1026, assignments: null },
        { name: 'four', count: 8, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(grown.results.map((r: any) => [r.name, r.errorCode])).toEqual([
      ['six', 44],
      ['four', 0],
    ]);
    expect(own.broker.topics.partitionCount('six')).toBe(6);
    expect(own.broker.topics.partitionCount('four')).toBe(8);
    // max.broker.partitions over the wire: 14 + 10 would pass 20; 6 fit.
    const tooMany: any = await client.request(apis.createTopics, { topics: [topic('over', 10)], timeoutMs: 1000, validateOnly: false });
    expect(tooMany.topics[0].errorCode).toBe(44);
    expect(tooMany.topics[0].errorMessage).toContain('max.broker.partitions (20)');
    const fits: any = await client.request(apis.createTopics, { topics: [topic('fits', 6)], timeoutMs: 1000, validateOnly: false });
    expect(fits.topics[0].errorCode).toBe(0);
    expect(own.broker.topics.totalPartitions).toBe(20);
  } finally {
    client.close();
    await own.stop();
  }
});
