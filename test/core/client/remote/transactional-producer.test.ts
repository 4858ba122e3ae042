// The Rill protocol client's transactional producer against `rill broker`'s
// front end: the transactional id's coordinator found with FindCoordinator (key
// type 1), records and group offsets committed or aborted together, fencing.
import { decodeRecordBatches } from '../../../../core/log';
import { ErrorCode, protocolLogClient, type ProtocolLogClient } from '../../../../core/client';
import { startTestCluster, type TestCluster } from '../../protocol/harness';

let cluster: TestCluster;
let client: ProtocolLogClient;

beforeEach(async () => {
  cluster = await startTestCluster();
  for (const [name, partitions] of [
    ['out', 2],
    ['in', 1],
  ] as const) {
    const created = cluster.broker.createTopic({ name, partitions });
    if (created._tag === 'Left') throw created.left;
  }
  client = protocolLogClient({ brokers: [cluster.bootstrap], clientId: 'txn-remote', brokerUnavailableTimeoutMs: 5000 });
});

afterEach(async () => {
  await client.close();
  await cluster.stop();
});

async function story(topic: string, partition: number): Promise<(string | string[])[]> {
  const [r] = await cluster.broker.fetch({ partitions: [{ topic, partition, offset: 0, maxBytes: 1 << 20 }] });
  const batches = decodeRecordBatches(r.records);
  if (batches._tag === 'Left') throw new Error(batches.left.message);
  return batches.right.map((b) => (b.isControl ? (b.records[0].key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT') : b.records.map((x) => x.value!.toString())));
}

const offsetOf = (group: string) => cluster.broker.fetchOffsets(group, [{ topic: 'in', partition: 0 }])[0].offset;

test('commit and abort over the protocol: markers on every partition written, offsets visible only after a commit', async () => {
  const p = client.transactionalProducer({ transactionalId: 'remote-1' });
  await p.beginTransaction();
  const sent = await p.send('out', [
    { value: 'a', partition: 0 },
    { value: 'b', partition: 1 },
  ]);
  expect(sent.map((m) => [m.partition, m.offset])).toEqual([
    [0, 0],
    [1, 0],
  ]);
  await p.sendOffsets('wc', [{ topic: 'in', partition: 0, offset: 6 }]);
  expect(offsetOf('wc')).toBe(-1);
  await p.commit();
  expect(await story('out', 0)).toEqual([['a'], 'COMMIT']);
  expect(await story('out', 1)).toEqual([['b'], 'COMMIT']);
  expect(offsetOf('wc')).toBe(6);

  await p.beginTransaction();
  await p.send('out', { value: 'c', partition: 0 });
  await p.sendOffsets('wc', [{ topic: 'in', partition: 0, offset: 9 }]);
  await p.abort();
  expect(await story('out', 0)).toEqual([['a'], 'COMMIT', ['c'], 'ABORT']);
  expect(offsetOf('wc')).toBe(6);
  await p.close();
});

test('a second producer of the transactional id fences the first over the protocol', async () => {
  const old = client.transactionalProducer({ transactionalId: 'remote-shared' });
  await old.beginTransaction();
  await old.send('out', { value: 'zombie', partition: 0 });
  const fresh = client.transactionalProducer({ transactionalId: 'remote-shared' });
  await fresh.beginTransaction();
  await expect(old.commit()).rejects.toMatchObject({ code: ErrorCode.PRODUCER_FENCED });
  await fresh.send('out', { value: 'new', partition: 0 });
  await fresh.commit();
  expect(await story('out', 0)).toEqual([['zombie'], 'ABORT', ['new'], 'COMMIT']);
  await fresh.close();
});
