import { PartitionLeaders } from '../../../../core/client/remote/partition-leaders';
import type { BrokerConnections } from '../../../../core/client/remote/broker-connections';

// PartitionLeaders keeps the newest leader epoch it knows, so a broker whose
// Metadata lags a leader an answer named cannot send the client back. A topic
// deleted and made again starts its epochs at 0 under a new topic id: that
// answer must win.
function stubBrokers(answer: () => { topicId?: string; leaderId: number; leaderEpoch: number }) {
  const addresses = new Map([
    [1, 'b1:9092'],
    [2, 'b2:9092'],
  ]);
  const connected: string[] = [];
  const brokers = {
    metadata: async () => {
      const a = answer();
      return {
        brokers: [],
        topics: [{ name: 't', topicId: a.topicId, errorCode: 0, partitions: [{ partitionIndex: 0, leaderId: a.leaderId, leaderEpoch: a.leaderEpoch }] }],
      };
    },
    addressOf: (id: number) => addresses.get(id),
    connection: async (address: string) => {
      connected.push(address);
      return {} as never;
    },
  } as unknown as BrokerConnections;
  return { brokers, connected };
}

const OLD_ID = '0123456789abcdef0123456789abcdef';
const NEW_ID = 'fedcba9876543210fedcba9876543210';

test('a topic made again under a new id: its leader is taken though its epoch restarted at 0', async () => {
  let answer = { topicId: OLD_ID, leaderId: 1, leaderEpoch: 5 };
  const { brokers, connected } = stubBrokers(() => answer);
  const leaders = new PartitionLeaders(brokers, 't', 1000);
  await leaders.refresh();
  await leaders.connectionFor(0);
  answer = { topicId: NEW_ID, leaderId: 2, leaderEpoch: 0 };
  await leaders.refresh();
  await leaders.connectionFor(0);
  expect(connected).toEqual(['b1:9092', 'b2:9092']);
});

test('the same topic id with an older epoch (a lagging broker) keeps the newer leader', async () => {
  let answer = { topicId: OLD_ID, leaderId: 1, leaderEpoch: 5 };
  const { brokers, connected } = stubBrokers(() => answer);
  const leaders = new PartitionLeaders(brokers, 't', 1000);
  await leaders.refresh();
  answer = { topicId: OLD_ID, leaderId: 2, leaderEpoch: 4 };
  await leaders.refresh();
  await leaders.connectionFor(0);
  expect(connected).toEqual(['b1:9092']);
});
