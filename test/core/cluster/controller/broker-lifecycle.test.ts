import * as E from 'fp-ts/Either';
import { alterPartition, brokerHeartbeat, ErrorCode, createTopic, fenceBroker, NO_LEADER, registerBroker, type MetadataImage } from '../../../../core/cluster';
import { accepted, clusterOf, refusedWith } from './fixtures';

function withTopic(config: Record<string, string> = {}): MetadataImage {
  const image = clusterOf([1, 2, 3]);
  accepted(image, createTopic(image, { name: 't', partitions: 1, replicationFactor: 3, config }));
  return image;
}

const partitionOf = (image: MetadataImage) => image.topicByName('t')!.partitions.get(0)!;
const epochOf = (image: MetadataImage, id: number) => image.brokers.get(id)!.brokerEpoch;

describe('brokers: registration, heartbeats, fencing', () => {
  test('a new broker gets a fresh epoch and starts fenced; a caught-up heartbeat unfences it', () => {
    const image = clusterOf([1, 2]);
    const { response } = accepted(image, registerBroker(image, { brokerId: 9, rack: null, host: 'h9', port: 1 }));
    expect(response.brokerEpoch).toBe(3);
    expect(image.brokers.get(9)?.fenced).toBe(true);
    expect(accepted(image, brokerHeartbeat(image, { brokerId: 9, brokerEpoch: 3, caughtUp: false })).response.fenced).toBe(true);
    expect(accepted(image, brokerHeartbeat(image, { brokerId: 9, brokerEpoch: 3, caughtUp: true })).response.fenced).toBe(false);
    expect(image.brokers.get(9)?.fenced).toBe(false);
  });

  test('a registration keeps its rack; a malformed rack is refused and nothing is written', () => {
    const image = clusterOf([1, 2]);
    accepted(image, registerBroker(image, { brokerId: 9, rack: 'eu-west-1a', host: 'h9', port: 1 }));
    expect(image.brokers.get(9)?.rack).toBe('eu-west-1a');
    for (const rack of ['', 'has space', 'x'.repeat(256), 42 as unknown as string]) {
      expect(refusedWith(registerBroker(image, { brokerId: 10, rack, host: 'h10', port: 1 }))).toBe(ErrorCode.INVALID_REQUEST);
    }
    expect(image.brokers.has(10)).toBe(false);
  });

  test('a registration keeps its named listeners; malformed ones are refused and nothing is written', () => {
    const image = clusterOf([1, 2]);
    const listeners = [
      { name: 'INTERNAL', host: 'h9', port: 1 },
      { name: 'EXTERNAL', host: 'kafka.example.com', port: 19092 },
    ];
    accepted(image, registerBroker(image, { brokerId: 9, rack: null, host: 'h9', port: 1, listeners }));
    expect(image.brokers.get(9)?.listeners).toEqual(listeners);
    for (const bad of [
      'INTERNAL',
      [
        { name: 'A', host: 'h', port: 1 },
        { name: 'A', host: 'h', port: 2 },
      ],
      [{ name: 'has space', host: 'h', port: 1 }],
      [{ name: 'A', host: 'h', port: 70000 }],
      Array.from({ length: 17 }, (_, i) => ({ name: `L${i}`, host: 'h', port: 1 + i })),
    ]) {
      expect(refusedWith(registerBroker(image, { brokerId: 10, rack: null, host: 'h10', port: 1, listeners: bad as typeof listeners }))).toBe(
        ErrorCode.INVALID_REQUEST,
      );
    }
    expect(image.brokers.has(10)).toBe(false);
  });

  test('a heartbeat of an old incarnation is refused with STALE_BROKER_EPOCH', () => {
    const image = clusterOf([1, 2]);
    accepted(image, registerBroker(image, { brokerId: 1, rack: null, host: 'h1', port: 1 }));
    expect(refusedWith(brokerHeartbeat(image, { brokerId: 1, brokerEpoch: 1, caughtUp: true }))).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(refusedWith(brokerHeartbeat(image, { brokerId: 7, brokerEpoch: 1, caughtUp: true }))).toBe(ErrorCode.BROKER_NOT_AVAILABLE);
  });

  test('fencing the leader moves leadership to the next ISR member and bumps the leader epoch', () => {
    const image = withTopic();
    expect(partitionOf(image)).toMatchObject({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0 });
    accepted(image, fenceBroker(image, 1, epochOf(image, 1)));
    expect(partitionOf(image)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 });
  });

  test('the leader comes from the ISR only: an out-of-sync replica is never elected', () => {
    const image = withTopic();
    const p = partitionOf(image);
    accepted(
      image,
      alterPartition(image, { brokerId: 1, brokerEpoch: epochOf(image, 1), topicId: p.topicId, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] }),
    );
    accepted(image, fenceBroker(image, 1, epochOf(image, 1)));
    // Brokers 2 and 3 are live but out of sync: no leader; broker 1 stays the last ISR member.
    expect(partitionOf(image)).toMatchObject({ leader: NO_LEADER, isr: [1] });
    // When broker 1 returns, it leads again.
    accepted(image, brokerHeartbeat(image, { brokerId: 1, brokerEpoch: epochOf(image, 1), caughtUp: true }));
    expect(partitionOf(image)).toMatchObject({ leader: 1, isr: [1] });
  });

  test('unclean election happens only when the topic opts in, and the new leader is the whole ISR', () => {
    const image = withTopic({ 'unclean.leader.election.enable': 'true' });
    const p = partitionOf(image);
    accepted(
      image,
      alterPartition(image, { brokerId: 1, brokerEpoch: epochOf(image, 1), topicId: p.topicId, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] }),
    );
    accepted(image, fenceBroker(image, 1, epochOf(image, 1)));
    expect(partitionOf(image)).toMatchObject({ leader: 2, isr: [2] });
  });

  test('a new incarnation of a broker leaves every ISR at registration (it may have lost data)', () => {
    const image = withTopic();
    accepted(image, registerBroker(image, { brokerId: 1, rack: null, host: 'h1', port: 1 }));
    expect(partitionOf(image)).toMatchObject({ leader: 2, isr: [2, 3] });
    expect(image.brokers.get(1)?.fenced).toBe(true);
  });

  test('a controlled shutdown fences at once', () => {
    const image = withTopic();
    expect(accepted(image, brokerHeartbeat(image, { brokerId: 2, brokerEpoch: epochOf(image, 2), caughtUp: true, wantFence: true })).response.fenced).toBe(
      true,
    );
    expect(partitionOf(image).isr).toEqual([1, 3]);
  });
});

