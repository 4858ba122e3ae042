// The Java client's checks and Kafka's Verifiable tools against Apache Kafka 4.x
// itself: every one passes, which is what makes a failure against `rill broker`
// (java-client-rill.test.ts) an incompatibility of Rill's rather than of the checks.
import { startKafka } from './kafka/kafka-broker';
import { javaClientSuite } from './java-client-suite';

javaClientSuite(() => startKafka({ lifetimeMs: 10 * 60_000 }), {});
