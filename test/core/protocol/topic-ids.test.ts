// Topic ids on one broker: Metadata v10+ gives each topic its id, Metadata v12
// finds a topic by id, and Fetch v13+ reads a topic by the id (UNKNOWN_TOPIC_ID
// for one no topic has, the next topic of the request still answered). A topic
// deleted and made again under the same name gets a new id: the old one is
// unknown from then on.
import { encodeRecordBatch, decodeRecordBatches } from '../../../core/log';
import { ApiKey, apiByKey, apis, ErrorCode, KafkaConnection, NO_TOPIC_ID } from '../../../core/protocol';
import { fetchTopicsBody, startTestCluster, type TestCluster } from './harness';

let c: TestCluster;
let conn: KafkaConnection;
beforeAll(async () => {
  c = await startTestCluster();
  conn = await KafkaConnection.connect(c.bootstrap, { timeoutMs: 10_000 });
});
afterAll(async () => {
  conn?.close();
  await c.stop();
});

const fetchById = apiByKey(ApiKey.Fetch)!;
const metadataApi = apiByKey(ApiKey.Metadata)!;

const fetchBody = (topicIds: string[]): object => fetchTopicsBody(topicIds.map((topicId) => ({ topicId, partitions: [{ partition: 0, fetchOffset: 0 }] })));

const idOf = async (name: string): Promise<string> =>
  (await conn.send<apis.MetadataResponse>(metadataApi, 10, { topics: [{ name }], allowAutoTopicCreation: false })).topics[0].topicId;

function values(records: Buffer | null): string[] {
  const batches = decodeRecordBatches(records ?? Buffer.alloc(0));
  if (batches._tag === 'Left') throw new Error(batches.left.message);
  return batches.right.flatMap((b) => b.records.map((r) => r.value!.toString()));
}

it('Metadata v10+ names topic ids, v12 finds a topic by id, and Fetch v13-16 read by id', async () => {
  for (const name of ['ids-a', 'ids-b']) {
    const created = c.broker.createTopic({ name, partitions: 1 });
    if (created._tag === 'Left') throw created.left;
  }
  const produced = c.broker.produce('ids-a', 0, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('hello') }] }));
  if (produced._tag === 'Left') throw produced.left;

  const a = await idOf('ids-a');
  const b = await idOf('ids-b');
  expect(a).toMatch(/^[0-9a-f]{32}$/);
  expect(a).not.toBe(NO_TOPIC_ID);
  expect(b).not.toBe(a);

  const byId = await conn.send<apis.MetadataResponse>(metadataApi, 12, {
    topics: [
      { name: null, topicId: b },
      { name: null, topicId: 'e'.repeat(32) },
    ],
  });
  expect(byId.topics.map((t) => [t.errorCode, t.name, t.topicId])).toEqual([
    [0, 'ids-b', b],
    [ErrorCode.UNKNOWN_TOPIC_ID, null, 'e'.repeat(32)],
  ]);

  for (const version of [13, 14, 15, 16]) {
    const r = await conn.send<apis.FetchResponse>(fetchById, version, fetchBody([a, 'e'.repeat(32), b]));
    expect(r.responses.map((t) => [t.topicId, t.partitions[0].errorCode])).toEqual([
      [a, 0],
      [b, 0],
      ['e'.repeat(32), ErrorCode.UNKNOWN_TOPIC_ID],
    ]);
    expect(values(r.responses[0].partitions[0].records)).toEqual(['hello']);
  }
});

it('a topic made again under its old name has a new id; the old id is unknown', async () => {
  const created = c.broker.createTopic({ name: 'ids-again', partitions: 1 });
  if (created._tag === 'Left') throw created.left;
  const first = await idOf('ids-again');
  const deleted = c.broker.deleteTopic('ids-again');
  if (deleted._tag === 'Left') throw deleted.left;
  const again = c.broker.createTopic({ name: 'ids-again', partitions: 1 });
  if (again._tag === 'Left') throw again.left;
  const second = await idOf('ids-again');
  expect(second).not.toBe(first);
  const r = await conn.send<apis.FetchResponse>(fetchById, 16, fetchBody([first, second]));
  expect(r.responses.map((t) => [t.topicId, t.partitions[0].errorCode])).toEqual([
    [second, 0],
    [first, ErrorCode.UNKNOWN_TOPIC_ID],
  ]);
});
