import * as E from 'fp-ts/Either';
import { QuorumController } from '../../../../core/cluster';
import { clusterOf } from './fixtures';

const CONFIG = { brokerSessionTimeoutMs: 1000, workerSessionTimeoutMs: 2000 };

describe('QuorumController: sessions on an injected clock', () => {
  test('a newly active controller gives every broker a fresh session; silence past the timeout fences', () => {
    const c = new QuorumController(clusterOf([1, 2, 3]), 10_000, CONFIG);
    expect(c.expireSessions(11_000)).toEqual([]);
    expect(E.isRight(c.brokerHeartbeat({ brokerId: 1, brokerEpoch: 1, caughtUp: true }, 10_900))).toBe(true);
    const fenced = c.expireSessions(11_001);
    expect(fenced.map((records) => records[0])).toEqual([
      { type: 'FenceBroker', brokerId: 2, brokerEpoch: 2 },
      { type: 'FenceBroker', brokerId: 3, brokerEpoch: 3 },
    ]);
    expect(c.image.brokers.get(1)?.fenced).toBe(false);
    // Fenced once, not again on every tick.
    expect(c.expireSessions(20_000).map((r) => r[0])).toEqual([{ type: 'FenceBroker', brokerId: 1, brokerEpoch: 1 }]);
  });

  test('decisions build on earlier, not yet committed ones (the speculative image)', () => {
    const c = new QuorumController(clusterOf([1, 2, 3]), 0, CONFIG);
    const first = c.createTopic({ name: 'a', partitions: 1, replicationFactor: 3 });
    const second = c.createTopic({ name: 'b', partitions: 1, replicationFactor: 3 });
    expect(E.isRight(first) && E.isRight(second) && [first.right.response.topicId, second.right.response.topicId]).toEqual([1, 2]);
    expect(E.isLeft(c.createTopic({ name: 'a', partitions: 1, replicationFactor: 3 }))).toBe(true);
  });

  test('workers whose heartbeats stop lose their tasks to the live ones', () => {
    const c = new QuorumController(clusterOf([1, 2, 3]), 0, CONFIG);
    c.createTopic({ name: 'lines', partitions: 4, replicationFactor: 1 });
    const join = (id: string, now: number) =>
      c.workerHeartbeat({ app: 'wc', workerId: id, workerEpoch: 0, inputTopics: ['lines'], numStandbyReplicas: 0 }, now);
    const a = join('a', 0);
    join('b', 0);
    const epochA = E.isRight(a) ? a.right.response.workerEpoch : -1;
    c.workerHeartbeat({ app: 'wc', workerId: 'a', workerEpoch: epochA, inputTopics: ['lines'], numStandbyReplicas: 0 }, 1500);
    // (the brokers' sessions, 1 s, expired too: those decisions fence them)
    const expired = c.expireSessions(2500).filter((records) => records[0].type === 'UnregisterWorker');
    expect(expired).toHaveLength(1);
    expect(expired[0][0]).toMatchObject({ type: 'UnregisterWorker', workerId: 'b' });
    expect([...c.image.apps.get('wc')!.tasks.values()].every((t) => t.owner === 'a')).toBe(true);
  });
});
