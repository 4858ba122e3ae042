// A real Rill cluster (3 controllers, 3 brokers, each its own process) whose
// own links -- controller RPC, replication, Raft, `rill cluster status` -- run
// over mutual TLS (--internal-ssl-*), with certificates made by openssl at test
// time. kafkajs produces with acks=all while the partition leader is killed
// with SIGKILL and restarted: every acknowledged record is there afterwards.
// Then a plaintext caller and a caller of another CA are refused (the
// controller says why in its log), a broker started with another CA cannot
// join (its log says why), and `rill cluster status` with a node certificate
// is answered.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isLeft, isRight } from 'fp-ts/Either';
import { loggerTo } from '../../../../core/logging';
import { BrokerProcess, describeQuorum, InternalTls } from '../../../../core/cluster';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';
import { freePortPair, killLeader, runCli, runReplicatedScenario, STARTUP_BUDGET_MS, useProcessCluster } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'mtls-failover';
const DEADLINE_MS = 100_000;

describe('a 3-controller, 3-broker cluster whose own links are mutual TLS', () => {
  const controllerArgs = ['--broker-session-timeout-ms', '60000'];
  const brokerArgs = ['--replica-lag-time-max-ms', '4000'];
  const tlsArgs: string[] = [];
  let certs: TestCerts;
  const clusterOf = useProcessCluster('rill-cluster-mtls-', IDS, IDS, controllerArgs, brokerArgs);

  beforeAll(() => {
    certs = makeTestCerts();
    tlsArgs.push(
      '--internal-ssl-cert',
      certs.node.cert,
      '--internal-ssl-key',
      certs.node.key,
      '--internal-ssl-ca',
      certs.ca,
      '--internal-ssl-principals',
      'User:CN=rill-node,O=Rill Tests',
    );
    // The cluster reads its argument lists when it starts each node.
    controllerArgs.push(...tlsArgs);
    brokerArgs.push(...tlsArgs);
  });

  afterAll(() => certs?.remove());

  it(
    'replicates and survives a killed leader; refuses callers without a node certificate',
    async () => {
      await runReplicatedScenario(
        clusterOf(),
        IDS,
        TOPIC,
        { deadlineMs: DEADLINE_MS, rounds: 1, acksPerRound: 15 },
        killLeader(TOPIC),
        async ({ cluster, deadline }) => {
          const controller = cluster.controllerAddress(1);
          const plaintext = await describeQuorum(controller, 5000);
          expect(isLeft(plaintext)).toBe(true);
          const stranger = InternalTls.load({ certFile: certs.untrustedNode.cert, keyFile: certs.untrustedNode.key, caFile: certs.ca }).sockets(() => {});
          expect(isLeft(await describeQuorum(controller, 5000, stranger))).toBe(true);
          // The controller's log says why, and it keeps serving its nodes.
          const refusals = () => (cluster.output.get('c1') ?? []).filter((l) => l.includes('internal TLS: refused a connection'));
          while (!(refusals().some((l) => l.includes('does not speak TLS')) && refusals().some((l) => l.includes('internal CA')))) {
            if (Date.now() > deadline) throw new Error(`controller 1 logged no refusals: ${(cluster.output.get('c1') ?? []).join('\n')}`);
            await cluster.nextTick();
          }
          // A broker of another CA: the controllers refuse it, it refuses them, and it never registers.
          const strangerLog: string[] = [];
          const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-mtls-stranger-'));
          const started = await BrokerProcess.start({
            nodeId: 4,
            controllers: IDS.map((id) => cluster.controllerAddress(id)),
            dataDir,
            port: await freePortPair(new Set([...cluster.controllerPorts.values(), ...cluster.brokerPorts.values()].flatMap((p) => [p, p + 1]))),
            internalTls: { certFile: certs.untrustedNode.cert, keyFile: certs.untrustedNode.key, caFile: certs.otherCa },
            logger: loggerTo((l) => strangerLog.push(l.msg)),
          });
          expect(isRight(started)).toBe(true);
          try {
            while (!strangerLog.some((l) => /not registered after .*internal TLS: .*internal\.ssl\.ca\.location/.test(l))) {
              if (Date.now() > deadline) throw new Error(`the stranger broker did not say why it cannot join: ${strangerLog.join('\n')}`);
              await cluster.nextTick();
            }
            expect((await cluster.metadata(1, TOPIC))?.brokers.map((b) => b.nodeId).sort()).toEqual(IDS);
          } finally {
            if (isRight(started)) await started.right.stop();
            fs.rmSync(dataDir, { recursive: true, force: true });
          }
          const status = await runCli(['cluster', 'status', '--controllers', cluster.controllersArg, '--timeout-ms', '10000', ...tlsArgs], 60_000);
          expect(status.stderr).toBe('');
          expect(status.code).toBe(0);
          expect(status.stdout).toContain(TOPIC);
        },
      );
    },
    STARTUP_BUDGET_MS + DEADLINE_MS + 60_000,
  );
});
