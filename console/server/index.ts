// The web console's server: a read-only view of any Kafka-compatible cluster
// (`rill broker`, a Rill cluster, Apache Kafka) through the Kafka protocol, and
// of a schema registry through its REST API, for the browser code of console/ui.
export { ConsoleServer } from './console-server';
export type { ConsoleOptions } from './console-server';
export { WorkerStatusPublisher } from './worker-status-topic';
export type { TopologyView, WorkerStatusView } from '../model';
