// Issue 18, part 1: a group-based Rill application on Apache Kafka itself. The
// scenario of test/support/kafkajs-group-scenario.ts (two RillStreams instances
// on the kafkajs LogClient share the word count's tasks through a Kafka
// consumer group; one stops, the other takes over, counts complete) runs
// against a single-node Apache Kafka 4.x started for this file.
import { startKafka, type KafkaPeer } from './kafka/kafka-broker';
import { twoInstanceGroupScenario } from '../support/kafkajs-group-scenario';

let kafka: KafkaPeer;

beforeAll(async () => {
  kafka = await startKafka({ lifetimeMs: 10 * 60_000 });
}, 180_000);
// The scenario's own afterAll (its apps and clients) runs before the broker's, declared after it.
twoInstanceGroupScenario(() => kafka.bootstrap, 180_000);

afterAll(async () => {
  await kafka?.stop();
});
