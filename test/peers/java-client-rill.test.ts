// The Java client (kafka-clients 4.x) and Kafka's Verifiable tools against
// `rill broker`. Each entry below is a difference from Apache Kafka that the
// Java client finds (docs/protocol.md, "Known differences from Apache Kafka,
// found by the Java client"); its check is a test.failing until Rill closes it.
import { startRillBroker } from './rill-broker';
import { javaClientSuite } from './java-client-suite';

javaClientSuite(() => startRillBroker({ lifetimeMs: 10 * 60_000 }), {
  // CreateTopics and Metadata return the zero Uuid as every topic's id (KIP-516 topic ids),
  // so the admin client's describeTopics(TopicCollection.ofTopicIds(...)) cannot find a topic by id.
  'admin-describe-topic-id': 'no topic ids (KIP-516): the zero Uuid',
  // DescribeConfigs for a BROKER resource answers with no entries (Kafka lists every broker config).
  'admin-describe-broker-configs': 'DescribeConfigs of a broker returns no entries',
  // DescribeLogDirs (API 35, KIP-113) is not served: kafka-log-dirs and the admin client's describeLogDirs are refused.
  'admin-describe-log-dirs': 'no DescribeLogDirs (KIP-113)',
  // DescribeProducers (API 61, KIP-664) is not served: kafka-transactions describe-producers is refused.
  'admin-describe-producers': 'no DescribeProducers (KIP-664)',
  // ListOffsets is served up to v5; OffsetSpec.maxTimestamp() needs v7 (KIP-734), so the client refuses it.
  'admin-list-offsets-max-timestamp': 'ListOffsets v7+ (MAX_TIMESTAMP, KIP-734) unsupported',
  // No ConsumerGroupHeartbeat (KIP-848), the consumer group protocol of Kafka 4 (group.protocol=consumer).
  'consumer-group-protocol-consumer': 'no ConsumerGroupHeartbeat: group.protocol=consumer (KIP-848) unsupported',
});
