// A cluster broker opens replica logs a few ms' worth at a time (log-open-queue.ts).
// Broker 3 here opens nothing until the test resumes it (BrokerOptions.holdLogOpens),
// so what a queued replica does can be looked at: it is not hosted (its leader
// answers NOT_LEADER_OR_FOLLOWER), it serves once opened, a stop leaves its data
// and checkpoint lines alone, a topic deleted while its logs wait loses its data
// (also when it is created again on other brokers before they open), and a log
// that fails to open is closed and stays offline, not queued again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { type BrokerProcess, ErrorCode } from '../../../../core/cluster';
import { encodeRecordBatch } from '../../../../core/log';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const HELD = 3;
const DEADLINE_MS = 40_000;

describe('replica logs waiting to be opened', () => {
  let cluster: InProcessCluster;
  let admin: Admin;
  const held = (): BrokerProcess => cluster.broker(HELD);
  const names = (topic: string, partitions: number) => Array.from({ length: partitions }, (_, p) => `${topic}-${p}`);

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, brokerOverrides: { [HELD]: { holdLogOpens: true } } });
    await cluster.allBrokersRegistered(Date.now() + DEADLINE_MS);
    const kafka = new Kafka({
      clientId: 'queued-log-opens',
      brokers: IDS.map((id) => cluster.bootstrap(id)),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
    });
    admin = kafka.admin();
    await admin.connect();
  }, DEADLINE_MS);

  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  });

  /** One record to a partition through broker `via`: the partition's error code. */
  async function produce(via: number, topic: string, partition: number, acks: number): Promise<number> {
    const c = await KafkaConnection.connect(cluster.bootstrap(via), { timeoutMs: 15_000 });
    try {
      const r = await c.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks,
        timeoutMs: 10_000,
        topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('v') }] }) }] }],
      });
      return r.responses[0].partitionResponses[0].errorCode;
    } finally {
      c.close();
    }
  }

  const allQueued = (b: BrokerProcess, replicas: readonly string[]) => (replicas.every((n) => b.logOpens.has(n)) ? true : undefined);
  const allHosted = (b: BrokerProcess, replicas: readonly string[]) => (replicas.every((n) => b.replicas.has(n)) ? true : undefined);

  it(
    'a queued replica is not hosted: as leader it answers NOT_LEADER_OR_FOLLOWER, and once opened it leads and takes acks=all writes',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const replicas = names('queued', 3);
      expect(await admin.createTopics({ topics: [{ topic: 'queued', numPartitions: 3, replicationFactor: 3 }] })).toBe(true);
      await until(deadline, () => allQueued(held(), replicas), 'broker 3 did not queue its new replicas');
      expect(replicas.filter((n) => held().replicas.has(n))).toEqual([]);
      const partitions = [...held().image.topicByName('queued')!.partitions.values()];
      const led = partitions.find((p) => p.leader === HELD)!;
      expect(led).toBeDefined();
      expect(await produce(HELD, 'queued', led.partition, -1)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      // The other brokers serve their partitions meanwhile (once their own queues opened them).
      const other = partitions.find((p) => p.leader !== HELD)!;
      await until(deadline, async () => ((await produce(other.leader, 'queued', other.partition, 1)) === 0 ? true : undefined), 'broker 3 held up the others');

      held().logOpens.resume();
      await until(deadline, () => allHosted(held(), replicas), 'broker 3 did not open its queued replicas');
      expect(held().logOpens.size).toBe(0);
      expect(held().replicas.get(`queued-${led.partition}`)!.replica.role).toBe('leader');
      // Its followers were told NOT_LEADER_OR_FOLLOWER while it was queued, and fetch again after their backoff.
      await until(
        deadline,
        async () => ((await produce(HELD, 'queued', led.partition, -1)) === 0 ? true : undefined),
        'the opened leader took no acks=all write',
      );
      held().logOpens.pause();
    },
    DEADLINE_MS,
  );

  it(
    'a stop while logs are queued keeps their data and checkpoint lines; a topic deleted while they wait loses its data and is never opened',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const replicas = names('kept', 2);
      expect(await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2, replicationFactor: 3 }] })).toBe(true);
      held().logOpens.resume();
      await until(deadline, () => (cluster.brokers.every((b) => allHosted(b, replicas)) ? true : undefined), 'kept is not hosted everywhere');
      const p0 = held().image.topicByName('kept')!.partitions.get(0)!;
      await until(deadline, async () => ((await produce(p0.leader, 'kept', 0, -1)) === 0 ? true : undefined), 'kept-0 took no acks=all write');
      const dirs = replicas.map((n) => path.join(cluster.dir, `b${HELD}`, n));
      expect(dirs.filter((d) => !fs.existsSync(d))).toEqual([]);

      // Comes back holding its opens: the replicas wait in the queue. Stopped again while they wait.
      const first = await cluster.restart(HELD);
      await until(deadline, () => allQueued(first, replicas), 'the restarted broker did not queue its replicas');
      const second = await cluster.restart(HELD);
      await until(deadline, () => allQueued(second, replicas), 'the restarted broker did not queue its replicas again');
      expect(dirs.filter((d) => !fs.existsSync(d))).toEqual([]);
      const recoveryPoints = fs.readFileSync(path.join(cluster.dir, `b${HELD}`, 'recovery-point-offset-checkpoint'), 'utf8');
      expect(recoveryPoints).toMatch(/^kept-0 [1-9]/m);

      await admin.deleteTopics({ topics: ['kept'] });
      await until(deadline, () => (second.image.topicByName('kept') === undefined ? true : undefined), 'broker 3 still sees kept');
      second.logOpens.resume();
      await until(deadline, () => (second.logOpens.size === 0 ? true : undefined), 'broker 3 did not empty its queue');
      expect(replicas.filter((n) => second.replicas.has(n))).toEqual([]);
      expect(dirs.filter((d) => fs.existsSync(d))).toEqual([]);
    },
    DEADLINE_MS,
  );

  it(
    'a topic deleted and created again on other brokers while its logs wait: the old data of the partitions placed elsewhere goes at once',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const replicas = names('gone', 6);
      // The broker restarted by the test before is unfenced again (new topics are placed on it).
      await cluster.allBrokersRegistered(deadline);
      expect(await admin.createTopics({ topics: [{ topic: 'gone', numPartitions: 6, replicationFactor: 3 }] })).toBe(true);
      held().logOpens.resume();
      await until(deadline, () => allHosted(held(), replicas), 'broker 3 did not host gone');
      const dir = (n: string) => path.join(cluster.dir, `b${HELD}`, n);
      const recordedId = (n: string) => Number(fs.readFileSync(path.join(dir(n), 'topic-id'), 'utf8').trim());
      const oldId = held().image.topicByName('gone')!.topicId;
      expect(replicas.map(recordedId)).toEqual(replicas.map(() => oldId));

      // Comes back holding its opens: gone's replicas wait in the queue while the topic is deleted and created again with one replica each.
      const b = await cluster.restart(HELD);
      await until(deadline, () => allQueued(b, replicas), 'the restarted broker did not queue gone');
      await cluster.allBrokersRegistered(deadline);
      await admin.deleteTopics({ topics: ['gone'] });
      await until(deadline, () => (b.image.topicByName('gone') === undefined ? true : undefined), 'broker 3 still sees gone');
      await until(
        deadline,
        async () => ((await admin.createTopics({ topics: [{ topic: 'gone', numPartitions: 6, replicationFactor: 1 }] })) ? true : undefined),
        'gone was not created again',
      );
      const placed = await until(
        deadline,
        () => {
          const t = b.image.topicByName('gone');
          return t !== undefined && t.partitions.size === 6 ? t : undefined;
        },
        'broker 3 does not see the new gone',
      );
      const mine = [...placed.partitions.values()].filter((p) => p.replicas.includes(HELD)).map((p) => `gone-${p.partition}`);
      const elsewhere = replicas.filter((n) => !mine.includes(n));
      expect(elsewhere.length).toBeGreaterThan(0);
      // Taken out of the queue with its data as soon as the new placement was seen (nothing opened yet).
      expect(elsewhere.filter((n) => b.logOpens.has(n) || fs.existsSync(dir(n)))).toEqual([]);
      b.logOpens.resume();
      await until(deadline, () => allHosted(b, mine), 'broker 3 did not open its partitions of the new gone');
      // Its own partitions start over empty, with the new topic id.
      expect(mine.map(recordedId)).toEqual(mine.map(() => placed.topicId));
      expect(mine.map((n) => b.replicas.get(n)!.log.logEndOffset)).toEqual(mine.map(() => 0));
      expect(elsewhere.filter((n) => fs.existsSync(dir(n)))).toEqual([]);
    },
    DEADLINE_MS,
  );

  it(
    'a log that fails to open is closed again and stays offline: the metadata changes naming its partition do not queue it again',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);
      // Its replica directory holds a directory where the topic-id file goes: the log opens, writing its topic id fails.
      const dir = path.join(cluster.dir, `b${HELD}`, 'broken-0');
      fs.mkdirSync(path.join(dir, 'topic-id'), { recursive: true });
      const failures = () => cluster.brokerLogs.get(HELD)!.filter((l) => l.includes('cannot open broken-0')).length;
      expect(await admin.createTopics({ topics: [{ topic: 'broken', numPartitions: 1, replicationFactor: 3 }] })).toBe(true);
      held().logOpens.resume();
      await until(deadline, () => (failures() === 1 && held().logOpens.size === 0 ? true : undefined), 'broken-0 did not fail to open');
      expect(held().replicas.has('broken-0')).toBe(false);
      // Closed, not left open: closing marks a clean shutdown, which opening removed.
      expect(fs.existsSync(path.join(dir, '.clean-shutdown'))).toBe(true);

      // A config change names every partition of the topic: broker 3 does not try again.
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'broken', configEntries: [{ name: 'retention.ms', value: '600000' }] }] });
      await until(
        deadline,
        () => (held().image.topicByName('broken')?.config['retention.ms'] === '600000' ? true : undefined),
        'broker 3 did not see the change',
      );
      expect(held().logOpens.has('broken-0')).toBe(false);
      await until(deadline, () => (held().logOpens.size === 0 ? true : undefined), 'broker 3 did not empty its queue');
      expect(failures()).toBe(1);
      expect(held().replicas.has('broken-0')).toBe(false);
    },
    DEADLINE_MS,
  );
});
