// Changing the controller quorum with `rill cluster add-controller` and
// `remove-controller` (run as the CLI's function against real controllers in
// this process, over loopback): a 4th controller started with --join joins as a
// learner and is promoted once caught up; the active controller, one of the
// founding three, is removed (it hands leadership over first); another founder
// is stopped, and the remaining two of the three voters still commit. Restarted
// from their disks, with the founding --controllers list, they still know the
// new membership and the added controller's address, and commit again. A
// controller added but never started stays a learner, and can be removed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { runCluster } from '../../../../cli/cluster-status-command';
import {
  ErrorCode,
  ControllerProcess,
  parseControllers,
  requestAddController,
  requestRemoveController,
  type ControllerAddress,
} from '../../../../core/cluster';
import { ControllerClient } from '../../../../core/cluster/controller/controller-client';
import { fakeIO } from '../../../cli/fake-io';
import { freePortPair } from '../process/process-cluster';
import { InProcessCluster, until } from '../in-process-cluster';

const DEADLINE_MS = 60_000;

describe('controller membership changes', () => {
  let dir: string;
  let all: ControllerAddress[];
  const running = new Map<number, ControllerProcess>();

  const start = async (id: number, controllers: readonly ControllerAddress[], join = false) => {
    const c = await ControllerProcess.start({ nodeId: id, controllers, dataDir: path.join(dir, `c${id}`), tickMs: 20, join });
    if (E.isLeft(c)) throw new Error(c.left);
    running.set(id, c.right);
    return c.right;
  };
  const stop = async (id: number) => {
    await running.get(id)?.stop();
    running.delete(id);
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-quorum-'));
    const taken = new Set<number>();
    const ports = [await freePortPair(taken), await freePortPair(taken), await freePortPair(taken), await freePortPair(taken)];
    all = E.getOrElseW(() => [] as ControllerAddress[])(parseControllers(ports.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',')));
  });

  afterAll(async () => {
    await Promise.all([...running.keys()].map(stop));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const founders = () => all.filter((c) => c.id <= 3);
  const list = (cs: readonly ControllerAddress[]) => cs.map((c) => `${c.id}@${c.host}:${c.port}`).join(',');
  const cli = async (args: string[]) => {
    const io = fakeIO();
    const code = await runCluster(args, io);
    return { code, out: io.out(), err: io.err() };
  };
  const active = () => [...running.values()].map((c) => c.describeQuorum()).find((q) => q.active);

  let brokerId = 100;
  /** The quorum commits: a broker registration through whichever controller is active is accepted (it is answered only once committed). */
  const commits = async (deadline: number) => {
    const client = new ControllerClient(all);
    try {
      const id = ++brokerId;
      await until(
        deadline,
        async () => {
          const a = await client.call<{ brokerEpoch: number }>('registerBroker', { brokerId: id, rack: null, host: '127.0.0.1', port: 1 }, 2000);
          if (a.errorCode === ErrorCode.NOT_CONTROLLER) return undefined;
          expect(a.errorCode).toBe(0);
          return a;
        },
        `the quorum did not commit broker ${id}'s registration`,
      );
    } finally {
      client.close();
    }
  };
  /** The active controller's voters and learners, from its replication view. */
  const members = () => {
    const q = active();
    const r = q?.replication ?? [];
    return { voters: r.filter((p) => !p.learner).map((p) => p.id), learners: r.filter((p) => p.learner).map((p) => p.id) };
  };

  it(
    'adds a 4th controller, removes the active founder, survives another founder stopping, and keeps the membership across restarts',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      for (const c of founders()) await start(c.id, founders());
      await until(deadline, active, 'no controller became active');
      await commits(deadline);

      // Controller 4 knows the others; they learn its address from the metadata log.
      await start(4, all, true);
      expect(running.get(4)!.describeQuorum()).toMatchObject({ role: 'follower', active: false });
      const added = await cli([
        'add-controller',
        '--id',
        '4',
        '--address',
        `127.0.0.1:${all[3].port}`,
        '--controllers',
        list(founders()),
        '--timeout-ms',
        String(DEADLINE_MS / 2),
      ]);
      expect(added).toEqual({ code: 0, out: 'Controller 4 is a voter. Voters: 1,2,3,4.\n', err: '' });
      expect(members()).toEqual({ voters: [1, 2, 3, 4], learners: [] });
      // Adding it again changes nothing.
      expect((await cli(['add-controller', '--id', '4', '--address', `127.0.0.1:${all[3].port}`, '--controllers', list(founders())])).code).toBe(0);
      await commits(deadline);
      await until(deadline, () => (running.get(4)!.raftStatus.applied === active()!.appliedIndex ? true : undefined), 'controller 4 did not apply the log');

      // Remove the active controller, one of the founders: it hands leadership over, and the new leader removes it.
      const removed = active()!.nodeId;
      const gone = await cli(['remove-controller', '--id', String(removed), '--controllers', list(founders())]);
      const rest = [1, 2, 3, 4].filter((id) => id !== removed);
      expect(gone).toEqual({ code: 0, out: `Controller ${removed} is no longer a member. Voters: ${rest.join(',')}.\n`, err: '' });
      await until(deadline, () => (active() !== undefined && active()!.nodeId !== removed ? true : undefined), 'no other controller became active');
      expect(members()).toEqual({ voters: rest, learners: [] });
      await stop(removed);

      // Stop another founder: 2 of the 3 voters remain, a majority.
      const stopped = rest.find((id) => id !== 4 && id !== active()!.nodeId) ?? rest.find((id) => id !== 4)!;
      await stop(stopped);
      await commits(deadline);
      const survivor = rest.find((id) => id !== 4 && id !== stopped)!;

      // Restart both from disk, the founder with the founding list: membership and controller 4's address are in their logs.
      await stop(survivor);
      await stop(4);
      await start(survivor, founders());
      await start(4, all, true);
      await until(deadline, active, 'no controller became active after the restart');
      await commits(deadline);
      expect(members()).toEqual({ voters: rest, learners: [] });

      // A controller that never starts stays a learner (it does not count towards the quorum), said as such; it can be removed.
      const nobody = await freePortPair(new Set(all.flatMap((c) => [c.port, c.raftPort])));
      const stuck = await cli(['add-controller', '--id', '5', '--address', `127.0.0.1:${nobody}`, '--controllers', list(all), '--timeout-ms', '2000']);
      expect(stuck.code).toBe(1);
      expect(stuck.err).toContain('add-controller 5 failed (REQUEST_TIMED_OUT): controller 5 joined as a learner but did not catch up within 1000 ms');
      expect(stuck.err).toContain(`can this controller reach 127.0.0.1:${nobody + 1}?`);
      expect(members()).toEqual({ voters: rest, learners: [5] });
      await commits(deadline);
      expect(await cli(['remove-controller', '--id', '5', '--controllers', list(all)])).toEqual({
        code: 0,
        out: `Controller 5 is no longer a member. Voters: ${rest.join(',')}.\n`,
        err: '',
      });
      expect(members()).toEqual({ voters: rest, learners: [] });
    },
    DEADLINE_MS + 20_000,
  );

  it('explains bad membership requests', async () => {
    const bad = (args: string[]) => cli([...args, '--controllers', '1@127.0.0.1:9']);
    expect(await bad(['add-controller', '--address', '127.0.0.1:9'])).toMatchObject({ code: 2, err: expect.stringContaining('add-controller needs --id N') });
    expect(await bad(['add-controller', '--id', '4'])).toMatchObject({ code: 2, err: expect.stringContaining('add-controller needs --address HOST:PORT') });
    expect(await bad(['add-controller', '--id', '4', '--address', 'nohost'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--address: "4@nohost" is not ID@HOST:PORT'),
    });
    expect(await bad(['remove-controller', '--id', '0'])).toMatchObject({ code: 2, err: expect.stringContaining('remove-controller needs --id N') });
    expect(await bad(['status', '--id', '3'])).toMatchObject({ code: 2, err: expect.stringContaining('status takes no --id or --address') });
  });
});

