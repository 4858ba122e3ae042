// kcat (librdkafka) against a real Rill cluster on loopback (3 controller and 3
// broker processes): kcat produces half of the records with librdkafka's
// idempotent producer (acks=all), the partition leader is killed with SIGKILL,
// and a second kcat produces the rest while the metadata still names the dead
// leader; a kcat consumer reads the partition all along. librdkafka must find
// the new leader through Metadata on its own: both producers deliver every
// line (exit code 0), each is stored exactly once and in order, and the
// consumer reads the partition across the failover, in the log's order.
import { spawn, type ChildProcess } from 'node:child_process';
import { killAndWait } from '../../../support/ports';
import { readPartition, createReplicatedTopic, STARTUP_BUDGET_MS, useProcessCluster } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'kcat-failover';
const HALF = 100;
const DEADLINE_MS = 90_000;

/** A kcat child with stdin open and its stdout collected; killed at `deadline` at the latest. */
function kcat(
  args: readonly string[],
  deadline: number,
): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('kcat across a partition leader failover', () => {
  const clusterOf = useProcessCluster('rill-cluster-kcat-', IDS, IDS, ['--broker-session-timeout-ms', '2500'], ['--replica-lag-time-max-ms', '4000']);
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map((c) => killAndWait(c)));
  });

  let output = () => '';
  it(
    'produces every line and consumes the partition across kill -9 of its leader',
    async () => {
      const cluster = clusterOf();
      const phases: string[] = [];
      const started = Date.now();
      const phase = (name: string) => phases.push(`${name} @${Date.now() - started}ms`);
      try {
        const { deadline } = await createReplicatedTopic(cluster, IDS, TOPIC, DEADLINE_MS, phase);
        const brokers = IDS.map((id) => cluster.bootstrap(id)).join(',');
        const consumer = kcat(['-b', brokers, '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-c', String(2 * HALF), '-q', '-f', '%s\n'], deadline);
        // An idempotent librdkafka producer (InitProducerId; acks=all), retried until delivered or 60 s.
        // (kcat -P sends what it reads from stdin only once stdin ends: one kcat per half.)
        const produce = (lines: readonly string[]) => {
          const p = kcat(['-b', brokers, '-P', '-t', TOPIC, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'message.timeout.ms=60000'], deadline);
          children.push(p.child);
          p.child.stdin!.end(lines.join('\n') + '\n');
          return p;
        };
        children.push(consumer.child);
        const values = Array.from({ length: 2 * HALF }, (_, i) => `kcat-${i}`);
        const first = produce(values.slice(0, HALF));
        output = () => `--- kcat -P (first half) stderr\n${first.stderr()}\n--- kcat -C stderr\n${consumer.stderr()}`;
        expect(await first.exited).toEqual({ code: 0, stderr: expect.any(String) });
        const victim = (await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0)).leaderId;
        phase(`first half delivered; kill leader ${victim}`);

        // The second kcat starts while the metadata still names the dead broker as leader.
        await cluster.kill(`b${victim}`);
        const second = produce(values.slice(HALF));
        output = () => `--- kcat -P (second half) stderr\n${second.stderr()}\n--- kcat -C stderr\n${consumer.stderr()}`;
        const produced = await second.exited;
        phase(`second kcat -P exited with ${produced.code}`);
        expect(produced).toEqual({ code: 0, stderr: expect.any(String) });
        const { leaderId: leader } = await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.leaderId !== victim);
        phase(`leader ${leader}`);
        const consumed = await consumer.exited;
        phase(`kcat -C exited with ${consumed.code}`);
        expect(consumed.code).toBe(0);

        const stored = await readPartition(cluster, leader, TOPIC, deadline);
        // Idempotent: a batch retried after the kill is recognised by the new leader, so every line is stored exactly once, in order.
        expect(stored).toEqual(values);
        expect(consumer.stdout().trim().split('\n')).toEqual(stored.slice(0, 2 * HALF));
        if (process.env.RILL_CLUSTER_TEST_VERBOSE) console.log(`${stored.length} stored for ${values.length} produced\n${phases.join('\n')}`);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${cluster.dump()}\n${output()}`);
      }
    },
    STARTUP_BUDGET_MS + DEADLINE_MS + 20_000,
  );
});
