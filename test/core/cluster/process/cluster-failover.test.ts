// A real Rill cluster on loopback: 3 controllers and 3 brokers, each its own
// process. A topic with one partition, replication factor 3 and
// min.insync.replicas=2; kafkajs produces with acks=all while the partition
// leader is killed with SIGKILL (or, every other round, stopped with SIGTERM: a
// controlled shutdown) and restarted, round after round. Every record
// the cluster acknowledged must be there afterwards, exactly once, in order.
// The broker session timeout is a minute, longer than the test's deadline: a
// killed leader is fenced because its connection to the controller closed
// (the disconnect grace), not because its session ran out.
import { killLeader, runReplicatedScenario, STARTUP_BUDGET_MS, useProcessCluster } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'failover';
const KILL_ROUNDS = 3;
const ACKS_PER_ROUND = 15;
const DEADLINE_MS = 100_000;

describe('a 3-controller, 3-broker cluster under kill -9 and SIGTERM of the partition leader', () => {
  const clusterOf = useProcessCluster('rill-cluster-proc-', IDS, IDS, ['--broker-session-timeout-ms', '60000'], ['--replica-lag-time-max-ms', '4000']);

  it(
    'keeps every acknowledged record, exactly once and in order',
    async () => {
      await runReplicatedScenario(
        clusterOf(),
        IDS,
        TOPIC,
        { deadlineMs: DEADLINE_MS, rounds: KILL_ROUNDS, acksPerRound: ACKS_PER_ROUND },
        killLeader(TOPIC, true),
      );
    },
    STARTUP_BUDGET_MS + DEADLINE_MS + 20_000,
  );
});
