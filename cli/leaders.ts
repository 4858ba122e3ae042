// The CLI's tools follow partition leaders with core/client's PartitionLeaders
// (shared with the Rill protocol LogClient), starting from the connection the
// tool already opened.
import { BrokerConnections, PartitionLeaders } from '../core/client';
import type { KafkaConnection } from '../core/protocol';
import { type Bootstrap, bootstrapList } from './wire';

export { backoff, LEADER_MOVED, MOVED, PartitionLeaders } from '../core/client';

/** The leaders of `topic`; `conn` (open to a bootstrap broker, still the caller's to close) answers first. Close with leaders.brokers.close(). */
export function topicLeaders(conn: KafkaConnection, bootstrap: Bootstrap, topic: string, retryTimeoutMs?: number): PartitionLeaders {
  const connections = new BrokerConnections(
    bootstrapList(bootstrap.servers),
    { clientId: 'rill-cli', requestTimeoutMs: 30000, tls: bootstrap.tls, sasl: bootstrap.sasl },
    conn,
  );
  return new PartitionLeaders(connections, topic, retryTimeoutMs);
}
