// A real Rill cluster on loopback: 3 controllers and 3 brokers, each its own
// process. A topic with one partition, replication factor 3 and
// min.insync.replicas=2; kafkajs produces with acks=all while the partition
// leader is killed with SIGKILL and restarted, round after round. Every record
// the cluster acknowledged must be there afterwards, exactly once, in order.
import { ackedProblems, killLeaderRounds, useProcessCluster, readPartition, startReplicatedTopic, STARTUP_BUDGET_MS, timeline } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'failover';
const KILL_ROUNDS = 3;
const ACKS_PER_ROUND = 15;
const DEADLINE_MS = 100_000;

describe('a 3-controller, 3-broker cluster under kill -9 of the partition leader', () => {

  const clusterOf = useProcessCluster('rill-cluster-proc-', IDS, IDS, ['--broker-session-timeout-ms', '2500'], ['--replica-lag-time-max-ms', '4000']);

  it('keeps every acknowledged record, exactly once and in order', async () => {
    const cluster = clusterOf();
    const { phase, phases } = timeline();
    let deadline = Date.now() + STARTUP_BUDGET_MS;
    try {
      const run = await startReplicatedTopic(cluster, IDS, TOPIC, DEADLINE_MS, phase);
      const { producer } = run;
      deadline = run.deadline;
      await killLeaderRounds(cluster, producer, { topic: TOPIC, rounds: KILL_ROUNDS, acksPerRound: ACKS_PER_ROUND, deadline, phase });

      // Read the partition back from its leader, up to the high watermark.
      const { leaderId } = await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0);
      const values = await readPartition(cluster, leaderId, TOPIC, deadline);
      if (process.env.RILL_CLUSTER_TEST_VERBOSE) console.log(`acked ${producer.acked.length}, failed sends ${producer.failures}, stored ${values.length}\n${phases.join('\n')}`);
      expect(ackedProblems(producer.acked, values)).toEqual([]);
      expect(producer.acked.length).toBeGreaterThanOrEqual((KILL_ROUNDS + 1) * ACKS_PER_ROUND);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${cluster.dump()}`);
    }
  }, STARTUP_BUDGET_MS + DEADLINE_MS + 20_000);
});
