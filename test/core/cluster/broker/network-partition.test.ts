// A network partition between a partition leader and the controller quorum,
// injected at the transport: the broker's RPC links to every controller drop
// their messages, and, in the second case, its replication links to and from
// the other brokers too (Kafka clients still reach it in both). With
// 3 controllers and 3 brokers in this process, a topic with replication factor
// 3 and min.insync.replicas=2, produced to with acks=all throughout:
// - the isolated leader's session expires: the controller fences it and elects
//   a new leader from the ISR in a higher leader epoch;
// - the old leader, still believing it leads, appends what producers send it
//   but can no longer acknowledge any of it (its followers follow the new
//   leader, or cannot reach it, and stop fetching from it; it cannot reach the
//   controller to shrink the ISR): no split brain, one acknowledging leader
//   per leader epoch;
// - after healing it learns the new epoch, truncates its unacknowledged tail by
//   leader epoch (KIP-101) and rejoins the ISR; every replica then holds the
//   same log, with every acknowledged record exactly once, in order.
import { isLeft } from 'fp-ts/Either';
import { decodeRecordBatches, encodeRecordBatch } from '../../../../core/log';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { ackedProblems } from '../process/process-cluster';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'partitioned';
const NAME = `${TOPIC}-0`;
const DEADLINE_MS = 50_000;
const PRODUCE_TIMEOUT_MS = 1000;

interface Attempt {
  readonly value: string;
  readonly broker: number;
  readonly errorCode: number;
  /** Sent after every other broker had moved to a newer leader epoch than the isolated leader's. */
  readonly afterFailover: boolean;
}

