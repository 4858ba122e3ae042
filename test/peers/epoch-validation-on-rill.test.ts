// KIP-320 with the Java client.
//
// On a 3-node Rill cluster (3 controllers, 3
// `rill broker` processes): VerifiableConsumer reads half of the partition,
// its leader is killed with SIGKILL and a new one elected, and the rest is
// produced at the new leader. The consumer sees the leader epoch move in
// Metadata and validates its position with OffsetForLeaderEpoch (key 23, which
// Rill now advertises) before it fetches on: it must read every record exactly
// once, in offset order, neither reset to the start nor skipped to the end.
//
// On a single `rill broker`: a consumer group commits its position with the
// leader epoch of the records it read (0: kafkajs writes it into its batches),
// and the next member starting from that committed offset validates it with
// OffsetForLeaderEpoch first; it must go on from there.
import { Kafka, logLevel } from 'kafkajs';
import {
  createReplicatedTopic,
  killLeader,
  timeline,
  useProcessCluster,
  STARTUP_BUDGET_MS,
  type ProcessCluster,
} from '../core/cluster/process/process-cluster';
import { startVerifiableConsumer, startVerifiableProducer } from './kafka/verifiable';
import { startRillBroker, type RillPeer } from './rill-broker';

const IDS = [1, 2, 3];
const TOPIC = 'epoch-validation';
const HALF = 200;
/** The Java client's defaults (idempotent, retrying), which VerifiableProducer's own settings replace. */
const RETRYING = { 'enable.idempotence': 'true', retries: '2147483647', 'delivery.timeout.ms': '120000' };

describe('the Java consumer validates its position after a leader change on a Rill cluster', () => {
  const cluster = useProcessCluster('rill-peer-epoch-', IDS, IDS, ['--broker-session-timeout-ms', '2500']);

  test(
    'OffsetForLeaderEpoch is asked and every record is read once, in order',
    async () => {
      const { phase, phases } = timeline();
      const c = cluster();
      let consumerLog = () => '';
      try {
        const { deadline } = await createReplicatedTopic(c, IDS, TOPIC, 150_000, phase);
        const bootstrap = bootstrapOf(c);
        const first = await startVerifiableProducer(bootstrap, TOPIC, HALF, { config: RETRYING }).done;
        expect({ exit: first.exit, acked: first.acked.length }).toEqual({ exit: 0, acked: HALF });
        const consumer = startVerifiableConsumer(bootstrap, TOPIC, 2 * HALF, { logRequests: true });
        await consumer.records(HALF);
        phase('first half read');

        await killLeader(TOPIC)(0, { cluster: c, deadline, phase });
        const second = await startVerifiableProducer(bootstrap, TOPIC, HALF, { config: RETRYING }).done;
        expect({ exit: second.exit, acked: second.acked.length }).toEqual({ exit: 0, acked: HALF });
        phase('second half acked');

        const read = await consumer.done;
        consumerLog = () => read.stderr.slice(-4000);
        phase(`consumer exited with ${read.exit}`);
        expect(read.exit).toBe(0);
        expect(read.consumed).toEqual(Array.from({ length: 2 * HALF }, (_, i) => `0:${i}`));
        // The Java client asked: Rill advertised the API, and the client used it after seeing the new epoch.
        expect(read.stderr).toMatch(/Sending OFFSET_FOR_LEADER_EPOCH request/);
        expect(read.stderr).not.toMatch(/Truncation detected|LogTruncationException/);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${c.dump()}\n--- consumer stderr (end)\n${consumerLog()}`);
      }
    },
    STARTUP_BUDGET_MS + 240_000,
  );
});

function bootstrapOf(c: ProcessCluster): string {
  return IDS.map((id) => c.bootstrap(id)).join(',');
}

describe('the Java consumer validates a committed offset with its epoch on a single rill broker', () => {
  let broker: RillPeer | undefined;
  afterAll(async () => {
    await broker?.stop();
  });

  test('OffsetForLeaderEpoch is asked and the group goes on from its committed offset', async () => {
    broker = await startRillBroker({ lifetimeMs: 5 * 60_000 });
    const topic = 'epoch-committed';
    const kafka = new Kafka({ clientId: 'epoch-committed', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const send = (from: number, n: number) =>
      producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ partition: 0, value: String(from + i) })) });
    try {
      await send(0, HALF);
      const first = await startVerifiableConsumer(broker.bootstrap, topic, HALF, { autoCommit: true }).done;
      expect({ exit: first.exit, read: first.consumed.length }).toEqual({ exit: 0, read: HALF });
      await send(HALF, HALF);
      const next = await startVerifiableConsumer(broker.bootstrap, topic, HALF, { autoCommit: true, logRequests: true }).done;
      expect(next.exit).toBe(0);
      expect(next.consumed).toEqual(Array.from({ length: HALF }, (_, i) => `0:${HALF + i}`));
      expect(next.stderr).toMatch(/Sending OFFSET_FOR_LEADER_EPOCH request/);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- broker\n${broker.output().slice(-3000)}`);
    } finally {
      await producer.disconnect();
    }
  }, 240_000);
});
