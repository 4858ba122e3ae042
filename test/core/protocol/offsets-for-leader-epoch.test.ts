// OffsetForLeaderEpoch (23) on a single node (KIP-320): the node leads every
// partition at epoch 0 and its log never diverged, so an epoch ends at the log
// end; a CurrentLeaderEpoch other than 0 is refused, here and in Fetch and
// ListOffsets; the versions clients send (librdkafka v2, Java v3+) are served
// and advertised; with ACLs a consumer needs DESCRIBE on the topic.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker } from '../../../core/broker';
import { encodeRecordBatch } from '../../../core/log';
import { silentLogger } from '../../../core/logging';
import { ApiKey, apiByKey, apis, auth, ErrorCode, KafkaConnection, KafkaServer, singleNodePorts, type ApiVersionRange } from '../../../core/protocol';
import { fetchRequestBody, startTestCluster, type TestCluster } from './harness';

const TOPIC = 'epochs';
const offsetForLeaderEpoch = apiByKey(ApiKey.OffsetForLeaderEpoch)!;

const ask = (topic: string, partitions: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]) => ({
  replicaId: -1,
  topics: [{ topic, partitions }],
});

function produce(broker: Broker, topic: string, values: string[]): void {
  const r = broker.produce(topic, 0, encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) }));
  if (r._tag === 'Left') throw r.left;
}

describe('a single node', () => {
  let c: TestCluster;
  let conn: KafkaConnection;
  beforeAll(async () => {
    c = await startTestCluster();
    conn = await KafkaConnection.connect(c.bootstrap, { timeoutMs: 10_000 });
    const created = c.broker.createTopic({ name: TOPIC, partitions: 1 });
    if (created._tag === 'Left') throw created.left;
    produce(c.broker, TOPIC, ['a', 'b', 'c']);
  });
  afterAll(async () => {
    conn?.close();
    await c.stop();
  });

  it('advertises versions 2 to 4', async () => {
    const r = await conn.send<{ apiKeys: ApiVersionRange[] }>(apiByKey(ApiKey.ApiVersions)!, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(r.apiKeys.find((k) => k.apiKey === ApiKey.OffsetForLeaderEpoch)).toEqual({ apiKey: 23, minVersion: 2, maxVersion: 4 });
  });

  it.each([2, 3, 4])('v%i: epoch 0 ends at the log end; no epoch is unknown; a producer-written epoch the node never had also ends there', async (v) => {
    const r = await conn.send<apis.OffsetForLeaderEpochResponse>(
      offsetForLeaderEpoch,
      v,
      ask(TOPIC, [
        { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
        { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
        { partition: 0, currentLeaderEpoch: 0, leaderEpoch: -1 },
        { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 7 },
      ]),
    );
    expect(r.topics).toEqual([
      {
        topic: TOPIC,
        partitions: [
          { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 3 },
          { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 3 },
          { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1 },
          { errorCode: 0, partition: 0, leaderEpoch: 7, endOffset: 3 },
        ],
      },
    ]);
  });

  it('refuses a future current leader epoch, and names unknown topics and partitions', async () => {
    const r = await conn.send<apis.OffsetForLeaderEpochResponse>(offsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [
        {
          topic: TOPIC,
          partitions: [
            { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 },
            { partition: 1, currentLeaderEpoch: 0, leaderEpoch: 0 },
          ],
        },
        { topic: 'no-such-topic', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] },
      ],
    });
    expect(r.topics.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset])])).toEqual([
      [
        TOPIC,
        [
          [0, ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1],
          [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1],
        ],
      ],
      ['no-such-topic', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]]],
    ]);
  });

  it('Fetch and ListOffsets refuse a current leader epoch other than 0, at once, and serve 0 and none', async () => {
    const body = fetchRequestBody(TOPIC, [{ partition: 0, fetchOffset: 3 }], { maxWaitMs: 60_000, minBytes: 1 << 20 }) as {
      topics: { partitions: { currentLeaderEpoch: number }[] }[];
    };
    const withEpoch = (epoch: number) => ({
      ...body,
      topics: body.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, currentLeaderEpoch: epoch })) })),
    });
    // A refused partition is answered without the long poll (60 s here, past the test's deadline).
    const future = await conn.send<apis.FetchResponse>(apis.fetch, 12, withEpoch(1));
    expect(future.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, highWatermark: -1 });
    expect(future.responses[0].partitions[0].records?.length ?? 0).toBe(0);
    const current = await conn.send<apis.FetchResponse>(apis.fetch, 12, { ...withEpoch(0), maxWaitMs: 0 });
    expect(current.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 3 });

    // LastFetchedEpoch (v12+): the log end is where every epoch ends here, so only a fetch past it diverged.
    const fetchFrom = (fetchOffset: number, lastFetchedEpoch: number) =>
      conn.send<apis.FetchResponse>(apis.fetch, 12, {
        ...withEpoch(0),
        maxWaitMs: 0,
        topics: withEpoch(0).topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, fetchOffset, lastFetchedEpoch })) })),
      });
    expect((await fetchFrom(1, 0)).responses[0].partitions[0]).toMatchObject({ errorCode: 0, divergingEpoch: undefined });
    expect((await fetchFrom(3, 9)).responses[0].partitions[0]).toMatchObject({ errorCode: 0, divergingEpoch: undefined });
    expect((await fetchFrom(5, 0)).responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 3, divergingEpoch: { epoch: 0, endOffset: 3 } });

    const list = (currentLeaderEpoch: number) =>
      conn.send<apis.ListOffsetsResponse>(apis.listOffsets, 4, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp: -1 }] }],
      });
    expect((await list(2)).topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, offset: -1 });
    expect((await list(0)).topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 3, leaderEpoch: 0 });
    expect((await list(-1)).topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 3 });
  });

  it('Fetch with LastFetchedEpoch below the log start is OFFSET_OUT_OF_RANGE before any divergence check, as in Kafka', async () => {
    const trimmed = `${TOPIC}-trimmed`;
    const created = c.broker.createTopic({ name: trimmed, partitions: 1 });
    if (created._tag === 'Left') throw created.left;
    produce(c.broker, trimmed, ['a', 'b', 'c']);
    const deleted = c.broker.deleteRecords(trimmed, 0, 2);
    if (deleted._tag === 'Left') throw deleted.left;
    const fetchFrom = async (fetchOffset: number, lastFetchedEpoch: number) => {
      const body = fetchRequestBody(trimmed, [{ partition: 0, fetchOffset }], { maxWaitMs: 0 }) as { topics: { partitions: object[] }[] };
      const r = await conn.send<apis.FetchResponse>(apis.fetch, 12, {
        ...body,
        topics: body.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, currentLeaderEpoch: 0, lastFetchedEpoch })) })),
      });
      const a = r.responses[0].partitions[0];
      return { errorCode: a.errorCode, logStartOffset: a.logStartOffset, divergingEpoch: a.divergingEpoch, records: a.records?.length ?? 0 };
    };
    // Below the log start: refused, with no offsets (Kafka answers an exception so), diverged or not.
    expect(await fetchFrom(1, 0)).toEqual({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: -1, divergingEpoch: undefined, records: 0 });
    // At the log start: served; past the log end: diverged at the log end (the latest epoch ends there), not refused.
    expect(await fetchFrom(2, 0)).toMatchObject({ errorCode: 0, logStartOffset: 2, divergingEpoch: undefined });
    expect((await fetchFrom(2, 0)).records).toBeGreaterThan(0);
    expect(await fetchFrom(4, 0)).toEqual({ errorCode: 0, logStartOffset: 2, divergingEpoch: { epoch: 0, endOffset: 3 }, records: 0 });
  });
});