describe.each([
  ['the controller quorum', 'controllers'],
  ['the controller quorum and the other brokers', 'all'],
] as const)('a partition leader cut off from %s', (_, cut) => {
  let cluster: InProcessCluster;
  const conns = new Map<number, KafkaConnection>();

  beforeAll(async () => {
    cluster = await InProcessCluster.start({
      ids: IDS,
      controllerConfig: { brokerSessionTimeoutMs: 2000 },
      broker: { heartbeatIntervalMs: 200, replicaLagTimeMaxMs: 3000 },
    });
  });

  afterAll(async () => {
    for (const c of conns.values()) c.close();
    await cluster?.stop();
  });

  const conn = async (id: number): Promise<KafkaConnection> => {
    let c = conns.get(id);
    if (c === undefined) {
      c = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: PRODUCE_TIMEOUT_MS + 5000 });
      conns.set(id, c);
    }
    return c;
  };
  const replica = (id: number) => cluster.broker(id).replicas.get(NAME);

  /** One acks=all record to broker `id`; the broker's error code, or -1 when the request itself failed. */
  const produce = async (id: number, value: string): Promise<number> => {
    try {
      const r = await (await conn(id)).request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: PRODUCE_TIMEOUT_MS,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] }) }] }],
      });
      return r.responses[0].partitionResponses[0].errorCode;
    } catch {
      conns.get(id)?.close();
      conns.delete(id);
      return -1;
    }
  };

  /** Every record of broker `id`'s replica, up to its log end offset, with its batch's leader epoch. */
  const records = (id: number): { value: string; epoch: number }[] => {
    const h = replica(id)!;
    const out: { value: string; epoch: number }[] = [];
    let offset = h.log.logStartOffset;
    while (offset < h.log.logEndOffset) {
      const batches = decodeRecordBatches(h.log.read(offset, 1 << 20, h.log.logEndOffset));
      if (isLeft(batches) || batches.right.length === 0) throw new Error(`broker ${id}: cannot read ${NAME} at ${offset}`);
      for (const b of batches.right) {
        for (const r of b.records) if (r.offset >= offset) out.push({ value: r.value!.toString(), epoch: b.partitionLeaderEpoch });
        offset = b.lastOffset + 1;
      }
    }
    return out;
  };

  it(
    'fences the old leader, elects a new one from the ISR, loses no acknowledged write, and the old leader rejoins by truncating',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const started = Date.now();
      const phases: string[] = [];
      const phase = (name: string) => phases.push(`${name} @${Date.now() - started}ms`);
      try {
        await until(
          deadline,
          () => (cluster.brokers.every((b) => b.registered && b.image.liveBrokers().length === 3) ? true : undefined),
          'brokers did not all register',
        );
        await until(
          deadline,
          async () =>
            (await cluster.broker(1).createTopic({ name: TOPIC, partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } }, 5000))
              .errorCode === 0
              ? true
              : undefined,
          `${TOPIC} was not created`,
        );
        const full = await until(
          deadline,
          () => {
            const leaders = IDS.filter((id) => replica(id)?.replica.role === 'leader');
            const r = leaders.length === 1 ? replica(leaders[0])!.replica : undefined;
            return r !== undefined && r.isr.length === 3 && IDS.every((id) => replica(id)?.replica.leaderEpoch === r.leaderEpoch) ? r : undefined;
          },
          'the partition did not get one leader and a full ISR',
        );
        const old = full.config.brokerId;
        const oldEpoch = full.leaderEpoch;
        const others = IDS.filter((id) => id !== old);
        phase(`leader ${old} in epoch ${oldEpoch}, ISR [${full.isr}]`);

        // acks=all throughout: to the isolated leader, and to whichever broker the rest of the cluster says leads.
        const attempts: Attempt[] = [];
        let n = 0;
        let failedOver = false;
        const send = async (id: number) => {
          const afterFailover = failedOver;
          const value = `${id === old ? 'old' : 'new'}-${n++}`;
          const errorCode = await produce(id, value);
          attempts.push({ value, broker: id, errorCode, afterFailover });
        };
        const acked = () => attempts.filter((a) => a.errorCode === 0);
        for (let i = 0; i < 5; i++) await send(old);
        expect(acked().map((a) => a.broker)).toEqual([old, old, old, old, old]);

        let stopProducing = false;
        const producing = (async () => {
          while (!stopProducing && Date.now() < deadline) {
            await send(old);
            const seen = replica(others[0])?.replica.leader;
            if (seen !== undefined && seen > 0 && seen !== old) await send(seen);
            else await new Promise((r) => setTimeout(r, 20));
          }
        })();

        // The partition: the old leader's links to every controller drop their messages.
        cluster.isolate(old, cut);
        phase(`broker ${old} cut off from the ${cut === 'all' ? 'controllers and brokers' : 'controllers'}`);
        const fenced = await until(
          deadline,
          () => {
            const image = cluster.activeController()?.image;
            const p = image?.topicByName(TOPIC)?.partitions.get(0);
            return image?.brokers.get(old)?.fenced && p !== undefined && p.leader !== old && p.leader > 0 ? p : undefined;
          },
          `the controller did not fence broker ${old} and elect a new leader`,
        );
        const newLeader = fenced.leader;
        expect(fenced.leaderEpoch).toBeGreaterThan(oldEpoch);
        expect(fenced.isr).not.toContain(old);
        expect(others).toContain(newLeader);
        phase(`controller fenced ${old}; leader ${newLeader} in epoch ${fenced.leaderEpoch}, ISR [${fenced.isr}]`);
        await until(
          deadline,
          () => (others.every((id) => replica(id)!.replica.leaderEpoch >= fenced.leaderEpoch) ? true : undefined),
          'the other brokers did not follow the new leader epoch',
        );
        failedOver = true;
        phase('the other brokers follow the new epoch');
        // The old leader still believes it leads, in its old epoch.
        expect(replica(old)!.replica.role).toBe('leader');
        expect(replica(old)!.replica.leaderEpoch).toBe(oldEpoch);

        // Keep producing to both sides until the isolated one has appended some records it could not acknowledge.
        const oldEnd = () => replica(old)!.log.logEndOffset;
        const endAtFailover = oldEnd();
        await until(
          deadline,
          () =>
            attempts.filter((a) => a.broker === old && a.afterFailover).length >= 3 && acked().filter((a) => a.broker === newLeader).length >= 5
              ? true
              : undefined,
          'producing to both sides did not make progress',
        );
        expect(oldEnd()).toBeGreaterThan(endAtFailover);
        stopProducing = true;
        await producing;
        const isolatedEnd = oldEnd();
        phase(`old leader appended ${isolatedEnd - endAtFailover} records it could not acknowledge`);

        // Heal: it learns it was replaced, truncates by leader epoch and rejoins the ISR.
        cluster.heal(old);
        phase(`broker ${old} reconnected`);
        await until(
          deadline,
          () => {
            const p = cluster.activeController()?.image.topicByName(TOPIC)?.partitions.get(0);
            return p?.isr.includes(old) && replica(old)!.replica.role === 'follower' && replica(old)!.replica.leaderEpoch === p.leaderEpoch ? true : undefined;
          },
          `broker ${old} did not rejoin the ISR`,
        );
        phase(`broker ${old} is back in the ISR`);
        for (let i = 0; i < 3; i++) await send(newLeader);
        const leaderEnd = replica(newLeader)!.log.logEndOffset;
        await until(
          deadline,
          () => (IDS.every((id) => replica(id)!.log.logEndOffset === leaderEnd && replica(id)!.log.highWatermark === leaderEnd) ? true : undefined),
          'the replicas did not converge',
        );
        phase('replicas converged');

        // The old leader truncated its unacknowledged tail.
        const truncations = cluster.brokerLogs.get(old)!.filter((l) => l.includes(`${NAME} truncated`));
        expect(truncations.length).toBeGreaterThan(0);

        // Never acknowledged: anything sent to the old leader once the others had moved on.
        const fromIsolated = attempts.filter((a) => a.broker === old && a.afterFailover);
        expect(fromIsolated.filter((a) => a.errorCode === 0)).toEqual([]);
        expect(new Set(fromIsolated.map((a) => a.errorCode))).not.toContain(0);

        // Every replica holds the same log, and none of those unacknowledged records.
        const logs = IDS.map(records);
        expect(logs[1]).toEqual(logs[0]);
        expect(logs[2]).toEqual(logs[0]);
        const stored = logs[0];
        const storedValues = new Set(stored.map((r) => r.value));
        expect(fromIsolated.filter((a) => storedValues.has(a.value)).map((a) => a.value)).toEqual([]);

        // No acknowledged write lost, none twice, in acknowledgement order.
        expect(
          ackedProblems(
            acked().map((a) => a.value),
            stored.map((r) => r.value),
          ),
        ).toEqual([]);
        // No split brain: the records acknowledged in each leader epoch (stamped on their batches by the
        // leader that appended them) were all acknowledged by one broker; the old epoch's by the old leader only.
        const epochOf = new Map(stored.map((r) => [r.value, r.epoch]));
        const byEpoch = new Map<number, Set<number>>();
        for (const a of acked()) {
          const epoch = epochOf.get(a.value)!;
          byEpoch.set(epoch, (byEpoch.get(epoch) ?? new Set()).add(a.broker));
        }
        for (const [epoch, brokers] of byEpoch) expect({ epoch, brokers: [...brokers] }).toEqual({ epoch, brokers: [[...brokers][0]] });
        expect(byEpoch.get(oldEpoch)).toEqual(new Set([old]));
        expect([...byEpoch.keys()].filter((e) => e > oldEpoch).length).toBeGreaterThan(0);
        phase(
          `${acked().length} acknowledged of ${attempts.length} sent; ${fromIsolated.length} refused by the isolated leader (codes ${[...new Set(fromIsolated.map((a) => a.errorCode))]})`,
        );
        if (process.env.RILL_CLUSTER_TEST_VERBOSE) console.log(phases.join('\n'));
      } catch (e) {
        const logs = [...cluster.brokerLogs].map(([id, lines]) => `--- broker ${id}\n${lines.slice(-30).join('\n')}`).join('\n');
        throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${logs}`);
      }
    },
    DEADLINE_MS + 10_000,
  );
});
