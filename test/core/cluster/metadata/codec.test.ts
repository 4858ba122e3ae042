import { createHash } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { decodeRecord, decodeMetadataBatch, encodeRecord, encodeMetadataBatch, type MetadataRecord } from '../../../../core/cluster';

const EVERY_RECORD: MetadataRecord[] = [
  { type: 'RegisterBroker', brokerId: 3, brokerEpoch: 2 ** 40, rack: 'eu-1a', host: 'broker-3.local', port: 9092 },
  { type: 'RegisterBroker', brokerId: 0, brokerEpoch: 1, rack: null, host: '', port: 0 },
  { type: 'FenceBroker', brokerId: 1, brokerEpoch: 7 },
  { type: 'UnfenceBroker', brokerId: 1, brokerEpoch: 7 },
  { type: 'UnregisterBroker', brokerId: 1, brokerEpoch: 7 },
  { type: 'Topic', name: 'orders', topicId: 12, config: { 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' } },
  { type: 'Partition', topicId: 12, partition: 4, replicas: [1, 2, 3], isr: [1, 3], leader: 3, leaderEpoch: 9, partitionEpoch: 31 },
  { type: 'Partition', topicId: 12, partition: 5, replicas: [2], isr: [], leader: -1, leaderEpoch: 0, partitionEpoch: 0 },
  { type: 'PartitionChange', topicId: 12, partition: 4, partitionEpoch: 31, leader: -1 },
  { type: 'PartitionChange', topicId: 12, partition: 4, partitionEpoch: 31, isr: [3] },
  { type: 'PartitionChange', topicId: 12, partition: 4, partitionEpoch: 31, leader: 1, isr: [1] },
  { type: 'TopicConfig', topicId: 12, config: { 'retention.ms': '60000', 'min.insync.replicas': '1' } },
  { type: 'TopicConfig', topicId: 12, config: {} },
  { type: 'RemoveTopic', topicId: 12 },
  {
    type: 'UserScramCredential',
    name: 'alice',
    mechanism: 2,
    salt: Buffer.from('salt'),
    storedKey: Buffer.alloc(64, 1),
    serverKey: Buffer.alloc(64, 2),
    iterations: 8192,
  },
  { type: 'RemoveUserScramCredential', name: 'alice', mechanism: 2 },
  { type: 'RegisterWorker', app: 'wordcount', workerId: 'host-a:4242', workerEpoch: 5, inputTopics: ['lines', 'stopwords'], numStandbyReplicas: 1 },
  { type: 'UnregisterWorker', app: 'wordcount', workerId: 'host-a:4242', workerEpoch: 5 },
  {
    type: 'TaskAssignment',
    app: 'wordcount',
    generation: 3,
    tasks: [
      { task: 'lines-0', owner: 'w1', taskEpoch: 2, standbys: ['w2'] },
      { task: 'lines-1', owner: 'w2', taskEpoch: 1, standbys: [] },
    ],
  },
  { type: 'EpochCounters', lastBrokerEpoch: 99, lastTopicId: 12, lastWorkerEpoch: 5 },
  { type: 'RegisterController', controllerId: 4, host: 'controller-4.local', port: 9107 },
  { type: 'UnregisterController', controllerId: 4 },
  {
    type: 'RegisterBroker',
    brokerId: 4,
    brokerEpoch: 3,
    rack: null,
    host: 'b4',
    port: 9092,
    listeners: [
      { name: 'INTERNAL', host: 'b4', port: 9092 },
      { name: 'EXTERNAL', host: 'kafka.example.com', port: 19092 },
    ],
  },
];

describe('metadata record codec', () => {
  test.each(EVERY_RECORD.map((r) => [r.type, r] as const))('%s round-trips', (_, record) => {
    expect(decodeRecord(encodeRecord(record))).toEqual(E.right(record));
  });

  test('the bytes stay the ones already in Raft logs (pinned from the codec before it moved onto core/wire)', () => {
    // The SCRAM credential records and RegisterBroker's listeners (version 1) came later: the pin covers the records that were there then.
    const bytes = encodeMetadataBatch(EVERY_RECORD.filter((r) => !r.type.endsWith('UserScramCredential') && !(r.type === 'RegisterBroker' && r.listeners)));
    expect(bytes.length).toBe(372);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('61f20294a0487c0eed526f60df7c73c97a7e77c0f99891833ba6cc4d676efb9b');
  });

  test('a batch of every record type round-trips in order', () => {
    expect(decodeMetadataBatch(encodeMetadataBatch(EVERY_RECORD))).toEqual(E.right(EVERY_RECORD));
  });

  test('every truncation of an encoded batch is an error value, never a throw', () => {
    const bytes = encodeMetadataBatch(EVERY_RECORD);
    for (let n = 0; n < bytes.length; n++) {
      expect(E.isLeft(decodeMetadataBatch(bytes.subarray(0, n)))).toBe(true);
    }
  });

  test('an unknown record type and an unknown version are refused with what to do', () => {
    const bytes = encodeRecord(EVERY_RECORD[2]);
    const unknownType = Buffer.from(bytes);
    unknownType[0] = 99;
    expect(decodeRecord(unknownType)).toEqual(E.left(expect.stringContaining('unknown metadata record type 99')));
    const newerVersion = Buffer.from(bytes);
    newerVersion[1] = 1;
    expect(decodeRecord(newerVersion)).toEqual(E.left(expect.stringContaining('upgrade this node')));
  });

  test('a huge declared count is refused before anything is allocated', () => {
    // count varint 0x7fffffff followed by nothing
    expect(decodeMetadataBatch(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]))).toEqual(E.left(expect.stringContaining('exceeds')));
  });

  test('trailing bytes after the records are an error', () => {
    const bytes = Buffer.concat([encodeRecord(EVERY_RECORD[2]), Buffer.from([0])]);
    expect(E.isLeft(decodeRecord(bytes))).toBe(true);
  });
});
