// Issue 18, part 2: Kafka's own system-test tools against a 3-node Rill cluster
// (3 controllers and 3 brokers, each a `rill broker` process) while the
// partition's leader is killed with SIGKILL. VerifiableProducer (the Java
// client, acks=all) sends increasing integers through the failover;
// VerifiableConsumer then reads the partition from the earliest.
// - With the tool's own settings (no retries, as in Kafka's system tests) the
//   records in flight when the leader dies fail; every acked one is read.
// - Idempotent and retrying (the Java client's defaults), every record is
//   acked, and each is read exactly once.
import type { Kafka } from 'kafkajs';
import { listOffsets } from '../../core/client/kafkajs/topic-readiness';
import {
  createReplicatedTopic,
  killLeader,
  timeline,
  useProcessCluster,
  STARTUP_BUDGET_MS,
  type ProcessCluster,
} from '../core/cluster/process/process-cluster';
import { startVerifiableProducer, verifiableConsume, type ProducerRun, type VerifiableProducerOptions } from './kafka/verifiable';

const IDS = [1, 2, 3];
const RECORDS = 3000;
/** Records a second: the run spans the failover instead of ending before it. */
const THROUGHPUT = 400;
/** The Java client's defaults, which VerifiableProducer's own settings replace. */
const RETRYING = { 'enable.idempotence': 'true', retries: '2147483647', 'delivery.timeout.ms': '120000' };

describe('VerifiableProducer and VerifiableConsumer on a 3-node Rill cluster whose leader is killed', () => {
  const cluster = useProcessCluster('rill-peer-verifiable-', IDS, IDS);

  test(
    "with the tool's settings (no retries) every acked record is read; idempotent and retrying, every record is acked and read once",
    async () => {
      const { phase, phases } = timeline();
      const c = cluster();
      try {
        const { kafka, deadline } = await createReplicatedTopic(c, IDS, 'verifiable-plain', 150_000, phase);
        const plain = await produceThroughFailover(c, 'verifiable-plain', {}, deadline, phase);
        const plainRead = await readAll(c, kafka, 'verifiable-plain');
        phase(`plain: ${plain.acked.length} acked, ${plain.sendErrors.length} send errors; ${plainRead.consumed.length} read`);
        expect(plain.exit).toBe(0);
        expect(plain.acked.length + plain.sendErrors.length).toBe(RECORDS);
        expect(plainRead.exit).toBe(0);
        expect(new Set(plainRead.consumed).size).toBe(plainRead.consumed.length);
        const read = new Set(plainRead.consumedValues);
        expect(plain.ackedValues.filter((v) => !read.has(v))).toEqual([]);

        await createTopic(kafka, 'verifiable-idempotent');
        await c.waitForPartition('verifiable-idempotent', deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
        const retrying = await produceThroughFailover(c, 'verifiable-idempotent', { config: RETRYING }, deadline, phase);
        const retryingRead = await readAll(c, kafka, 'verifiable-idempotent');
        phase(`idempotent: ${retrying.acked.length} acked, ${retrying.sendErrors.length} send errors; ${retryingRead.consumed.length} read`);
        expect({ exit: retrying.exit, sendErrors: retrying.sendErrors, acked: retrying.acked.length }).toEqual({ exit: 0, sendErrors: [], acked: RECORDS });
        expect(retryingRead.exit).toBe(0);
        expect(retryingRead.consumedValues).toEqual(retrying.ackedValues);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${c.dump()}`);
      }
    },
    STARTUP_BUDGET_MS + 300_000,
  );
});

/** Runs VerifiableProducer on `topic`, killing the partition's leader (and restarting it) once a third is acked. */
async function produceThroughFailover(
  c: ProcessCluster,
  topic: string,
  opts: VerifiableProducerOptions,
  deadline: number,
  phase: (name: string) => void,
): Promise<ProducerRun> {
  const producer = startVerifiableProducer(bootstrapOf(c), topic, RECORDS, { throughput: THROUGHPUT, ...opts });
  await producer.acks(RECORDS / 3);
  phase(`${topic}: a third acked`);
  await killLeader(topic)(0, { cluster: c, deadline, phase });
  return producer.done;
}

/** Everything in the topic's one partition, read with VerifiableConsumer. */
async function readAll(c: ProcessCluster, kafka: Kafka, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  // Asked again while the partition's leadership may still be settling after the kill (kafkajs' fetchTopicOffsets gives up on NOT_LEADER_OR_FOLLOWER).
  const [end] = await listOffsets(admin, topic);
  await admin.disconnect();
  return verifiableConsume(bootstrapOf(c), topic, Number(end.high));
}

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await admin.disconnect();
}

function bootstrapOf(c: ProcessCluster): string {
  return IDS.map((id) => c.bootstrap(id)).join(',');
}
