// Replica placement for new partitions (Kafka's rack-aware assignment): brokers
// are ordered so consecutive entries alternate racks, and partition p takes the
// replication factor's worth of consecutive brokers starting at p + offset, so
// replicas and leaders (first replicas) spread evenly across brokers and racks.
import type { BrokerRegistration } from '../metadata/image';

/** Brokers ordered rack by rack in turn: [r1 b1, r2 b2, r1 b3, r2 b4, ...]. */
export function rackAlternatedBrokers(brokers: readonly BrokerRegistration[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.brokerId - y.brokerId)) {
    const rack = b.rack ?? '';
    const ids = byRack.get(rack) ?? [];
    ids.push(b.brokerId);
    byRack.set(rack, ids);
  }
  const racks = [...byRack.keys()].sort();
  const order: number[] = [];
  for (let round = 0; order.length < brokers.length; round++) {
    for (const rack of racks) {
      const id = byRack.get(rack)![round];
      if (id !== undefined) order.push(id);
    }
  }
  return order;
}

/**
 * Replica lists for `partitions` partitions over `brokers`. `offset` (the topic
 * id, say) rotates the start so different topics do not all lead on the same
 * broker. Requires replicationFactor <= brokers.length.
 */
export function placeReplicas(brokers: readonly BrokerRegistration[], partitions: number, replicationFactor: number, offset: number): number[][] {
  const order = rackAlternatedBrokers(brokers);
  const n = order.length;
  const result: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    const first = (offset + p) % n;
    const replicas: number[] = [];
    for (let j = 0; j < replicationFactor; j++) replicas.push(order[(first + j) % n]);
    result.push(replicas);
  }
  return result;
}
