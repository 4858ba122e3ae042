// The CLI's tools follow partition leaders with core/client's PartitionLeaders
// (shared with the Rill protocol LogClient), starting from the connection the
// tool already opened.
import { BrokerConnections, PartitionLeaders } from '../core/client';
import type { KafkaConnection } from '../core/protocol';
import { bootstrapList } from './wire';

export { backoff, LEADER_MOVED, MOVED, PartitionLeaders } from '../core/client';

/** The leaders of `topic`; `conn` (open to a bootstrap broker, still the caller's to close) answers first. Close with leaders.brokers.close(). */
export function topicLeaders(conn: KafkaConnection, bootstrap: string, topic: string, retryTimeoutMs?: number): PartitionLeaders {
  return new PartitionLeaders(new BrokerConnections(bootstrapList(bootstrap), { clientId: 'rill-cli', requestTimeoutMs: 30000 }, conn), topic, retryTimeoutMs);
}
