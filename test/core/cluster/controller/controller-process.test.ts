// Three controller nodes in this process over real sockets and disks: one
// becomes active; the others send brokers to it with NOT_CONTROLLER and a
// leader hint; registration and heartbeats are answered after they commit, and
// every controller serves the committed metadata log to observers; the active
// one describes each voter's replication.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import {
  ErrorCode,
  ControllerProcess,
  MetadataImage,
  decodeMetadataBatch,
  parseControllers,
  RpcClient,
  type ControllerAddress,
} from '../../../../core/cluster';
import { decodeFeed } from '../../../../core/cluster/controller/controller-protocol';
import { freePortPair } from '../process/process-cluster';

const DEADLINE_MS = 20_000;

async function until<T>(deadline: number, probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} before the deadline`);
}

describe('ControllerProcess', () => {
  let dir: string;
  let controllers: ControllerAddress[];
  const nodes: ControllerProcess[] = [];
  const clients: RpcClient[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-controllers-'));
    const taken = new Set<number>();
    const ports = [await freePortPair(taken), await freePortPair(taken), await freePortPair(taken)];
    controllers = E.getOrElseW(() => [] as ControllerAddress[])(parseControllers(ports.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',')));
    for (const c of controllers) {
      const started = await ControllerProcess.start({ nodeId: c.id, controllers, dataDir: path.join(dir, String(c.id)), tickMs: 20 });
      if (E.isLeft(started)) throw new Error(started.left);
      nodes.push(started.right);
      clients.push(new RpcClient(c.host, c.port));
    }
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(nodes.map((n) => n.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers a broker through the active controller and serves the metadata log from every controller', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const register = { brokerId: 7, rack: null, host: '127.0.0.1', port: 9092 };
    // Ask controller 1 until some controller accepts; follow NOT_CONTROLLER hints.
    let target = 0;
    const accepted = await until(
      deadline,
      async () => {
        const r = await clients[target].call('registerBroker', register, 2000);
        if (!r.ok) return undefined;
        const a = r.body as { errorCode: number; leaderHint: number; response?: { brokerEpoch: number } };
        if (a.errorCode === ErrorCode.NOT_CONTROLLER) {
          target = a.leaderHint > 0 ? a.leaderHint - 1 : (target + 1) % clients.length;
          return undefined;
        }
        return { a, target };
      },
      'no controller accepted the registration',
    );
    expect(accepted.a.errorCode).toBe(0);
    const brokerEpoch = accepted.a.response!.brokerEpoch;
    expect(brokerEpoch).toBeGreaterThan(0);

    const follower = clients[(accepted.target + 1) % clients.length];
    const refused = await follower.call('brokerHeartbeat', { brokerId: 7, brokerEpoch, caughtUp: true }, 2000);
    expect(refused.ok && (refused.body as { errorCode: number; leaderHint: number })).toMatchObject({
      errorCode: ErrorCode.NOT_CONTROLLER,
      leaderHint: accepted.target + 1,
    });

    const hb = await clients[accepted.target].call('brokerHeartbeat', { brokerId: 7, brokerEpoch, caughtUp: true }, 2000);
    expect(hb.ok && hb.body).toMatchObject({ errorCode: 0, response: { fenced: false } });
    const stale = await clients[accepted.target].call('brokerHeartbeat', { brokerId: 7, brokerEpoch: brokerEpoch + 100, caughtUp: true }, 2000);
    expect(stale.ok && stale.body).toMatchObject({ errorCode: ErrorCode.STALE_BROKER_EPOCH });

    // Every controller serves the committed log: the broker is registered and unfenced in it.
    for (const c of clients) {
      const image = await until(
        deadline,
        async () => {
          const r = await c.call('fetchMetadata', { fromIndex: 0 }, 2000);
          if (!r.ok) return undefined;
          const feed = decodeFeed(r.body, r.blob);
          if (typeof feed === 'string') throw new Error(feed);
          // A controller restored from a snapshot (the bootstrap one included) serves the image itself first.
          const img = feed.snapshot ? E.getOrElseW(() => new MetadataImage())(MetadataImage.decode(feed.snapshot.data)) : new MetadataImage();
          for (const e of feed.entries) img.applyAll(E.getOrElseW(() => [])(decodeMetadataBatch(e.data)));
          return img.brokers.get(7)?.fenced === false ? img : undefined;
        },
        'the metadata log did not show broker 7 unfenced',
      );
      expect(image.brokers.get(7)).toMatchObject({ brokerEpoch, host: '127.0.0.1', port: 9092 });
    }

    const bad = await clients[0].call('fetchMetadata', { fromIndex: -1 }, 2000);
    expect(bad).toEqual({ ok: false, error: 'fetchMetadata needs a non-negative integer fromIndex' });
  });

  it('describeQuorum: the active controller reports every voter’s replication as it sees it; the others report none', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    // Every follower has answered the leader and holds its whole log.
    const active = await until(
      deadline,
      () => {
        const leader = nodes.find((n) => n.describeQuorum().active)?.describeQuorum();
        const acked = leader?.replication
          ?.filter((p) => p.id !== leader.nodeId)
          .every((p) => p.lag === 0 && p.lastAckMsAgo !== null && p.lastCaughtUpMsAgo !== null);
        return acked ? leader : undefined;
      },
      'the active controller did not see every follower caught up',
    );
    expect(active.replication!.map((p) => ({ id: p.id, learner: p.learner }))).toEqual(controllers.map((c) => ({ id: c.id, learner: false })));
    for (const p of active.replication!) {
      expect(p.match).toBe(active.lastIndex - p.lag);
      expect(p.lastAckMsAgo).toBeGreaterThanOrEqual(0);
    }
    expect(active.replication!.find((p) => p.id === active.nodeId)).toMatchObject({ match: active.lastIndex, lag: 0, lastAckMsAgo: 0 });
    for (const n of nodes.filter((x) => x.describeQuorum().nodeId !== active.nodeId)) expect(n.describeQuorum().replication).toBeUndefined();
    // Over the RPC, as `rill cluster status` asks.
    const answered = await clients[active.nodeId - 1].call('describeQuorum', {}, 2000);
    expect(answered.ok && (answered.body as typeof active).replication?.map((p) => p.id)).toEqual([1, 2, 3]);
  });
});
