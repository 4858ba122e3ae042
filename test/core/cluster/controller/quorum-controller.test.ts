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

  test('a broker whose connection closed is fenced after the disconnect grace, unless it heartbeats again first', () => {
    const c = new QuorumController(clusterOf([1, 2, 3]), 0, { ...CONFIG, brokerSessionTimeoutMs: 9000, brokerDisconnectGraceMs: 500 });
    c.brokerDisconnected(2, 100);
    c.brokerDisconnected(3, 100);
    expect(c.expireSessions(599)).toEqual([]);
    // Broker 3 reconnected and heartbeated within the grace: its session goes on.
    expect(E.isRight(c.brokerHeartbeat({ brokerId: 3, brokerEpoch: 3, caughtUp: true }, 400))).toBe(true);
    expect(E.isRight(c.brokerHeartbeat({ brokerId: 1, brokerEpoch: 1, caughtUp: true }, 400))).toBe(true);
    expect(c.expireSessions(600).map((records) => records[0])).toEqual([{ type: 'FenceBroker', brokerId: 2, brokerEpoch: 2 }]);
    // Broker 3 still has its whole session timeout, as broker 1 does.
    expect(c.expireSessions(9400)).toEqual([]);
    expect(c.expireSessions(9401).map((records) => records[0])).toEqual([
      { type: 'FenceBroker', brokerId: 1, brokerEpoch: 1 },
      { type: 'FenceBroker', brokerId: 3, brokerEpoch: 3 },
    ]);
  });

  test('a second close does not push the end of the grace later; a broker never heard from is unaffected', () => {
    const c = new QuorumController(clusterOf([1, 2]), 0, { ...CONFIG, brokerSessionTimeoutMs: 9000, brokerDisconnectGraceMs: 500 });
    c.brokerDisconnected(1, 100);
    c.brokerDisconnected(1, 300);
    expect(c.expireSessions(600).map((records) => records[0])).toEqual([{ type: 'FenceBroker', brokerId: 1, brokerEpoch: 1 }]);
    c.brokerDisconnected(7, 100);
    expect(c.expireSessions(700)).toEqual([]);
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
