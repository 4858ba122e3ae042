// Network partitions between the controllers themselves, injected at core/raft's
// transport (ControllerOptions.raftLinkFilter); 3 controllers and 3 brokers in
// this process, brokers reaching every controller throughout:
// - the active controller cut off from the other two: they elect a new active
//   controller in a higher term; the isolated one steps down by check-quorum,
//   and a decision it took in the meantime never commits; brokers follow the
//   new controller and none is fenced; a topic can be created meanwhile. Healed,
//   the old controller rejoins as a follower and its log matches the others'.
// - a partial partition, the active controller and one follower cut from each
//   other but both reaching the third: the active controller keeps its quorum
//   and its term (pre-vote and the leader lease keep the cut-off follower from
//   disrupting it), so the cluster is never without an active controller.
import { ErrorCode, RpcClient, type DescribeQuorumAnswer } from '../../../../core/cluster';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 40_000;

describe('partitions between controllers', () => {
  let cluster: InProcessCluster;
  const clients: RpcClient[] = [];
  /** Brokers seen fenced by any active controller, and every change of active controller seen (id 0: none active), while the test runs. */
  const fencedSeen = new Set<number>();
  const activeSeen: { id: number; term: number }[] = [];
  let watching: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, broker: { heartbeatIntervalMs: 100 } });
  });

  afterAll(async () => {
    if (watching) clearInterval(watching);
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  const quorum = (id: number): DescribeQuorumAnswer => cluster.controller(id).describeQuorum();
  const actives = () => IDS.map(quorum).filter((q) => q.active);

  /** Records what every active controller's image says, every 20 ms (observation only). */
  const watch = () => {
    watching ??= setInterval(() => {
      const now = actives();
      for (const q of now.length > 0 ? now : [{ nodeId: 0, term: 0 }]) {
        const last = activeSeen[activeSeen.length - 1];
        if (last === undefined || last.id !== q.nodeId || last.term !== q.term) activeSeen.push({ id: q.nodeId, term: q.term });
        if (q.nodeId > 0) for (const b of cluster.controller(q.nodeId).image.brokers.values()) if (b.fenced) fencedSeen.add(b.brokerId);
      }
    }, 20);
  };

  const ready = (deadline: number) =>
    until(
      deadline,
      () => (cluster.brokers.every((b) => b.registered && b.image.liveBrokers().length === IDS.length) ? true : undefined),
      'brokers did not all register',
    );

  /** Creates `name` (replication factor 3: every broker must be live) through broker 1, retrying until the active controller commits it. */
  const createTopic = (deadline: number, name: string) =>
    until(
      deadline,
      async () => {
        const a = await cluster.broker(1).createTopic({ name, partitions: 1, replicationFactor: 3, config: {} }, 2000);
        return a.errorCode === 0 || a.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? true : undefined;
      },
      `topic ${name} was not created`,
    );

  /** Every controller follows `leader` in its term and holds the same log (same last index and term), all of it committed and applied. */
  const converged = (deadline: number, leader: number) =>
    until(
      deadline,
      () => {
        const s = IDS.map((id) => cluster.controller(id).raftStatus);
        const l = s.find((x) => x.id === leader)!;
        const same = s.every(
          (x) =>
            x.leader === leader &&
            x.term === l.term &&
            x.lastIndex === l.lastIndex &&
            x.lastTerm === l.lastTerm &&
            x.commit === x.lastIndex &&
            x.applied === x.lastIndex,
        );
        return same && quorum(leader).active ? s : undefined;
      },
      `the controllers did not converge on controller ${leader}'s log`,
    );

  const images = () => IDS.map((id) => cluster.controller(id).image.encode().toString('hex'));

  it(
    'the active controller cut off from the other two is replaced in a higher term; its decisions never commit; healed, it rejoins as a follower with the same log',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await ready(deadline);
      watch();
      const old = await until(deadline, () => actives()[0], 'no controller became active');
      const epochs = new Map(cluster.brokers.map((b) => [b.nodeId, b.image.brokers.get(b.nodeId)!.brokerEpoch]));
      const others = IDS.filter((id) => id !== old.nodeId);

      cluster.isolateController(old.nodeId);
      // Sent at once, while it may still believe it leads: whatever it decides cannot reach a majority.
      const client = new RpcClient('127.0.0.1', cluster.addresses.find((c) => c.id === old.nodeId)!.port);
      clients.push(client);
      let doomedAnswer: number | undefined;
      const doomed = client.call('createTopic', { name: 'doomed', partitions: 1, replicationFactor: 1, config: {} }, DEADLINE_MS).then((r) => {
        doomedAnswer = r.ok ? (r.body as { errorCode: number }).errorCode : -1;
      });

      const successor = await until(
        deadline,
        () => actives().find((q) => others.includes(q.nodeId) && q.term > old.term),
        'the other two controllers did not elect a new active controller',
      );
      // Check-quorum: not hearing from a majority for an election timeout, the isolated leader steps down.
      await until(deadline, () => (quorum(old.nodeId).role !== 'leader' ? true : undefined), `isolated controller ${old.nodeId} kept leading`);
      expect(quorum(old.nodeId).active).toBe(false);
      expect(quorum(old.nodeId).term).toBe(old.term);

      // Meanwhile the brokers follow the new controller: a topic needing all three live brokers is created through one.
      await createTopic(deadline, 'during');
      await until(
        deadline,
        () => (cluster.brokers.every((b) => b.image.topicByName('during') !== undefined) ? true : undefined),
        'the brokers did not learn of the topic',
      );
      expect(cluster.controller(old.nodeId).image.topicByName('during')).toBeUndefined();

      // Its log may hold entries of its term that no one else has (the doomed decision's, heartbeats' it took before stepping down).
      const isolatedLast = cluster.controller(old.nodeId).raftStatus.lastIndex;
      cluster.healControllers();
      const logs = await converged(deadline, successor.nodeId);
      expect(quorum(old.nodeId)).toMatchObject({ role: 'follower', leader: successor.nodeId, term: logs[0].term, active: false });
      expect(new Set(images()).size).toBe(1);
      const image = cluster.controller(old.nodeId).image;
      expect(image.topicByName('during')).toBeDefined();
      // The isolated controller's decision was truncated away: never committed, never acknowledged.
      expect(image.topicByName('doomed')).toBeUndefined();
      if (logs[0].lastIndex >= isolatedLast) {
        // Every entry it had is overwritten by now, so the doomed decision has been answered, as refused.
        await doomed;
        expect(doomedAnswer).toBe(ErrorCode.NOT_CONTROLLER);
      } else if (doomedAnswer !== undefined) {
        expect(doomedAnswer).not.toBe(0);
      }
      // No broker was fenced or had to register again.
      expect([...fencedSeen]).toEqual([]);
      expect(new Map(cluster.brokers.map((b) => [b.nodeId, image.brokers.get(b.nodeId)!.brokerEpoch]))).toEqual(epochs);
      expect(activeSeen.filter((a) => a.id === old.nodeId && a.term > old.term)).toEqual([]);
      client.close();
      await doomed;
    },
    DEADLINE_MS + 10_000,
  );

  it(
    'a partial partition (the active controller and a follower cut from each other, both reaching the third) keeps the active controller and its term',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await ready(deadline);
      const a = await until(deadline, () => actives()[0], 'no controller became active');
      await converged(deadline, a.nodeId);
      const [b, c] = IDS.filter((id) => id !== a.nodeId);
      const seenBefore = activeSeen.length;

      cluster.cutControllers(a.nodeId, b);
      // b stops hearing from a and campaigns; c, hearing from a, ignores it (leader lease), and pre-vote leaves b's term alone.
      await until(deadline, () => (quorum(b).role === 'preCandidate' ? true : undefined), `controller ${b} did not notice it lost the leader`);
      await createTopic(deadline, 'partial');
      await until(
        deadline,
        () => (cluster.controller(c).image.topicByName('partial') !== undefined ? true : undefined),
        `controller ${c} did not apply the topic`,
      );
      expect(quorum(a.nodeId)).toMatchObject({ active: true, term: a.term });
      expect(quorum(c)).toMatchObject({ role: 'follower', leader: a.nodeId, term: a.term });
      expect(quorum(b).term).toBe(a.term);
      // The active controller's view shows b falling behind while c keeps up.
      const seen = quorum(a.nodeId).replication!;
      expect(seen.find((p) => p.id === b)!.lag).toBeGreaterThan(0);

      cluster.healControllers();
      await converged(deadline, a.nodeId);
      expect(new Set(images()).size).toBe(1);
      expect(cluster.controller(b).image.topicByName('partial')).toBeDefined();
      // One active controller all along (the watcher saw no change, not even a moment without one): a, in its term.
      expect(activeSeen.slice(seenBefore)).toEqual([]);
      expect(activeSeen[activeSeen.length - 1]).toEqual({ id: a.nodeId, term: a.term });
      expect(quorum(a.nodeId)).toMatchObject({ active: true, term: a.term });
      expect([...fencedSeen]).toEqual([]);
    },
    DEADLINE_MS + 10_000,
  );
});