describe('with ACLs', () => {
  let dir: string;
  let broker: Broker;
  let server: KafkaServer;
  let conn: KafkaConnection;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-epoch-acl-'));
    broker = Broker.open({ dir: path.join(dir, 'log'), scheduler: false });
    for (const name of ['described', 'hidden']) {
      const created = broker.createTopic({ name, partitions: 1 });
      if (created._tag === 'Left') throw created.left;
    }
    const acls = auth.fileAclPort(dir, { superUsers: [], allowEveryoneIfNoAclFound: false });
    await acls.createAcls([
      {
        resourceType: auth.ResourceType.TOPIC,
        resourceName: 'described',
        patternType: auth.PatternType.LITERAL,
        principal: 'User:ANONYMOUS',
        host: '*',
        operation: auth.AclOperation.DESCRIBE,
        permission: auth.AclPermission.ALLOW,
      },
    ]);
    server = await KafkaServer.start({ ports: { ...singleNodePorts(broker), acls }, port: 0, host: '127.0.0.1', logger: silentLogger });
    conn = await KafkaConnection.connect(`127.0.0.1:${server.port}`, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    conn?.close();
    await server?.close(2000);
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a topic the consumer may describe, and TOPIC_AUTHORIZATION_FAILED for one it may not', async () => {
    const r = await conn.send<apis.OffsetForLeaderEpochResponse>(offsetForLeaderEpoch, 3, {
      replicaId: -1,
      topics: ['described', 'hidden'].map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] })),
    });
    expect(r.topics.map((t) => [t.topic, t.partitions[0].errorCode, t.partitions[0].endOffset])).toEqual([
      ['described', 0, 0],
      ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1],
    ]);
  });
});
