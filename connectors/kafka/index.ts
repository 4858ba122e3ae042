// Kafka (kafkajs): a LogClient over any Kafka-compatible cluster, so the same
// pipelines and connectors run there.
export { kafkaLogClient } from './kafka-log-client';
export type { KafkaLogClient, KafkaLogClientOptions } from './kafka-log-client';
export { exactAssigner, EXACT_ASSIGNER } from './exact-assigner';
export { assignedLogClient } from './assigned-log-client';
export type { AssignedLogClient, AssignedLogClientOptions } from './assigned-log-client';
