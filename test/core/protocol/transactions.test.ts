// kafkajs's transactional producer against the real front end over one broker:
// InitProducerId with a transactional id, AddPartitionsToTxn, AddOffsetsToTxn,
// TxnOffsetCommit, EndTxn. The logs are read as they are stored (read
// uncommitted): each partition of a transaction ends with its COMMIT or ABORT
// control batch, and the group's offsets appear only once it commits.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { decodeRecordBatches, type DecodedBatch } from '../../../core/log';
import { apis, ErrorCode, KafkaConnection, singleNodePorts } from '../../../core/protocol';
import { startTestCluster, type TestCluster } from './harness';

let cluster: TestCluster;
let kafka: Kafka;
const producers: Producer[] = [];

beforeEach(async () => {
  cluster = await startTestCluster();
  kafka = new Kafka({ clientId: 'txn-test', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  for (const name of ['out', 'in']) {
    const created = cluster.broker.createTopic({ name, partitions: 2 });
    if (created._tag === 'Left') throw created.left;
  }
});

afterEach(async () => {
  for (const p of producers.splice(0)) await p.disconnect().catch(() => undefined);
  await cluster.stop();
});

async function transactionalProducer(transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  producers.push(producer);
  await producer.connect();
  return producer;
}

/** Every batch of the partition, control batches included. */
async function batches(topic: string, partition: number): Promise<DecodedBatch[]> {
  const [r] = await cluster.broker.fetch({ partitions: [{ topic, partition, offset: 0, maxBytes: 1 << 20 }] });
  const decoded = decodeRecordBatches(r.records);
  if (decoded._tag === 'Left') throw new Error(decoded.left.message);
  return decoded.right;
}

/** The partition's batches as 'data' (transactional records, their values) or the marker's 'COMMIT'/'ABORT'. */
async function story(topic: string, partition: number): Promise<(string | string[])[]> {
  return (await batches(topic, partition)).map((b) => {
    if (!b.isControl) {
      expect(b.isTransactional).toBe(true);
      return b.records.map((r) => r.value!.toString());
    }
    expect(b.isTransactional).toBe(true);
    const key = b.records[0].key!;
    expect(key.readInt16BE(0)).toBe(0);
    return key.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT';
  });
}

const committed = (groupId: string) =>
  cluster.broker.fetchOffsets(groupId, [
    { topic: 'in', partition: 0 },
    { topic: 'in', partition: 1 },
  ]);

test('commit: records on two partitions and the group offsets, each partition ending with a COMMIT marker', async () => {
  const producer = await transactionalProducer('tx-commit');
  const txn = await producer.transaction();
  await txn.send({
    topic: 'out',
    messages: [
      { partition: 0, value: 'a' },
      { partition: 1, value: 'b' },
    ],
  });
  await txn.sendOffsets({ consumerGroupId: 'wc', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
  // Before the commit the offset is pending: not visible, and unstable to a reader that asks for stable offsets.
  expect(committed('wc')[0].offset).toBe(-1);
  const stable = await singleNodePorts(cluster.broker).groups.fetchOffsets('wc', [{ topic: 'in', partition: 0 }], true);
  expect(stable._tag === 'Right' && stable.right[0].errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
  await txn.commit();

  expect(await story('out', 0)).toEqual([['a'], 'COMMIT']);
  expect(await story('out', 1)).toEqual([['b'], 'COMMIT']);
  expect(committed('wc').map((o) => o.offset)).toEqual([5, -1]);
  // A second transaction of the same producer continues on the same id and epoch.
  const next = await producer.transaction();
  await next.send({ topic: 'out', messages: [{ partition: 0, value: 'c' }] });
  await next.commit();
  expect(await story('out', 0)).toEqual([['a'], 'COMMIT', ['c'], 'COMMIT']);
});

test('abort: ABORT markers, and the offsets sent in the transaction are dropped', async () => {
  const producer = await transactionalProducer('tx-abort');
  const txn = await producer.transaction();
  await txn.send({
    topic: 'out',
    messages: [
      { partition: 0, value: 'x' },
      { partition: 1, value: 'y' },
    ],
  });
  await txn.sendOffsets({ consumerGroupId: 'wc', topics: [{ topic: 'in', partitions: [{ partition: 1, offset: '9' }] }] });
  await txn.abort();

  expect(await story('out', 0)).toEqual([['x'], 'ABORT']);
  expect(await story('out', 1)).toEqual([['y'], 'ABORT']);
  expect(committed('wc').map((o) => o.offset)).toEqual([-1, -1]);
  const stable = await singleNodePorts(cluster.broker).groups.fetchOffsets('wc', [{ topic: 'in', partition: 1 }], true);
  expect(stable._tag === 'Right' && stable.right[0].errorCode).toBeUndefined();
});

test('a second producer with the same transactional id fences the first: its open transaction is aborted and its commit refused', async () => {
  const first = await transactionalProducer('tx-shared');
  const txn = await first.transaction();
  await txn.send({ topic: 'out', messages: [{ partition: 0, value: 'zombie' }] });

  // kafkajs initialises the producer id with its first transaction: that fences the first producer.
  const second = await transactionalProducer('tx-shared');
  const fresh = await second.transaction();
  expect(await story('out', 0)).toEqual([['zombie'], 'ABORT']);
  await expect(txn.commit()).rejects.toMatchObject({ type: expect.stringMatching(/^(INVALID_PRODUCER_EPOCH|PRODUCER_FENCED)$/) });

  await fresh.send({ topic: 'out', messages: [{ partition: 1, value: 'new' }] });
  await fresh.commit();
  expect(await story('out', 1)).toEqual([['new'], 'COMMIT']);
});

test('over the wire: WriteTxnMarkers (v0 and v1) appends the markers; OffsetFetch v7 require_stable answers UNSTABLE_OFFSET_COMMIT', async () => {
  const c = await KafkaConnection.connect(cluster.bootstrap);
  try {
    for (const version of [0, 1]) {
      const answer = await c.send<apis.WriteTxnMarkersResponse>(apis.writeTxnMarkers, version, {
        markers: [
          { producerId: 77, producerEpoch: 2, transactionResult: version === 1, topics: [{ name: 'out', partitionIndexes: [0, 5] }], coordinatorEpoch: 4 },
        ],
      });
      // The partition that does not exist answers its own error; the other has its marker.
      expect(answer.markers[0].topics[0].partitions).toEqual([
        { partitionIndex: 0, errorCode: 0 },
        { partitionIndex: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
      ]);
    }
    const markers = (await batches('out', 0)).map((b) => ({
      pid: b.producerId,
      epoch: b.producerEpoch,
      key: b.records[0].key!.toString('hex'),
      value: b.records[0].value!.toString('hex'),
    }));
    expect(markers).toEqual([
      { pid: 77, epoch: 2, key: '00000000', value: '000000000004' },
      { pid: 77, epoch: 2, key: '00000001', value: '000000000004' },
    ]);

    // Pending offsets of an open transaction: OffsetFetch v7 with require_stable says so; without it, nothing is committed.
    const tx = cluster.broker.transactions;
    const g = await tx.initProducerId('wire', 10_000);
    if (g._tag === 'Left') throw g.left;
    await tx.addOffsets('wire', g.right.producerId, g.right.producerEpoch, 'wg');
    cluster.broker.commitTxnOffsets({ transactionalId: 'wire', ...g.right, groupId: 'wg', memberId: '', generationId: -1 }, [
      { topic: 'in', partition: 0, offset: 3 },
    ]);
    const fetch = (requireStable: boolean) =>
      c.send<apis.OffsetFetchResponse>(apis.offsetFetch, 7, { groupId: 'wg', topics: [{ name: 'in', partitionIndexes: [0] }], requireStable });
    expect((await fetch(true)).topics[0].partitions[0]).toMatchObject({ committedOffset: -1, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect((await fetch(false)).topics[0].partitions[0]).toMatchObject({ committedOffset: -1, errorCode: 0 });

    // A fenced producer: PRODUCER_FENCED from EndTxn v2, INVALID_PRODUCER_EPOCH to v0-1 (before KIP-588).
    const stale = { transactionalId: 'wire', producerId: g.right.producerId, producerEpoch: g.right.producerEpoch + 5, committed: true };
    expect((await c.send<{ errorCode: number }>(apis.endTxn, 1, stale)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await c.send<{ errorCode: number }>(apis.endTxn, 3, stale)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await c.send<{ errorCode: number }>(apis.endTxn, 3, { ...stale, producerEpoch: g.right.producerEpoch })).errorCode).toBe(0);
    expect((await fetch(true)).topics[0].partitions[0]).toMatchObject({ committedOffset: 3, errorCode: 0 });
  } finally {
    c.close();
  }
});
