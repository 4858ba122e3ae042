// `rill cluster status` against a real 3-node cluster on loopback, each node a
// controller and a broker in one process (`rill broker --controller --port`,
// the way docs/cluster.md starts one): JSON and table output (with each
// controller's replication as the active one sees it), a node killed,
// `rill produce` and `rill consume` going to partition leaders, and the errors for an unreachable quorum and for a list naming the wrong
// controller. The CLI runs as its own process, as a user would run it.
import { Kafka, logLevel } from 'kafkajs';
import type { ClusterStatus } from '../../../../core/cluster';
import { freePortPair, useProcessCluster, runCli, STARTUP_BUDGET_MS } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'status';
const DEADLINE_MS = 60_000;
const CLI_TIMEOUT_MS = 30_000;

describe('rill cluster status against a 3-node cluster (controller + broker per process)', () => {
  const clusterOf = useProcessCluster('rill-cluster-status-', IDS, IDS, ['--broker-session-timeout-ms', '4000']);

  it(
    'shows controllers, brokers, partitions with ISR and lag, and says what is wrong when nodes are missing',
    async () => {
      const cluster = clusterOf();
      await cluster.allocatePorts();
      await Promise.all(IDS.map((id) => cluster.startCombined(id)));
      const deadline = Date.now() + DEADLINE_MS; // starting the nodes has its own bound (READY_TIMEOUT_MS each)
      for (const id of IDS) await cluster.waitForBrokers(id, IDS.length, deadline);

      const kafka = new Kafka({
        clientId: 'status-test',
        brokers: IDS.map((id) => cluster.bootstrap(id)),
        logLevel: logLevel.NOTHING,
        retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      });
      await admin.disconnect();
      await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      await producer.disconnect();
      // `rill produce` through one broker: each partition's records go to its leader, wherever it is.
      const lines = Array.from({ length: 6 }, (_, i) => `c${i}:w${i}`).join('\n') + '\n';
      const produced = await runCli(['produce', '--topic', TOPIC, '--key-separator', ':', '--bootstrap', cluster.bootstrap(1)], CLI_TIMEOUT_MS, lines);
      expect({ code: produced.code, stderr: produced.stderr }).toEqual({ code: 0, stderr: `Produced 6 record(s) to ${TOPIC}.\n` });
      // `rill consume` through another broker reads every partition from its leader.
      const consumed = await runCli(
        ['consume', '--topic', TOPIC, '--from-beginning', '--exit-at-end', '--format', 'kv', '--bootstrap', cluster.bootstrap(2)],
        CLI_TIMEOUT_MS,
      );
      expect({ code: consumed.code, stderr: consumed.stderr }).toEqual({ code: 0, stderr: 'Consumed 12 record(s).\n' });
      expect(consumed.stdout.trim().split('\n').sort()).toEqual(
        [...Array.from({ length: 6 }, (_, i) => `k${i}\tv${i}`), ...Array.from({ length: 6 }, (_, i) => `c${i}\tw${i}`)].sort(),
      );
      // `rill group` through any broker: group requests go to the group's coordinator, offsets to each partition's leader.
      const reset = await runCli(['group', 'reset-offsets', 'cli-group', '--topic', TOPIC, '--to-latest', '--bootstrap', cluster.bootstrap(3)], CLI_TIMEOUT_MS);
      expect({ code: reset.code, stderr: reset.stderr.replace(/committing[^\n]*\n?/g, '') }).toEqual({ code: 0, stderr: '' });
      const described = await runCli(['group', 'describe', 'cli-group', '--bootstrap', cluster.bootstrap(1)], CLI_TIMEOUT_MS);
      expect(described.code).toBe(0);
      const rows = described.stdout
        .split('\n')
        .filter((l) => l.startsWith(`${TOPIC}\t`))
        .map((l) => l.split('\t'));
      expect(rows.length).toBeGreaterThan(0);
      for (const [, , committed, end, lag] of rows) expect({ committed, lag }).toEqual({ committed: end, lag: '0' });
      expect(rows.reduce((n, r) => n + Number(r[2]), 0)).toBe(12);

      // JSON: every controller answers, one is active; every broker alive; both partitions fully in sync.
      const status = async (extra: string[] = []) => runCli(['cluster', 'status', '--controllers', cluster.controllersArg, ...extra], CLI_TIMEOUT_MS);
      const json = await status(['--json']);
      expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: '' });
      const s = JSON.parse(json.stdout) as ClusterStatus;
      expect(s.warnings).toEqual([]);
      expect(s.controllers.map((c) => c.id)).toEqual(IDS);
      expect(s.controllers.every((c) => c.quorum !== undefined && c.quorum.term === s.term && c.quorum.commitIndex > 0)).toBe(true);
      expect(s.controllers.filter((c) => c.quorum!.active).map((c) => c.id)).toEqual([s.leader]);
      expect(s.controllers.filter((c) => c.id !== s.leader).every((c) => c.quorum!.role === 'follower' && c.quorum!.leader === s.leader)).toBe(true);
      // The active controller's view of each voter's replication of the metadata log.
      const progress = s.controllers.find((c) => c.id === s.leader)!.quorum!.replication!;
      expect(progress.map((p) => ({ id: p.id, learner: p.learner }))).toEqual(IDS.map((id) => ({ id, learner: false })));
      expect(progress.every((p) => p.match > 0 && p.lag >= 0 && p.lastAckMsAgo !== null)).toBe(true);
      expect(s.controllers.filter((c) => c.id !== s.leader).every((c) => c.quorum!.replication === undefined)).toBe(true);
      expect(s.brokers.map((b) => ({ id: b.id, address: b.address, fenced: b.fenced, reachable: b.reachable }))).toEqual(
        IDS.map((id) => ({ id, address: cluster.bootstrap(id), fenced: false, reachable: true })),
      );
      expect(s.brokers.every((b) => b.brokerEpoch > 0)).toBe(true);
      expect(s.topics.map((t) => t.name)).toContain(TOPIC);
      const parts = s.partitions.filter((p) => p.topic === TOPIC);
      expect(parts.map((p) => p.partition)).toEqual([0, 1]);
      let stored = 0;
      for (const p of parts) {
        expect(IDS).toContain(p.leader);
        expect([...p.isr].sort()).toEqual(IDS);
        expect(p.replicas.map((r) => r.broker).sort()).toEqual(IDS);
        for (const r of p.replicas) {
          expect(r.inIsr).toBe(true);
          expect(typeof r.logEndOffset).toBe('number');
          expect(r.lag).toBeGreaterThanOrEqual(0);
        }
        stored += p.replicas.find((r) => r.broker === p.leader)!.logEndOffset!;
      }
      expect(stored).toBe(12);
      expect(s.apps).toEqual([]);

      // Tables for people.
      const text = await status();
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`Controllers (active: ${s.leader}, term ${s.term}`);
      expect(text.stdout).toMatch(new RegExp(`\\n  ${s.leader} +127\\.0\\.0\\.1:\\d+ +leader \\(active\\)`));
      expect(text.stdout).toMatch(/\n {2}ID +ADDRESS +ROLE +TERM +COMMIT +APPLIED +MATCH +LAG +LAST ACK +CAUGHT UP\n/);
      expect(text.stdout).toMatch(/\n {2}TOPIC +PARTITION +LEADER +EPOCH +ISR/);
      expect(text.stdout).toMatch(new RegExp(`\\n  ${TOPIC} +0 +\\d +\\d+ +\\[1,2,3\\]`));
      expect(text.stdout).toContain('(no workers)');

      // A node down: still an answer (exit 0: a majority leads), with the missing node said plainly.
      const victim = IDS.find((id) => id !== s.leader)!;
      await cluster.kill(`n${victim}`);
      const degraded = await status(['--json', '--timeout-ms', '1000']);
      expect(degraded.code).toBe(0);
      const d = JSON.parse(degraded.stdout) as ClusterStatus;
      expect(d.leader).toBeGreaterThan(0);
      expect(d.controllers.find((c) => c.id === victim)!.error).toContain(`controller ${victim} at `);
      const b = d.brokers.find((x) => x.id === victim)!;
      expect(b.fenced || b.reachable === false).toBe(true);
      expect(d.warnings.some((w) => w.includes(`controller ${victim} at`))).toBe(true);
      // Still a voter: the active controller keeps reporting it (its last ack ages).
      expect(d.controllers.find((c) => c.id === d.leader)!.quorum!.replication!.map((p) => p.id)).toEqual(IDS);

      // Nothing there: exit 1 with a sentence saying so.
      const nobody = await freePortPair(new Set());
      const none = await runCli(['cluster', 'status', '--controllers', `1@127.0.0.1:${nobody}`, '--timeout-ms', '1000'], CLI_TIMEOUT_MS);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('no controller answered within 1000 ms');
      expect(none.stdout).toBe('');

      // A list that names a controller by the wrong id.
      const leaderPort = cluster.controllerPorts.get(s.leader)!;
      const wrong = await runCli(['cluster', 'status', '--controllers', `7@127.0.0.1:${leaderPort}`, '--timeout-ms', '2000'], CLI_TIMEOUT_MS);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(`is controller ${s.leader}, not 7 as --controllers says`);
    },
    STARTUP_BUDGET_MS + DEADLINE_MS + 30_000,
  );
});
