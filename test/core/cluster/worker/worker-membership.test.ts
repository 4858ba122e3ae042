// Workers of an application against three in-process controllers over real
// sockets: the workerHeartbeat RPC (join, heartbeat, leave, fencing, bad
// bodies) and WorkerMembership (finds the active controller, balances, moves
// the tasks of a silent worker, drops its tasks when fenced and rejoins).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import {
  ErrorCode,
  ControllerProcess,
  parseControllers,
  WorkerMembership,
  type AssignmentChange,
  type ControllerAddress,
  type WorkerMembershipOptions,
} from '../../../../core/cluster';
import { ControllerClient } from '../../../../core/cluster/controller/controller-client';
import { freePortPair } from '../process/process-cluster';

const DEADLINE_MS = 20_000;
const SESSION_MS = 1000;
const APP = 'counts';
const TOPIC = 'lines';
const PARTITIONS = 6;

async function until<T>(deadline: number, probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} before the deadline`);
}

/** Retries a controller call until it is answered by the active controller. */
async function callActive<R>(
  client: ControllerClient,
  method: string,
  body: unknown,
  deadline: number,
): Promise<{ errorCode: number; message?: string; response?: R }> {
  return until(
    deadline,
    async () => {
      const a = await client.call<R>(method, body, 2000);
      return a.errorCode === ErrorCode.NOT_CONTROLLER ? undefined : a;
    },
    `${method} was not answered by an active controller`,
  );
}

const tasksOf = (m: WorkerMembership) => m.assignment.active.map((t) => t.task).sort();

describe('workers and WorkerMembership against in-process controllers', () => {
  let dir: string;
  let controllers: ControllerAddress[];
  const nodes: ControllerProcess[] = [];
  const members: WorkerMembership[] = [];
  let admin: ControllerClient;

  beforeAll(async () => {
    const deadline = Date.now() + DEADLINE_MS;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-workers-'));
    const taken = new Set<number>();
    const ports = [await freePortPair(taken), await freePortPair(taken), await freePortPair(taken)];
    controllers = E.getOrElseW(() => [] as ControllerAddress[])(parseControllers(ports.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',')));
    for (const c of controllers) {
      const started = await ControllerProcess.start({
        nodeId: c.id,
        controllers,
        dataDir: path.join(dir, String(c.id)),
        tickMs: 20,
        config: { workerSessionTimeoutMs: SESSION_MS, brokerSessionTimeoutMs: 60_000 },
      });
      if (E.isLeft(started)) throw new Error(started.left);
      nodes.push(started.right);
    }
    // A (pretend) broker so a topic can be placed: registered, then unfenced.
    admin = new ControllerClient(controllers);
    const reg = await callActive<{ brokerEpoch: number }>(admin, 'registerBroker', { brokerId: 1, rack: null, host: '127.0.0.1', port: 9092 }, deadline);
    expect(reg.errorCode).toBe(0);
    const hb = await callActive(admin, 'brokerHeartbeat', { brokerId: 1, brokerEpoch: reg.response!.brokerEpoch, caughtUp: true }, deadline);
    expect(hb.errorCode).toBe(0);
    const topic = await callActive(admin, 'createTopic', { name: TOPIC, partitions: PARTITIONS, replicationFactor: 1 }, deadline);
    expect(topic.errorCode).toBe(0);
  });

  afterAll(async () => {
    await Promise.all(members.map((m) => m.stop()));
    admin?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function member(workerId: string, changes: AssignmentChange[], extra: Partial<WorkerMembershipOptions> = {}): WorkerMembership {
    const m = new WorkerMembership({
      controllers,
      app: APP,
      workerId,
      inputTopics: [TOPIC],
      heartbeatIntervalMs: 100,
      sessionTimeoutMs: SESSION_MS,
      retryBackoffMs: 20,
      onAssignment: (c) => void changes.push(c),
      ...extra,
    });
    members.push(m);
    return m;
  }

  it('answers workerHeartbeat: join, heartbeat, stale epoch fenced, malformed body refused, leave', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const req = { app: 'raw-app', workerId: 'solo', workerEpoch: 0, inputTopics: [TOPIC], numStandbyReplicas: 0 };
    type R = { workerEpoch: number; generation: number; active: { task: string; taskEpoch: number }[]; standby: string[] };
    const joined = await callActive<R>(admin, 'workerHeartbeat', req, deadline);
    expect(joined.errorCode).toBe(0);
    const epoch = joined.response!.workerEpoch;
    expect(epoch).toBeGreaterThan(0);
    expect(joined.response!.active.map((t) => t.task).sort()).toEqual(Array.from({ length: PARTITIONS }, (_, p) => `${TOPIC}-${p}`).sort());
    expect(joined.response!.active.every((t) => t.taskEpoch === 1)).toBe(true);

    const beat = await callActive<R>(admin, 'workerHeartbeat', { ...req, workerEpoch: epoch }, deadline);
    expect(beat).toMatchObject({ errorCode: 0, response: { workerEpoch: epoch, generation: joined.response!.generation } });

    const stale = await callActive<R>(admin, 'workerHeartbeat', { ...req, workerEpoch: epoch + 1000 }, deadline);
    expect(stale.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect(stale.message).toMatch(/Rejoin with epoch 0/);

    const bad = await callActive<R>(admin, 'workerHeartbeat', { ...req, workerEpoch: -1 }, deadline);
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(bad.message).toMatch(/workerEpoch/);
    expect((await callActive<R>(admin, 'workerHeartbeat', null, deadline)).errorCode).toBe(ErrorCode.INVALID_REQUEST);

    const left = await callActive<R>(admin, 'workerHeartbeat', { ...req, workerEpoch: epoch, leave: true }, deadline);
    expect(left).toMatchObject({ errorCode: 0, response: { workerEpoch: 0, active: [] } });
    // Gone: its old epoch is fenced now.
    expect((await callActive<R>(admin, 'workerHeartbeat', { ...req, workerEpoch: epoch }, deadline)).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  });

  it('balances three workers, moves the tasks of a silent one, and a fenced one drops its tasks and rejoins', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const changes = { w1: [] as AssignmentChange[], w2: [] as AssignmentChange[], w3: [] as AssignmentChange[] };
    const w1 = member('w1', changes.w1);
    const w2 = member('w2', changes.w2);
    const w3 = member('w3', changes.w3);
    for (const m of [w1, w2, w3]) {
      const joined = await m.start(10_000);
      expect(E.isRight(joined)).toBe(true);
    }
    const all = Array.from({ length: PARTITIONS }, (_, p) => `${TOPIC}-${p}`).sort();
    const balanced = (ms: WorkerMembership[], each: number) =>
      ms.every((m) => m.assignment.active.length === each) && ms.flatMap(tasksOf).sort().join() === all.join();

    // Join: 2 tasks each, disjoint, all covered; the listeners were told.
    await until(deadline, () => balanced([w1, w2, w3], 2), 'three workers did not balance 2/2/2');
    await Promise.all([w1, w2, w3].map((m) => m.settled()));
    for (const [id, m] of [
      ['w1', w1],
      ['w2', w2],
      ['w3', w3],
    ] as const) {
      const owned = changes[id].reduce(
        (s, c) => new Set([...[...s].filter((t) => !c.revoked.some((r) => r.task === t)), ...c.added.map((a) => a.task)]),
        new Set<string>(),
      );
      expect([...owned].sort()).toEqual(tasksOf(m));
    }

    // Expiry: w3 goes silent (a crash); after its session its two tasks move, one each, under new task epochs.
    const w3Tasks = w3.assignment.active;
    const before = new Map([...w1.assignment.active, ...w2.assignment.active].map((t) => [t.task, t.taskEpoch]));
    await w3.stop();
    await until(deadline, () => balanced([w1, w2], 3), "w3's tasks did not move to w1 and w2");
    for (const t of [...w1.assignment.active, ...w2.assignment.active]) {
      const moved = w3Tasks.find((x) => x.task === t.task);
      // Sticky: what w1 and w2 had stays theirs under the same epoch; w3's tasks come with epoch + 1.
      expect(t.taskEpoch).toBe(moved ? moved.taskEpoch + 1 : before.get(t.task));
    }

    // Fencing: w2 stops heartbeating long enough to expire; its tasks go to w1.
    const w2Epoch = w2.workerEpoch;
    w2.pauseHeartbeats();
    await until(deadline, () => balanced([w1], PARTITIONS), 'w1 did not take over all tasks of the silent w2');
    w2.resumeHeartbeats();
    // Its next heartbeat is refused (stale epoch): it drops everything, uncommitted, then rejoins.
    await until(deadline, () => changes.w2.some((c) => c.fenced), 'w2 was not fenced');
    const drop = changes.w2.find((c) => c.fenced)!;
    expect(drop.assignment.active).toEqual([]);
    expect(drop.revoked.length).toBe(3);
    await until(deadline, () => balanced([w1, w2], 3), 'w2 did not rejoin and get 3 tasks');
    expect(w2.workerEpoch).toBeGreaterThan(w2Epoch);

    // Leave: w1's tasks move to w2 at once (well within a session: w2 owns all before w1 could expire).
    await w1.leave();
    await until(deadline, () => balanced([w2], PARTITIONS), "w1's tasks did not move to w2 after it left");
  });

  it('hands a moving task to its new owner only once the old owner released it', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const app = 'handover';
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const events: string[] = [];
    const slow = new WorkerMembership({
      controllers,
      app,
      workerId: 'slow',
      inputTopics: [TOPIC],
      heartbeatIntervalMs: 100,
      sessionTimeoutMs: SESSION_MS,
      retryBackoffMs: 20,
      // Revoking takes as long as the test wants (a commit of much work).
      onAssignment: async (c) => {
        if (c.revoked.length === 0) return;
        events.push(`slow revoking ${c.revoked.length}`);
        await released;
        events.push('slow released');
      },
    });
    members.push(slow);
    expect(E.isRight(await slow.start(10_000))).toBe(true);
    await until(deadline, () => slow.assignment.active.length === PARTITIONS, 'the first worker did not get every task');
    const fresh = new WorkerMembership({
      controllers,
      app,
      workerId: 'fresh',
      inputTopics: [TOPIC],
      heartbeatIntervalMs: 100,
      sessionTimeoutMs: SESSION_MS,
      retryBackoffMs: 20,
      onAssignment: (c) => void events.push(`fresh got ${c.assignment.active.length}`),
    });
    members.push(fresh);
    expect(E.isRight(await fresh.start(10_000))).toBe(true);
    // The slow one is told to give up half; the fresh one gets nothing while they are held.
    await until(deadline, () => events.includes(`slow revoking ${PARTITIONS / 2}`), 'the first worker was not told to give up half');
    expect(slow.assignment.active.length).toBe(PARTITIONS / 2);
    // Several heartbeats of the fresh worker go by without the held tasks.
    const beatsFrom = Date.now();
    await until(deadline, () => Date.now() - beatsFrom > 600, 'time did not pass');
    expect(fresh.assignment.active).toEqual([]);
    release();
    await until(deadline, () => fresh.assignment.active.length === PARTITIONS / 2, 'the released tasks did not reach the fresh worker');
    await fresh.settled();
    expect(events).toContain('slow released');
    expect(events.indexOf('slow released')).toBeLessThan(events.indexOf(`fresh got ${PARTITIONS / 2}`));
  });

  it('says which controllers it tried when none answers', async () => {
    const taken = new Set<number>();
    const port = await freePortPair(taken);
    const nowhere = E.getOrElseW(() => [] as ControllerAddress[])(parseControllers(`9@127.0.0.1:${port}`));
    const m = new WorkerMembership({ controllers: nowhere, app: APP, workerId: 'lost', inputTopics: [TOPIC], retryBackoffMs: 50, requestTimeoutMs: 300 });
    const joined = await m.start(800);
    expect(E.isLeft(joined) && joined.left).toMatch(new RegExp(`could not join through the controllers 9@127.0.0.1:${port} within 800 ms`));
  });
});
