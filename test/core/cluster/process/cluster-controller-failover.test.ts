// A real Rill cluster on loopback (3 controller processes, 3 broker processes)
// while the active controller, the metadata Raft leader, is killed with SIGKILL
// and restarted, round after round; in the last round the partition leader is
// killed together with it, so the new controller itself must fence the dead
// broker and elect a new partition leader from the ISR. kafkajs produces with
// acks=all and min.insync.replicas=2 throughout. Every acknowledged record must
// be read back exactly once and in order; each new controller is a different
// node in a higher term; live brokers stay registered and unfenced across a
// controller failover; the restarted controller catches up with the quorum.
import { runReplicatedScenario, STARTUP_BUDGET_MS, useProcessCluster } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'controller-failover';
const CONTROLLER_ROUNDS = 3;
const ACKS_PER_ROUND = 10;
const DEADLINE_MS = 70_000;

describe('a 3-controller, 3-broker cluster under kill -9 of the active controller', () => {
  const clusterOf = useProcessCluster('rill-cluster-ctl-', IDS, IDS, ['--broker-session-timeout-ms', '2500'], ['--replica-lag-time-max-ms', '4000']);

  it(
    'keeps every acknowledged record, and the cluster keeps deciding, across controller failovers',
    async () => {
      const cluster = clusterOf();
      const terms: number[] = [];
      const opts = { deadlineMs: DEADLINE_MS, rounds: CONTROLLER_ROUNDS, acksPerRound: ACKS_PER_ROUND };
      await runReplicatedScenario(
        cluster,
        IDS,
        TOPIC,
        opts,
        async (round, { deadline, phase }) => {
          const old = await cluster.waitForActiveController(deadline);
          terms.push(old.term);
          const last = round === CONTROLLER_ROUNDS - 1;
          const { leaderId: partitionLeader, leaderEpoch } = await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
          phase(`round ${round}: kill controller ${old.nodeId} (term ${old.term})${last ? ` and partition leader ${partitionLeader}` : ''}`);
          await Promise.all([cluster.kill(`c${old.nodeId}`), last ? cluster.kill(`b${partitionLeader}`) : Promise.resolve()]);

          const next = await cluster.waitForActiveController(deadline, (q) => q.nodeId !== old.nodeId && q.term > old.term);
          phase(`round ${round}: controller ${next.nodeId} active in term ${next.term}`);
          if (last) {
            // Only the new controller can have decided this: fence the dead broker, elect from the ISR.
            const p = await cluster.waitForPartition(TOPIC, deadline, (x) => x.leaderId > 0 && x.leaderId !== partitionLeader);
            expect(p.leaderEpoch).toBeGreaterThan(leaderEpoch);
            phase(`round ${round}: partition leader ${p.leaderId} (epoch ${p.leaderEpoch})`);
          } else {
            // A failover gives every live broker a fresh session: none is fenced, the partition keeps its leader.
            for (const id of IDS) await cluster.waitForBrokers(id, IDS.length, deadline);
            const p = await cluster.waitForPartition(TOPIC, deadline, (x) => x.leaderId > 0);
            expect(p.leaderId).toBe(partitionLeader);
          }
          await cluster.startController(old.nodeId);
          if (last) await cluster.startBroker(partitionLeader);
          await cluster.waitForControllerApplied(old.nodeId, next.commitIndex, deadline);
          phase(`round ${round}: controller ${old.nodeId} restarted and caught up to ${next.commitIndex}`);
        },
        async ({ deadline, phase }) => {
          // The restarted broker rejoins the ISR through the current controller.
          await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
          phase('ISR full again');
          const final = await cluster.waitForActiveController(deadline);
          terms.push(final.term);
          expect([...terms].sort((a, b) => a - b)).toEqual(terms);
          expect(new Set(terms).size).toBe(terms.length);
        },
      );
    },
    STARTUP_BUDGET_MS + DEADLINE_MS + 20_000,
  );
});