describe('brokers and an added controller', () => {
  let cluster: InProcessCluster;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: [1, 2, 3] });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    'brokers that were given only the founders follow an added controller once it is the only voter',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await until(
        deadline,
        () => (cluster.brokers.every((b) => b.registered && b.image.liveBrokers().length === 3) ? true : undefined),
        'brokers did not all register',
      );
      const port = await freePortPair(new Set(cluster.addresses.flatMap((c) => [c.port, c.raftPort])));
      const added: ControllerAddress = { id: 4, host: '127.0.0.1', port, raftPort: port + 1 };
      const everyone = [...cluster.addresses, added];
      const c4 = await ControllerProcess.start({ nodeId: 4, controllers: everyone, dataDir: path.join(cluster.dir, 'c4'), tickMs: 20, join: true });
      if (E.isLeft(c4)) throw new Error(c4.left);
      cluster.controllers.push(c4.right);

      expect(await requestAddController(cluster.addresses, { id: 4, host: added.host, port }, DEADLINE_MS / 2)).toMatchObject({
        errorCode: 0,
        response: { voters: [1, 2, 3, 4] },
      });
      // One founder after another, the active one included (it hands over first): controller 4 ends up the only voter.
      for (const id of [1, 2, 3]) {
        const r = await requestRemoveController(everyone, id, DEADLINE_MS / 4);
        expect({ id, errorCode: r.errorCode, message: r.message }).toEqual({ id, errorCode: 0, message: undefined });
      }
      await until(deadline, () => (c4.right.describeQuorum().active ? true : undefined), 'controller 4 did not become active');
      expect(c4.right.describeQuorum().replication!.map((p) => ({ id: p.id, learner: p.learner }))).toEqual([{ id: 4, learner: false }]);

      // The brokers learnt controller 4's address from the metadata log: they heartbeat to it and a topic is created through them.
      await until(
        deadline,
        async () => {
          const a = await cluster.broker(2).createTopic({ name: 'after', partitions: 1, replicationFactor: 3, config: {} }, 2000);
          return a.errorCode === 0 || a.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? true : undefined;
        },
        'no topic was created through a broker',
      );
      await until(
        deadline,
        () => (cluster.brokers.every((b) => b.registered && b.image.topicByName('after') !== undefined) ? true : undefined),
        'the brokers did not learn of the topic',
      );
      expect(c4.right.image.liveBrokers().map((b) => b.brokerId)).toEqual([1, 2, 3]);

      // The CLI's list may be as old as the brokers': it finds controller 4 through the metadata log too
      // (a controller 5 that is not running stays a learner: the change reaches the active controller and times out there).
      const five = await requestAddController(cluster.addresses, { id: 5, host: '127.0.0.1', port: 9 }, 1500);
      expect(five).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, leaderHint: 4 });
      expect(await requestRemoveController(cluster.addresses, 5, DEADLINE_MS / 4)).toMatchObject({ errorCode: 0, response: { voters: [4], learners: [] } });
    },
    DEADLINE_MS + 20_000,
  );
});
