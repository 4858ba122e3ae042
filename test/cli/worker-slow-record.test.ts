// Heartbeats are independent of processing (the worker's membership runs on
// its own thread): one cluster node and real `rill worker` processes on a
// pipeline whose user function can spin synchronously. A record that blocks
// the worker's main thread for twice the session timeout costs it nothing:
// no rebalance, no fencing, the record and the next are processed. Processing
// stuck past --max-poll-interval-ms does give the tasks up: they move to the
// other worker, and the stuck one rejoins once it is back.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, type Admin, type Producer } from 'kafkajs';
import { SLOW_INPUT } from './fixtures/slow-pipeline';
import { CliProcs, workerArgs } from './worker-procs';

// Generous for a loaded 2-core machine: the controller itself must not miss heartbeats.
const SESSION_MS = 3000;
const MAX_POLL_MS = 1000;
const PARTITIONS = 2;
const DEADLINE_MS = 60_000;

describe('rill worker with a slow, synchronous user function', () => {
  const cli = new CliProcs();
  let dir: string;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let controllerPort = 0;
  let brokerPort = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-worker-slow-'));
    const deadline = Date.now() + DEADLINE_MS;
    let kafka: Kafka;
    ({ controllerPort, brokerPort, kafka, admin } = await cli.startNode({
      dataDir: path.join(dir, 'node'),
      workerSessionTimeoutMs: SESSION_MS,
      topic: SLOW_INPUT,
      partitions: PARTITIONS,
      clientId: 'slow-test',
      deadline,
    }));
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }, DEADLINE_MS + 10_000);

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await cli.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const worker = (name: string, app: string, extra: string[] = []) =>
    cli.start(
      name,
      workerArgs(
        {
          app,
          pipeline: 'test/cli/fixtures/slow-pipeline.ts',
          controllers: `1@127.0.0.1:${controllerPort}`,
          brokers: `127.0.0.1:${brokerPort}`,
          workerId: name,
          sessionTimeoutMs: SESSION_MS,
        },
        extra,
      ),
    );

  /** How far the application's group has committed partition `p` of the input. */
  const committed = async (app: string, p: number) => {
    const [c] = await admin!.fetchOffsets({ groupId: app, topics: [SLOW_INPUT] });
    return Number(c?.partitions.find((x) => x.partition === p)?.offset ?? -1);
  };
  const taskLines = (name: string) => cli.procs.get(name)!.out.filter((l) => l.includes(' tasks ['));

  it(
    'keeps its tasks through a record that blocks it for twice the session timeout',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const w = worker('steady', 'steady-app');
      await cli.until('the worker to own every task', deadline, () => cli.tasks('steady')?.length === PARTITIONS);
      const before = taskLines('steady').length;
      await producer!.send({
        topic: SLOW_INPUT,
        acks: -1,
        messages: [
          { value: `block:${2 * SESSION_MS}`, partition: 0 },
          { value: 'after', partition: 0 },
        ],
      });
      await cli.until('both records to be processed and committed', deadline, async () => (await committed('steady-app', 0)) >= 2, 200);
      // No change of tasks, no fence, no lost heartbeat.
      expect(taskLines('steady')).toHaveLength(before);
      expect(w.err.filter((l) => /fenced|dropping its tasks/.test(l))).toEqual([]);
    },
    DEADLINE_MS + 10_000,
  );

  it(
    'gives its tasks up when processing is stuck past max.poll.interval.ms, and rejoins after',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const stuck = worker('stuck', 'stuck-app', ['--max-poll-interval-ms', String(MAX_POLL_MS)]);
      await cli.until('the first worker to own every task', deadline, () => cli.tasks('stuck')?.length === PARTITIONS);
      worker('helper', 'stuck-app');
      await cli.until('the two workers to share the tasks', deadline, () => cli.tasks('stuck')?.length === 1 && cli.tasks('helper')?.length === 1);
      const stuckPartition = cli.tasks('stuck')![0];
      // Stuck past max poll + the session, with a session to spare: the controller moves its task meanwhile.
      await producer!.send({ topic: SLOW_INPUT, acks: -1, messages: [{ value: `block:${MAX_POLL_MS + 2 * SESSION_MS}`, partition: stuckPartition }] });
      await cli.until('the helper to own every task', deadline, () => cli.tasks('helper')?.length === PARTITIONS);
      await cli.until('the stuck worker to say why', deadline, () => stuck.err.some((l) => l.includes('max.poll.interval.ms')));
      // Back: it learns it was fenced, drops its tasks without committing them, rejoins and gets one again.
      await cli.until('the workers to share the tasks again', deadline, () => cli.tasks('stuck')?.length === 1 && cli.tasks('helper')?.length === 1);
      expect(stuck.out.some((l) => l.includes('(fenced: revoked work not committed)'))).toBe(true);
      await cli.until('the blocking record to be committed', deadline, async () => (await committed('stuck-app', stuckPartition)) >= 1, 200);
    },
    DEADLINE_MS + 10_000,
  );
});
