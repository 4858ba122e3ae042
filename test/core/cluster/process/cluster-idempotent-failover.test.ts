// The idempotent producer on a real Rill cluster: 3 controllers and 3 brokers,
// each its own process; a topic with one partition, replication factor 3 and
// min.insync.replicas=2. One kafkajs producer with `idempotent: true` (acks=all,
// maxInFlightRequests 1) sends value after value, each again after a failure
// until it is acknowledged, while the partition leader is killed with SIGKILL
// twice. A batch the dead leader wrote (and a follower copied) but never
// acknowledged is retried to the new leader, which must recognise it: the log
// afterwards holds every value exactly once, in order, and nothing else.
import { killLeader, runReplicatedScenario, STARTUP_BUDGET_MS, useProcessCluster } from './process-cluster';

const BROKERS = [1, 2, 3];
const TOPIC = 'idempotent';
const ROUNDS = 2;
const ACKS = 10;
const BUDGET_MS = 60_000;

describe('an idempotent kafkajs producer on a 3-broker cluster under kill -9 of the partition leader', () => {
  const clusterOf = useProcessCluster('rill-cluster-idem-', BROKERS, BROKERS, ['--broker-session-timeout-ms', '2500'], ['--replica-lag-time-max-ms', '4000']);

  it(
    'stores every record once, in order: retries after a failover are recognised as duplicates',
    async () => {
      const cluster = clusterOf();
      const { acked, stored } = await runReplicatedScenario(
        cluster,
        BROKERS,
        TOPIC,
        { deadlineMs: BUDGET_MS, rounds: ROUNDS, acksPerRound: ACKS, producer: 'idempotent' },
        killLeader(TOPIC),
      );
      // Every value sent was acknowledged (the producer resends until it is), so nothing else is stored.
      expect(stored).toEqual(acked);
      if (process.env.RILL_CLUSTER_TEST_VERBOSE) {
        const deduplicated = [...cluster.output.values()].flat().filter((l) => l.includes('retried idempotent batch')).length;
        console.log(`retries answered as duplicates: ${deduplicated}`);
      }
    },
    STARTUP_BUDGET_MS + BUDGET_MS + 20_000,
  );
});