describe('topics', () => {
  test('creation validates the name, partitions, replication factor and min.insync.replicas', () => {
    const image = clusterOf([1, 2, 3]);
    expect(refusedWith(createTopic(image, { name: 'bad name!', partitions: 1, replicationFactor: 1 }))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(refusedWith(createTopic(image, { name: 't', partitions: 0, replicationFactor: 1 }))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(refusedWith(createTopic(image, { name: 't', partitions: 1, replicationFactor: 4 }))).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(refusedWith(createTopic(image, { name: 't', partitions: 1, replicationFactor: 2, config: { 'min.insync.replicas': '3' } }))).toBe(
      ErrorCode.INVALID_CONFIG,
    );
    accepted(image, createTopic(image, { name: 't', partitions: 2, replicationFactor: 2 }));
    expect(refusedWith(createTopic(image, { name: 't', partitions: 1, replicationFactor: 1 }))).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
  });

  test('fenced brokers get no replicas', () => {
    const image = clusterOf([1, 2, 3]);
    accepted(image, fenceBroker(image, 2, epochOf(image, 2)));
    const { response } = accepted(image, createTopic(image, { name: 't', partitions: 4, replicationFactor: 2 }));
    for (const p of image.topics.get(response.topicId)!.partitions.values()) expect(p.replicas).not.toContain(2);
  });
});

describe('AlterPartition: stale requests are refused with the Kafka error code', () => {
  const request = (image: MetadataImage) => {
    const p = partitionOf(image);
    return {
      brokerId: 1,
      brokerEpoch: epochOf(image, 1),
      topicId: p.topicId,
      partition: 0,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      newIsr: [1, 2],
    };
  };

  test('a valid shrink commits and bumps the partition epoch only', () => {
    const image = withTopic();
    const { response } = accepted(image, alterPartition(image, request(image)));
    expect(response).toMatchObject({ isr: [1, 2], leaderEpoch: 0, partitionEpoch: 1 });
    expect(partitionOf(image)).toMatchObject({ isr: [1, 2], leaderEpoch: 0, partitionEpoch: 1 });
  });

  test.each([
    ['old broker epoch', { brokerEpoch: 0 }, ErrorCode.STALE_BROKER_EPOCH],
    ['old leader epoch', { leaderEpoch: -1 }, ErrorCode.FENCED_LEADER_EPOCH],
    ['future leader epoch', { leaderEpoch: 5 }, ErrorCode.UNKNOWN_LEADER_EPOCH],
    ['old partition epoch', { partitionEpoch: -1 }, ErrorCode.INVALID_UPDATE_VERSION],
    ['ISR without the leader', { newIsr: [2, 3] }, ErrorCode.INVALID_REQUEST],
    ['ISR with a non-replica', { newIsr: [1, 4] }, ErrorCode.INVALID_REQUEST],
  ])('%s', (_, change, code) => {
    const image = withTopic();
    expect(refusedWith(alterPartition(image, { ...request(image), ...change }))).toBe(code);
  });

  test('a broker that is not the leader is refused with NOT_LEADER_OR_FOLLOWER', () => {
    const image = withTopic();
    expect(refusedWith(alterPartition(image, { ...request(image), brokerId: 2, brokerEpoch: epochOf(image, 2), newIsr: [2] }))).toBe(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    );
  });

  test('a fenced broker cannot be added to the ISR (INELIGIBLE_REPLICA)', () => {
    const image = withTopic();
    accepted(image, alterPartition(image, request(image)));
    accepted(image, fenceBroker(image, 3, epochOf(image, 3)));
    expect(refusedWith(alterPartition(image, { ...request(image), newIsr: [1, 2, 3] }))).toBe(ErrorCode.INELIGIBLE_REPLICA);
  });

  test('the same request decided twice on one image gives one change; the second apply is skipped', () => {
    const image = withTopic();
    const d = alterPartition(image, request(image));
    const again = alterPartition(image, { ...request(image), newIsr: [1, 3] });
    accepted(image, d);
    if (E.isLeft(again)) throw new Error('expected acceptance');
    expect(image.applyAll(again.right.records)[0].applied).toBe(false);
    expect(partitionOf(image).isr).toEqual([1, 2]);
  });
});
