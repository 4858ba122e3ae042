import { placeReplicas, rackAlternatedBrokers } from '../../../../core/cluster';
import { clusterOf } from './fixtures';

describe('replica placement', () => {
  test('brokers alternate racks', () => {
    const brokers = [...clusterOf([1, 2, 3, 4, 5, 6], 2).brokers.values()];
    const order = rackAlternatedBrokers(brokers);
    for (let i = 1; i < order.length; i++) expect(order[i] % 2).not.toBe(order[i - 1] % 2);
  });

  test('replicas of a partition are distinct, span racks, and leaders spread evenly', () => {
    const brokers = [...clusterOf([1, 2, 3, 4, 5, 6], 3).brokers.values()];
    const placement = placeReplicas(brokers, 12, 3, 0);
    const leaders = new Map<number, number>();
    for (const replicas of placement) {
      expect(new Set(replicas).size).toBe(3);
      expect(new Set(replicas.map((id) => id % 3)).size).toBe(3);
      leaders.set(replicas[0], (leaders.get(replicas[0]) ?? 0) + 1);
    }
    expect([...leaders.values()]).toEqual([2, 2, 2, 2, 2, 2]);
  });
});
