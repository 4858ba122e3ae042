// A worker's membership over the cluster's internal mutual TLS: against a
// controller with --internal-ssl-*, a worker with a node certificate of the
// CA joins and gets its tasks; one without TLS, or with a certificate of
// another CA, cannot join, and the controller's log says why.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { loggerTo } from '../../../../core/logging';
import { ControllerProcess, InternalTls, type InternalTlsOptions, parseControllers, WorkerMembership, type ControllerAddress } from '../../../../core/cluster';
import { ControllerClient } from '../../../../core/cluster/controller/controller-client';
import { freePortPair } from '../../../support/ports';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';

const DEADLINE_MS = 20_000;
const TOPIC = 'lines';

describe('worker membership over internal TLS', () => {
  let certs: TestCerts;
  let dir: string;
  let controllers: ControllerAddress[];
  let node: InternalTlsOptions;
  let controller: ControllerProcess;
  const members: WorkerMembership[] = [];
  const controllerLog: string[] = [];

  /** Asks the controller until it answers with errorCode 0 (it becomes active after an election). */
  async function ask(client: ControllerClient, method: string, body: unknown, deadline: number): Promise<{ brokerEpoch?: number }> {
    let last = '';
    while (Date.now() < deadline) {
      const a = await client.call<{ brokerEpoch?: number }>(method, body, 2000);
      if (a.errorCode === 0) return a.response ?? {};
      last = a.message ?? String(a.errorCode);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${method} was not accepted before the deadline: ${last}`);
  }

  beforeAll(async () => {
    const deadline = Date.now() + DEADLINE_MS;
    certs = makeTestCerts();
    node = { certFile: certs.node.cert, keyFile: certs.node.key, caFile: certs.ca };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-worker-mtls-'));
    controllers = E.getOrElseW(() => [] as ControllerAddress[])(parseControllers(`1@127.0.0.1:${await freePortPair(new Set())}`));
    const started = await ControllerProcess.start({
      nodeId: 1,
      controllers,
      dataDir: dir,
      tickMs: 20,
      internalTls: node,
      logger: loggerTo((l) => controllerLog.push(l.msg)),
    });
    if (E.isLeft(started)) throw new Error(started.left);
    controller = started.right;
    // A (pretend) broker, so the input topic can be placed.
    const admin = new ControllerClient(
      controllers,
      0,
      undefined,
      InternalTls.load(node).sockets(() => {}),
    );
    try {
      const { brokerEpoch } = await ask(admin, 'registerBroker', { brokerId: 1, rack: null, host: '127.0.0.1', port: 9092 }, deadline);
      await ask(admin, 'brokerHeartbeat', { brokerId: 1, brokerEpoch, caughtUp: true }, deadline);
      await ask(admin, 'createTopic', { name: TOPIC, partitions: 2, replicationFactor: 1 }, deadline);
    } finally {
      admin.close();
    }
  }, DEADLINE_MS + 10_000);

  afterAll(async () => {
    await Promise.all(members.map((m) => m.stop()));
    await controller?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    certs?.remove();
  });

  const member = (workerId: string, internalTls: InternalTlsOptions | undefined) => {
    const m = new WorkerMembership({ controllers, internalTls, app: 'counts', workerId, inputTopics: [TOPIC], retryBackoffMs: 20, requestTimeoutMs: 500 });
    members.push(m);
    return m;
  };

  it('lets a worker with a node certificate join and take the tasks', async () => {
    const joined = await member('inside', node).start(DEADLINE_MS);
    expect(E.isRight(joined) && joined.right.active.map((t) => t.task).sort()).toEqual([`${TOPIC}-0`, `${TOPIC}-1`]);
  });

  it('keeps out a worker without TLS and one of another CA; the controller says why', async () => {
    const plain = await member('plaintext', undefined).start(1500);
    expect(E.isLeft(plain) && plain.left).toMatch(/could not join through the controllers/);
    const stranger = await member('stranger', { certFile: certs.untrustedNode.cert, keyFile: certs.untrustedNode.key, caFile: certs.otherCa }).start(1500);
    expect(E.isLeft(stranger) && stranger.left).toMatch(/could not join through the controllers/);
    const deadline = Date.now() + DEADLINE_MS;
    const refused = (why: string) => controllerLog.some((l) => l.includes('internal TLS: refused a connection') && l.includes(why));
    while (!(refused('does not speak TLS') && refused('internal CA'))) {
      if (Date.now() > deadline) throw new Error(`the controller logged no refusals: ${controllerLog.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
