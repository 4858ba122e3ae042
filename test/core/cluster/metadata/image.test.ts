import * as E from 'fp-ts/Either';
import { encodeMetadataBatch, MetadataImage, MetadataStateMachine, type MetadataRecord } from '../../../../core/cluster';

const cluster: MetadataRecord[] = [
  { type: 'RegisterBroker', brokerId: 1, brokerEpoch: 1, rack: 'a', host: 'h1', port: 9092 },
  { type: 'RegisterBroker', brokerId: 2, brokerEpoch: 2, rack: 'b', host: 'h2', port: 9092 },
  { type: 'UnfenceBroker', brokerId: 1, brokerEpoch: 1 },
  { type: 'Topic', name: 't', topicId: 1, config: { 'min.insync.replicas': '2' } },
  { type: 'Partition', topicId: 1, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  { type: 'RegisterWorker', app: 'wc', workerId: 'w1', workerEpoch: 1, inputTopics: ['t'], numStandbyReplicas: 0 },
  { type: 'TaskAssignment', app: 'wc', generation: 1, tasks: [{ task: 't-0', owner: 'w1', taskEpoch: 1, standbys: [] }] },
];

describe('MetadataImage', () => {
  test('a clone copies every field of the image (a field added later and left out of clone() fails here)', () => {
    // Every kind of state there is, so that each of the image's maps holds something.
    const image = MetadataImage.fromRecords([
      ...cluster,
      { type: 'RegisterController', controllerId: 4, host: 'c4', port: 9093 } as MetadataRecord,
      { type: 'AccessControlEntry', resourceType: 2, resourceName: 't', patternType: 3, principal: 'User:a', host: '*', operation: 3, permission: 3 },
      {
        type: 'UserScramCredential',
        name: 'alice',
        mechanism: 1,
        salt: Buffer.from('s'),
        storedKey: Buffer.from('k'),
        serverKey: Buffer.from('v'),
        iterations: 4096,
      },
    ]);
    const copy = image.clone() as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(image as unknown as Record<string, unknown>)) {
      if (value instanceof Map) expect([field, (copy[field] as Map<unknown, unknown>).size]).toEqual([field, value.size]);
      else expect([field, copy[field]]).toEqual([field, value]);
    }
  });

  test('a clone is the same image, and changes to either leave the other as it was', () => {
    const image = MetadataImage.fromRecords([...cluster, { type: 'RegisterController', controllerId: 4, host: 'c4', port: 9093 } as MetadataRecord]);
    const copy = image.clone();
    expect(copy.encode()).toEqual(MetadataImage.fromRecords(image.toRecords()).encode());
    const before = image.encode();
    copy.applyAll([
      { type: 'FenceBroker', brokerId: 1, brokerEpoch: 1 },
      { type: 'PartitionChange', topicId: 1, partition: 0, partitionEpoch: 0, leader: 2, isr: [2] },
      { type: 'TopicConfig', topicId: 1, config: {} },
      { type: 'Partition', topicId: 1, partition: 1, replicas: [2], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 0 },
      { type: 'RegisterWorker', app: 'wc', workerId: 'w2', workerEpoch: 2, inputTopics: ['t'], numStandbyReplicas: 0 },
      { type: 'TaskAssignment', app: 'wc', generation: 2, tasks: [] },
      { type: 'RemoveTopic', topicId: 1 },
    ]);
    expect(image.encode()).toEqual(before);
    expect(image.hostedReplicas(2)).toBe(1);
    expect(copy.hostedReplicas(2)).toBe(0);
    image.apply({ type: 'UnregisterBroker', brokerId: 2, brokerEpoch: 2 });
    expect(copy.brokers.has(2)).toBe(true);
  });

  test('the version moves with every applied record and only then: a stale derived answer (Metadata) is told by it', () => {
    const image = MetadataImage.fromRecords(cluster);
    expect(image.version).toBe(cluster.length);
    const partitions = image.topicByName('t')!.partitions;
    // Skipped: a stale partition epoch, an unknown broker epoch.
    image.apply({ type: 'PartitionChange', topicId: 1, partition: 0, partitionEpoch: 7, leader: 2 });
    image.apply({ type: 'FenceBroker', brokerId: 1, brokerEpoch: 9 });
    expect(image.version).toBe(cluster.length);
    image.apply({ type: 'PartitionChange', topicId: 1, partition: 0, partitionEpoch: 0, isr: [1] });
    expect(image.version).toBe(cluster.length + 1);
    // Applied in place: the same image and topic, the partition entry replaced.
    expect(image.topicByName('t')!.partitions).toBe(partitions);
    expect(image.partition(1, 0)!.isr).toEqual([1]);
    expect(image.clone().version).toBe(image.version);
  });

  test('a registered broker starts fenced; unfencing needs its current epoch', () => {
    const image = MetadataImage.fromRecords(cluster);
    expect(image.brokers.get(1)?.fenced).toBe(false);
    expect(image.brokers.get(2)?.fenced).toBe(true);
    expect(image.apply({ type: 'UnfenceBroker', brokerId: 2, brokerEpoch: 1 })).toEqual({
      applied: false,
      reason: expect.stringContaining('not the registered one'),
    });
    expect(image.brokers.get(2)?.fenced).toBe(true);
  });

  test('an older registration never replaces a newer one', () => {
    const image = MetadataImage.fromRecords(cluster);
    expect(image.apply({ type: 'RegisterBroker', brokerId: 2, brokerEpoch: 1, rack: null, host: 'old', port: 1 }).applied).toBe(false);
    expect(image.brokers.get(2)?.host).toBe('h2');
  });

  test('a partition change bumps the partition epoch, and the leader epoch only when the leader changes', () => {
    const image = MetadataImage.fromRecords(cluster);
    image.apply({ type: 'PartitionChange', topicId: 1, partition: 0, partitionEpoch: 0, isr: [1] });
    expect(image.partition(1, 0)).toMatchObject({ isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
    image.apply({ type: 'PartitionChange', topicId: 1, partition: 0, partitionEpoch: 1, leader: 2, isr: [2] });
    expect(image.partition(1, 0)).toMatchObject({ isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
  });

  test('of two changes decided on the same partition epoch, only the first takes effect', () => {
    const image = MetadataImage.fromRecords(cluster);
    expect(image.apply({ type: 'PartitionChange', topicId: 1, partition: 0, partitionEpoch: 0, isr: [1] }).applied).toBe(true);
    const second = image.apply({ type: 'PartitionChange', topicId: 1, partition: 0, partitionEpoch: 0, leader: 2 });
    expect(second).toEqual({ applied: false, reason: expect.stringContaining('partition epoch 1') });
    expect(image.partition(1, 0)).toMatchObject({ leader: 1, isr: [1], partitionEpoch: 1 });
  });

  test('a task assignment of an old generation is skipped', () => {
    const image = MetadataImage.fromRecords(cluster);
    expect(image.apply({ type: 'TaskAssignment', app: 'wc', generation: 1, tasks: [] }).applied).toBe(false);
    expect(image.apps.get('wc')?.tasks.size).toBe(1);
  });

  test('a snapshot restores an equal image, and equal images encode to equal bytes', () => {
    const image = MetadataImage.fromRecords(cluster);
    image.apply({ type: 'UnregisterBroker', brokerId: 2, brokerEpoch: 2 });
    const restored = MetadataImage.decode(image.encode());
    expect(E.isRight(restored)).toBe(true);
    if (E.isLeft(restored)) return;
    expect(restored.right.encode()).toEqual(image.encode());
    expect(restored.right.toRecords()).toEqual(image.toRecords());
    // The epoch of the unregistered broker is not handed out again.
    expect(restored.right.lastBrokerEpoch).toBe(2);
    expect(restored.right.partition(1, 0)).toEqual(image.partition(1, 0));
  });

  test('an added controller’s address is kept (a newer registration replaces it), survives a snapshot, and is forgotten on removal', () => {
    const image = MetadataImage.fromRecords(cluster);
    image.apply({ type: 'RegisterController', controllerId: 4, host: 'old', port: 1 });
    image.apply({ type: 'RegisterController', controllerId: 4, host: 'c4', port: 9107 });
    image.apply({ type: 'RegisterController', controllerId: 5, host: 'c5', port: 9109 });
    const restored = E.getOrElseW(() => new MetadataImage())(MetadataImage.decode(image.encode()));
    expect([...restored.controllers.values()]).toEqual([
      { controllerId: 4, host: 'c4', port: 9107 },
      { controllerId: 5, host: 'c5', port: 9109 },
    ]);
    expect(restored.apply({ type: 'UnregisterController', controllerId: 5 })).toEqual({ applied: true });
    expect([...restored.controllers.keys()]).toEqual([4]);
    expect(restored.apply({ type: 'UnregisterController', controllerId: 5 })).toEqual({ applied: false, reason: 'controller 5 is not registered' });
  });

  test('removing a topic frees its name', () => {
    const image = MetadataImage.fromRecords(cluster);
    image.apply({ type: 'RemoveTopic', topicId: 1 });
    expect(image.topicByName('t')).toBeUndefined();
    expect(image.apply({ type: 'Topic', name: 't', topicId: 2, config: {} }).applied).toBe(true);
  });
});

describe('MetadataStateMachine (core/raft ReplicatedStateMachine)', () => {
  test('applies one entry as one batch, skips empty and damaged entries the same way everywhere, snapshots and restores', () => {
    const sm = new MetadataStateMachine();
    expect(sm.apply(Buffer.alloc(0), 1).records).toEqual([]);
    const applied = sm.apply(encodeMetadataBatch(cluster), 2);
    expect(applied.outcomes.every((o) => o.applied)).toBe(true);
    expect(sm.apply(Buffer.from([5, 1, 2]), 3).error).toBeDefined();
    expect(sm.lastAppliedIndex).toBe(3);
    const other = new MetadataStateMachine();
    other.restore(sm.snapshot());
    expect(other.snapshot()).toEqual(sm.snapshot());
    expect(other.image.topicByName('t')?.partitions.get(0)?.leader).toBe(1);
  });
});

describe('SCRAM credentials', () => {
  test('upserts replace per mechanism, removals drop the user with its last credential, and snapshots keep them', () => {
    const cred = (mechanism: number, key: number) => ({
      type: 'UserScramCredential' as const,
      name: 'alice',
      mechanism,
      salt: Buffer.from('s'),
      storedKey: Buffer.alloc(32, key),
      serverKey: Buffer.alloc(32, key),
      iterations: 4096,
    });
    const image = MetadataImage.fromRecords([cred(1, 1), cred(2, 2), cred(1, 3)]);
    expect(image.scramCredentials.get('alice')?.get(1)?.storedKey).toEqual(Buffer.alloc(32, 3));
    expect(MetadataImage.fromRecords(image.toRecords()).scramCredentials).toEqual(image.scramCredentials);
    expect(image.apply({ type: 'RemoveUserScramCredential', name: 'alice', mechanism: 1 })).toEqual({ applied: true });
    expect(image.apply({ type: 'RemoveUserScramCredential', name: 'alice', mechanism: 1 }).applied).toBe(false);
    image.apply({ type: 'RemoveUserScramCredential', name: 'alice', mechanism: 2 });
    expect(image.scramCredentials.has('alice')).toBe(false);
  });
});
