// The Java client's checks (kafka/src/main/java/dev/rill/peers/ClientChecks.java)
// and Kafka's VerifiableProducer/VerifiableConsumer against one broker, as jest
// tests: one JVM runs all the client checks, two more run the Verifiable tools.
// The same suite runs against Apache Kafka (java-client-kafka.test.ts: every
// check passes, which shows the checks are right) and against `rill broker`
// (java-client-rill.test.ts: where it differs, the check is a test.failing
// naming the difference; docs/protocol.md lists them).
import { Kafka, logLevel } from 'kafkajs';
import { waitForTopics } from '../../core/client/kafkajs/topic-readiness';
import { runJava } from './kafka/jvm';
import { verifiableProduceConsume, VerifiableRun } from './kafka/verifiable';

/** Every check ClientChecks runs, in its order. */
export const CHECKS = [
  'admin-describe-cluster',
  'admin-create-topic',
  'admin-describe-topic-id',
  'admin-describe-topic-configs',
  'admin-describe-broker-configs',
  'idempotent-producer',
  'admin-describe-log-dirs',
  'admin-describe-producers',
  'transactional-producer',
  'admin-list-offsets',
  'admin-list-offsets-by-timestamp',
  'admin-list-offsets-max-timestamp',
  'consumer-group-cooperative-sticky',
  'admin-list-groups',
  'admin-describe-groups',
  'admin-list-group-offsets',
  'admin-delete-groups',
  'consumer-group-protocol-consumer',
  'admin-delete-topic',
  // Kafka's command-line tools (ToolChecks.java), run in the same JVM.
  'tool-kafka-topics-create-describe',
  'tool-console-producer-consumer',
  'tool-kafka-consumer-groups',
  'tool-kafka-consumer-groups-reset-offsets',
  'tool-kafka-consumer-groups-delete-offsets',
  'tool-kafka-configs',
  'tool-kafka-topics-alter-partitions',
  'tool-kafka-delete-records',
  'tool-kafka-topics-delete',
  // Kafka Streams (StreamsWordCount.java): a word count with its repartition and changelog topics.
  'kafka-streams-word-count',
  // The same with processing.guarantee=exactly_once_v2: transactions, sendOffsetsToTransaction, read_committed.
  'kafka-streams-word-count-exactly-once',
] as const;
export type CheckName = (typeof CHECKS)[number];

export interface Peer {
  bootstrap: string;
  stop(): Promise<void>;
}

interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

/** Records the Verifiable tools send and read. */
const VERIFIABLE_RECORDS = 5000;
const SETUP_TIMEOUT_MS = 300_000;

/**
 * Registers the suite for one broker. `differences` maps a check that fails
 * against this broker to why (a known incompatibility): that check is a
 * test.failing, so it fails the run once the difference is gone and the entry
 * must be removed.
 */
export function javaClientSuite(start: () => Promise<Peer>, differences: Partial<Record<CheckName, string>>): void {
  let peer: Peer | undefined;
  let results = new Map<string, CheckResult>();
  let printed: string[] = [];
  let checksOutput = '';
  let verifiable: VerifiableRun;

  beforeAll(async () => {
    peer = await start();
    const run = await runJava('dev.rill.peers.ClientChecks', [peer.bootstrap, 'peer'], { lifetimeMs: 240_000 });
    checksOutput = `exit ${run.code}\n${run.stdout}\n${run.stderr.slice(-4000)}`;
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('CHECK '));
    const parsed = lines.map((l) => JSON.parse(l.slice('CHECK '.length)) as CheckResult);
    printed = parsed.map((r) => r.check);
    results = new Map(parsed.map((r) => [r.check, r]));
    await createTopic(peer.bootstrap, 'verifiable', 3);
    verifiable = await verifiableProduceConsume(peer.bootstrap, 'verifiable', VERIFIABLE_RECORDS);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await peer?.stop();
  });

  test('ClientChecks ran every check once, in order, and exited 0', () => {
    expect({ printed, output: printed.length === CHECKS.length ? '' : checksOutput }).toEqual({ printed: [...CHECKS], output: '' });
    expect(checksOutput.startsWith('exit 0\n')).toBe(true);
  });

  for (const name of CHECKS) {
    const difference = differences[name];
    const title = difference ? `${name} (differs: ${difference})` : name;
    (difference ? test.failing : test)(title, () => {
      const r = results.get(name);
      // A failure's detail (what the Java side saw) shows in the diff.
      expect(r && { check: r.check, ok: r.ok, detail: r.ok ? '' : r.detail }).toEqual({ check: name, ok: true, detail: '' });
    });
  }

  test(`VerifiableProducer (acks=all) and VerifiableConsumer: the ${VERIFIABLE_RECORDS} acked records are the records consumed`, () => {
    const v = verifiable;
    expect({ producerExit: v.producerExit, consumerExit: v.consumerExit, sendErrors: v.sendErrors }).toEqual({
      producerExit: 0,
      consumerExit: 0,
      sendErrors: [],
    });
    expect(v.acked).toHaveLength(VERIFIABLE_RECORDS);
    expect(new Set(v.acked).size).toBe(VERIFIABLE_RECORDS);
    expect([...v.consumed].sort()).toEqual([...v.acked].sort());
    expect(v.consumedValues).toEqual(v.ackedValues);
  });
}

async function createTopic(bootstrap: string, topic: string, numPartitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'peer-setup', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    // Not kafkajs' waitForLeaders: it gives up when the broker does not know the new topic yet.
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: false });
    await waitForTopics(admin, [topic]);
  } finally {
    await admin.disconnect();
  }
}
