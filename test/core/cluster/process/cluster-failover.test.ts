// A real Rill cluster on loopback: 3 controllers and 3 brokers, each its own
// process. A topic with one partition, replication factor 3 and
// min.insync.replicas=2; kafkajs produces with acks=all while the partition
// leader is killed with SIGKILL and restarted, round after round. Every record
// the cluster acknowledged must be there afterwards, exactly once, in order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isLeft } from 'fp-ts/Either';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { decodeRecordBatches } from '../../../../core/log';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { ProcessCluster } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'failover';
const KILL_ROUNDS = 3;
const ACKS_PER_ROUND = 15;
const DEADLINE_MS = 100_000;

/** Retry backoff of the producing loop (not a synchronization: the loop polls its own outcome). */
const backoff = () => new Promise((r) => setTimeout(r, 50));

describe('a 3-controller, 3-broker cluster under kill -9 of the partition leader', () => {
  let dir: string;
  let cluster: ProcessCluster;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-cluster-proc-'));
    cluster = new ProcessCluster(dir, IDS, IDS, ['--broker-session-timeout-ms', '2500'], ['--replica-lag-time-max-ms', '4000']);
  });

  afterAll(async () => {
    await cluster.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged record, exactly once and in order', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const started = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} @${Date.now() - started}ms`);
    const remaining = () => deadline - Date.now();
    await cluster.allocatePorts();
    try {
      await Promise.all(IDS.map((id) => cluster.startController(id)));
      await Promise.all(IDS.map((id) => cluster.startBroker(id)));
      phase('processes up');
      for (const id of IDS) await cluster.waitForBrokers(id, IDS.length, deadline);
      phase('brokers registered');

      const kafka = new Kafka({ clientId: 'failover-test', brokers: IDS.map((id) => cluster.bootstrap(id)), logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
      await admin.disconnect();
      await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);

      // One record per request, each new value sent once (no retries): an
      // acknowledged value can appear only once, and acks come in log order.
      const acked: string[] = [];
      let failures = 0;
      let stop = false;
      let next = 0;
      const produceLoop = async () => {
        let producer: Producer | undefined;
        while (!stop && remaining() > 0) {
          try {
            if (producer === undefined) {
              producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false });
              await producer.connect();
            }
            const value = `v${next++}`;
            await producer.send({ topic: TOPIC, acks: -1, timeout: 5000, messages: [{ value }] });
            acked.push(value);
          } catch {
            failures++;
            // A fresh producer starts from fresh metadata (the leader may have moved).
            await producer?.disconnect().catch(() => {});
            producer = undefined;
            await backoff();
          }
        }
        await producer?.disconnect().catch(() => {});
      };
      const producing = produceLoop();

      const waitForAcks = async (n: number) => {
        const target = acked.length + n;
        while (acked.length < target) {
          if (remaining() <= 0) throw new Error(`only ${acked.length} records acknowledged before the deadline (${failures} failed sends)`);
          await cluster.nextTick();
        }
      };

      try {
        for (let round = 0; round < KILL_ROUNDS; round++) {
          await waitForAcks(ACKS_PER_ROUND);
          const { leaderId: victim } = await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
          phase(`round ${round}: kill leader ${victim}`);
          await cluster.kill(`b${victim}`);
          await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.leaderId !== victim);
          phase(`round ${round}: new leader`);
          await cluster.startBroker(victim);
          phase(`round ${round}: ${victim} restarted`);
        }
        await waitForAcks(ACKS_PER_ROUND);
      } finally {
        stop = true;
        await producing;
      }

      // Read the partition back from its leader, up to the high watermark.
      const { leaderId } = await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0);
      const conn = await KafkaConnection.connect(cluster.bootstrap(leaderId), { timeoutMs: 5000 });
      const values: string[] = [];
      try {
        let offset = 0;
        for (;;) {
          if (remaining() <= 0) throw new Error('reading back did not finish before the deadline');
          const r = await conn.request<apis.FetchResponse>(apis.fetch, {
            replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
            topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
            forgottenTopicsData: [], rackId: '',
          });
          const p = r.responses[0].partitions[0];
          expect(p.errorCode).toBe(0);
          const batches = decodeRecordBatches(p.records ?? Buffer.alloc(0));
          if (isLeft(batches)) throw new Error(`bad batch at ${offset}`);
          for (const b of batches.right) for (const rec of b.records) if (rec.offset >= offset) values.push(rec.value!.toString());
          if (batches.right.length > 0) offset = batches.right[batches.right.length - 1].lastOffset + 1;
          if (offset >= p.highWatermark) break;
        }
      } finally {
        conn.close();
      }

      if (process.env.RILL_CLUSTER_TEST_VERBOSE) console.log(`acked ${acked.length}, failed sends ${failures}, stored ${values.length}\n${phases.join('\n')}`);
      const position = new Map<string, number>();
      for (const [i, v] of values.entries()) {
        expect(position.has(v)).toBe(false); // nothing is stored twice
        position.set(v, i);
      }
      const positions = acked.map((v) => position.get(v));
      expect(positions.filter((p) => p === undefined)).toEqual([]);
      expect([...(positions as number[])].sort((a, b) => a - b)).toEqual(positions);
      expect(acked.length).toBeGreaterThanOrEqual((KILL_ROUNDS + 1) * ACKS_PER_ROUND);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${cluster.dump()}`);
    }
  }, DEADLINE_MS + 20_000);
});
