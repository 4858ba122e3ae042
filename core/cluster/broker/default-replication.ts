// The replication a cluster gives a topic whose creator names none (CreateTopics
// with replication_factor -1, topics auto-created by Metadata, and the internal
// __consumer_offsets): three copies once three brokers are live, with
// min.insync.replicas 2 so acks=all producers go on while one broker is down;
// as many copies as there are live brokers below that. A topic created with an
// explicit replication factor keeps it, and its own min.insync.replicas if given.

/** Copies of a topic whose creator names no replication factor (Kafka's advice for production). */
export const DEFAULT_REPLICATION_FACTOR = 3;

export interface DefaultReplication {
  readonly replicationFactor: number;
  /** The min.insync.replicas that goes with it: 2 of 3, else 1. */
  readonly minInsyncReplicas: number;
}

export function defaultReplication(liveBrokers: number): DefaultReplication {
  const replicationFactor = Math.max(1, Math.min(DEFAULT_REPLICATION_FACTOR, liveBrokers));
  return { replicationFactor, minInsyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}

/** A topic request with the default replication filled in where it names none. */
export function withDefaultReplication<T extends { replicationFactor: number; config: Readonly<Record<string, string>> }>(request: T, liveBrokers: number): T {
  if (request.replicationFactor >= 1) return request;
  const d = defaultReplication(liveBrokers);
  const config = 'min.insync.replicas' in request.config ? request.config : { ...request.config, 'min.insync.replicas': String(d.minInsyncReplicas) };
  return { ...request, replicationFactor: d.replicationFactor, config };
}
