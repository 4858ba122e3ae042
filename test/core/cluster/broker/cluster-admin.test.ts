// The Kafka admin APIs on a real 3-broker cluster (in this process: real
// sockets and disks), driven by kafkajs' admin client, and checked on every
// replica, not only on the broker that answered.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { isLeft } from 'fp-ts/Either';
import { ErrorCode, NO_LEADER } from '../../../../core/cluster';
import { decodeRecordBatches, encodeRecordBatch } from '../../../../core/log';
import { apis, KafkaConnection, servedApiVersions } from '../../../../core/protocol';
import { run as runChild } from '../../protocol/children';
import { fetchRequestBody } from '../../protocol/harness';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 40_000;

describe('cluster admin APIs through kafkajs', () => {
  let cluster: InProcessCluster;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
    const deadline = Date.now() + DEADLINE_MS;
    await until(deadline, () => (cluster.brokers.every((b) => b.image.liveBrokers().length === 3) ? true : undefined), 'brokers did not all register');
    kafka = new Kafka({
      clientId: 'cluster-admin',
      brokers: IDS.map((id) => cluster.bootstrap(id)),
      logLevel: process.env.RILL_CLUSTER_TEST_VERBOSE ? logLevel.WARN : logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
    });
    admin = kafka.admin();
    await admin.connect();
  }, DEADLINE_MS);

  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  });

  /** Every broker's replica of `topic`-`partition` (one per broker that hosts it). */
  const replicasOf = (topic: string, partition: number) =>
    cluster.brokers.flatMap((b) => [b.replicas.get(`${topic}-${partition}`)].filter((h) => h !== undefined));

  /** Creates `topic` (replication factor 3) through kafkajs and waits until every broker's image has it, every partition led. */
  async function createTopic(topic: string, numPartitions: number, deadline: number, configEntries: { name: string; value: string }[] = []): Promise<void> {
    // false: kafkajs retried a create whose first try had succeeded (TOPIC_ALREADY_EXISTS); the topic is checked below either way.
    const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 3, configEntries }], waitForLeaders: true });
    if (!created && process.env.RILL_CLUSTER_TEST_VERBOSE) console.log(`createTopics(${topic}) was retried`);
    const everywhere = () =>
      cluster.brokers.every((b) => {
        const t = b.image.topicByName(topic);
        return t !== undefined && t.partitions.size === numPartitions && [...t.partitions.values()].every((p) => p.leader > 0);
      });
    await until(deadline, () => (everywhere() ? true : undefined), `not every broker sees ${topic}`);
  }

  /** Produces `values` with acks=all to partition 0 and waits until every replica's high watermark has them. */
  async function produce(topic: string, values: string[], deadline: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((v) => ({ value: v, partition: 0 })) });
    await producer.disconnect();
    await until(
      deadline,
      () => (replicasOf(topic, 0).length === 3 && replicasOf(topic, 0).every((h) => h.replica.highWatermark >= values.length) ? true : undefined),
      'replicas did not all get the records',
    );
  }

  it('ApiVersions advertises what the embedded broker serves: one front end, the same APIs and versions', async () => {
    const c = await KafkaConnection.connect(cluster.bootstrap(1));
    try {
      const r = (await c.request(apis.apiVersions, { clientSoftwareName: 'cluster-admin', clientSoftwareVersion: '1' })) as apis.ApiVersionsResponse;
      expect(r.apiKeys).toEqual(servedApiVersions());
      // DeleteTopics 20, DeleteRecords 21, DescribeConfigs 32, AlterConfigs 33, CreatePartitions 37, DeleteGroups 42, IncrementalAlterConfigs 44.
      expect(r.apiKeys.map((v) => v.apiKey)).toEqual(expect.arrayContaining([20, 21, 32, 33, 37, 42, 44]));
    } finally {
      c.close();
    }
  });

  it(
    'DeleteTopics removes every replica and its data; the same name starts empty',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('doomed', 2, deadline);
      await produce('doomed', ['a', 'b', 'c'], deadline);
      const dirs = cluster.brokers.map((b) => path.join(cluster.dir, `b${b.nodeId}`, 'doomed-0'));
      expect(dirs.every((d) => fs.existsSync(d))).toBe(true);

      await admin.deleteTopics({ topics: ['doomed'] });
      // Every broker has dropped the replicas and removed their directories.
      await until(
        deadline,
        () =>
          cluster.brokers.every((b) => b.image.topicByName('doomed') === undefined && !b.replicas.has('doomed-0') && !b.replicas.has('doomed-1'))
            ? true
            : undefined,
        'replicas of the deleted topic remain',
      );
      expect(dirs.filter((d) => fs.existsSync(d))).toEqual([]);
      expect(await admin.listTopics()).not.toContain('doomed');
      // UNKNOWN_TOPIC_OR_PARTITION (kafkajs retries it, then gives up with its message).
      await expect(admin.deleteTopics({ topics: ['doomed'] })).rejects.toThrow('does not host this topic-partition');

      await createTopic('doomed', 1, deadline);
      await until(deadline, () => (replicasOf('doomed', 0).length === 3 ? true : undefined), 'the new topic has no replicas');
      expect(replicasOf('doomed', 0).map((h) => h.replica.logEndOffset)).toEqual([0, 0, 0]);
      expect(await admin.fetchTopicOffsets('doomed')).toEqual([expect.objectContaining({ partition: 0, offset: '0', low: '0', high: '0' })]);
    },
    DEADLINE_MS,
  );

  it(
    'an acks=all write still waiting for its ISR is answered at once when its topic is deleted',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('doomed', 1, deadline);
      const leader = cluster.brokers.find((b) => b.replicas.get('doomed-0')?.replica.role === 'leader')!;
      const followers = IDS.filter((id) => id !== leader.nodeId);
      // The followers stop fetching (they still reach the controllers), so the write waits for them (its timeout is long).
      for (const id of followers) cluster.isolate(id, 'brokers');
      const c = await KafkaConnection.connect(cluster.bootstrap(leader.nodeId), { timeoutMs: 60_000 });
      try {
        const waiting = c.request<apis.ProduceResponse>(apis.produce, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 50_000,
          topicData: [{ name: 'doomed', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('late') }] }) }] }],
        });
        await until(deadline, () => (leader.replicas.get('doomed-0')!.replica.logEndOffset === 1 ? true : undefined), 'the write did not reach the leader');
        await admin.deleteTopics({ topics: ['doomed'] });
        const r = await waiting;
        expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } finally {
        c.close();
        for (const id of followers) cluster.heal(id);
      }
    },
    DEADLINE_MS,
  );

  it(
    'CreatePartitions adds replicated partitions that every broker hosts and that take writes',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('growing', 1, deadline);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 1 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
      await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'growing', count: 3 }] });
      expect(cluster.brokers.map((b) => b.image.topicByName('growing')!.partitions.size)).toEqual([1, 1, 1]);

      await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 3 }] });
      await until(
        deadline,
        () => (cluster.brokers.every((b) => b.image.topicByName('growing')!.partitions.size === 3) ? true : undefined),
        'not every broker sees the new partitions',
      );
      const metadata = await admin.fetchTopicMetadata({ topics: ['growing'] });
      expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      // Each new partition has a replica with a role on every broker, and a leader that takes acks=all writes.
      await until(
        deadline,
        () =>
          [1, 2].every((p) => replicasOf('growing', p).length === 3 && replicasOf('growing', p).filter((h) => h.replica.role === 'leader').length === 1)
            ? true
            : undefined,
        'new partitions did not get replicas',
      );
      const producer = kafka.producer();
      await producer.connect();
      const sent = await producer.send({ topic: 'growing', acks: -1, messages: [{ value: 'x', partition: 2 }] });
      await producer.disconnect();
      expect(sent).toEqual([expect.objectContaining({ partition: 2, errorCode: 0, baseOffset: '0' })]);
    },
    DEADLINE_MS,
  );

  it(
    'DescribeConfigs shows the settings; AlterConfigs reaches every replica and its log',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('tuned', 1, deadline, [{ name: 'min.insync.replicas', value: '2' }]);
      const described = async (names: string[]) => {
        const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'tuned', configNames: names }] });
        return Object.fromEntries(d.resources[0].configEntries.map((e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }]));
      };
      expect(await described(['min.insync.replicas', 'retention.ms', 'unclean.leader.election.enable'])).toEqual({
        'min.insync.replicas': { value: '2', isDefault: false },
        'retention.ms': { value: String(7 * 24 * 3600 * 1000), isDefault: true },
        'unclean.leader.election.enable': { value: 'false', isDefault: true },
      });

      const alter = (entries: { name: string; value: string }[], validateOnly = false) =>
        admin.alterConfigs({ validateOnly, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'tuned', configEntries: entries }] });
      await expect(alter([{ name: 'min.insync.replicas', value: '4' }])).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
      await expect(alter([{ name: 'retention.ms', value: 'soon' }])).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
      await alter([{ name: 'retention.ms', value: '1' }], true);
      await alter([
        { name: 'retention.ms', value: '60000' },
        { name: 'min.insync.replicas', value: '3' },
      ]);
      // Every replica: min.insync.replicas for its appends as leader, retention for its own log.
      await until(
        deadline,
        () =>
          replicasOf('tuned', 0).length === 3 &&
          replicasOf('tuned', 0).every((h) => h.replica.config.minInsyncReplicas === 3 && h.log.config['retention.ms'] === 60_000)
            ? true
            : undefined,
        'replicas did not take the new config',
      );
      await until(
        deadline,
        async () => ((await described(['retention.ms']))['retention.ms'].value === '60000' ? true : undefined),
        'DescribeConfigs did not show the change',
      );
      expect(await described(['min.insync.replicas', 'retention.bytes'])).toEqual({
        'min.insync.replicas': { value: '3', isDefault: false },
        'retention.bytes': { value: '-1', isDefault: true },
      });

      // AlterConfigs replaces the overrides: what it leaves out goes back to its default, on every replica.
      await alter([{ name: 'retention.bytes', value: '1048576' }]);
      await until(
        deadline,
        () =>
          replicasOf('tuned', 0).every(
            (h) =>
              h.replica.config.minInsyncReplicas === 1 &&
              h.log.config['retention.ms'] === 7 * 24 * 3600 * 1000 &&
              h.log.config['retention.bytes'] === 1_048_576,
          )
            ? true
            : undefined,
        'replicas did not reset the settings left out',
      );
    },
    DEADLINE_MS,
  );

  it(
    'IncrementalAlterConfigs (through @platformatic/kafka) changes only the keys it names, on every replica',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('incremental', 1, deadline, [{ name: 'segment.bytes', value: '1048576' }]);
      const ops = [
        { name: 'retention.ms', configOperation: 0, value: '120000' },
        { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
      ];
      const r = await runChild(
        process.execPath,
        [path.join(__dirname, '../../protocol/platformatic-client.mjs'), 'configs', cluster.bootstrap(1), 'incremental', JSON.stringify(ops)],
        { timeoutMs: 30_000 },
      );
      expect(r.code).toBe(0);
      const expected = { 'segment.bytes': '1048576', 'retention.ms': '120000', 'cleanup.policy': 'compact,delete' };
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual(expected);
      // Every replica's log runs with the new settings.
      await until(
        deadline,
        () =>
          replicasOf('incremental', 0).every((h) => h.log.config['cleanup.policy'] === 'compact,delete' && h.log.config['retention.ms'] === 120000)
            ? true
            : undefined,
        'not every replica took the new config',
      );
    },
    DEADLINE_MS,
  );

  it(
    'a broker that was down while a topic was deleted removes its data when it comes back',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('orphan', 1, deadline);
      await produce('orphan', ['x'], deadline);
      const dir = path.join(cluster.dir, 'b3', 'orphan-0');
      const restarted = await cluster.restart(3, async () => {
        // Straight to broker 1: kafkajs' admin may still route to broker 3, which the metadata shows live until its session expires.
        const conn = await KafkaConnection.connect(cluster.bootstrap(1), { timeoutMs: 15_000 });
        const deleted = await conn.request<apis.DeleteTopicsResponse>(apis.deleteTopics, {
          topicNames: ['orphan'],
          topics: [{ name: 'orphan', topicId: '00000000000000000000000000000000' }],
          timeoutMs: 10_000,
        });
        conn.close();
        expect(deleted.responses[0]).toMatchObject({ name: 'orphan', errorCode: 0 });
        await until(
          deadline,
          () => (cluster.brokers.filter((b) => b.nodeId !== 3).every((b) => !b.replicas.has('orphan-0')) ? true : undefined),
          'the live brokers kept their replicas',
        );
        expect(fs.existsSync(dir)).toBe(true);
      });
      await until(deadline, () => (restarted.registered && !fs.existsSync(dir) ? true : undefined), "the restarted broker kept the deleted topic's data");
      expect(cluster.brokerLogs.get(3)!.filter((l) => l.includes('was deleted while this broker was down'))).toHaveLength(1);
      expect(restarted.replicas.has('orphan-0')).toBe(false);
      // The new incarnation is live again before the next test needs three brokers.
      const unfenced = (b: { image: typeof restarted.image }) => b.image.brokers.get(3)?.brokerEpoch === restarted.brokerEpoch && b.image.isUnfenced(3);
      await until(deadline, () => (cluster.brokers.every(unfenced) ? true : undefined), 'the restarted broker was not unfenced');
    },
    DEADLINE_MS,
  );
});

describe('admin changes that must outlive a failover', () => {
  let cluster: InProcessCluster;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, controllerConfig: { brokerSessionTimeoutMs: 2000 }, broker: { heartbeatIntervalMs: 200 } });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** The committed image at the active controller. */
  const image = () => cluster.activeController()?.image;
  const partition = (topic: string) => image()?.topicByName(topic)?.partitions.get(0);
  /** A kafkajs client that knows only brokers `ids` (the others may be cut off). */
  const kafka = (ids: readonly number[]) =>
    new Kafka({
      clientId: 'failover',
      brokers: ids.map((id) => cluster.bootstrap(id)),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
    });

  /** Once every broker sees all three live, creates `topic`: one partition, replication factor 3. */
  async function createTopic(topic: string, deadline: number, configEntries: { name: string; value: string }[] = []): Promise<void> {
    await until(deadline, () => (cluster.brokers.every((b) => b.image.liveBrokers().length === 3) ? true : undefined), 'brokers did not all register');
    const admin = kafka(IDS).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries }], waitForLeaders: true });
    await admin.disconnect();
  }

  /** Produces `values` to `topic`, one request each, through brokers `ids`. */
  async function send(ids: readonly number[], topic: string, values: string[], acks = -1): Promise<void> {
    const producer = kafka(ids).producer();
    await producer.connect();
    for (const value of values) await producer.send({ topic, acks, messages: [{ value }] });
    await producer.disconnect();
  }

  const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `v${from + i}`);

  it(
    'DeleteRecords moves the log start on every replica: after a failover the new leader starts there',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('trimmed', deadline, [{ name: 'min.insync.replicas', value: '2' }]);
      await send(IDS, 'trimmed', numbered(0, 10));
      const replicas = () => cluster.brokers.map((b) => b.replicas.get('trimmed-0')!);
      await until(deadline, () => (replicas().every((h) => h.replica.highWatermark === 10) ? true : undefined), 'replicas did not all commit the records');

      const admin = kafka(IDS).admin();
      await admin.connect();
      // (kafkajs' deleteTopicRecords finds leaders only of topics whose metadata it already holds.)
      expect(await admin.fetchTopicOffsets('trimmed')).toEqual([expect.objectContaining({ partition: 0, low: '0', high: '10' })]);
      await expect(admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '11' }] })).rejects.toMatchObject({
        cause: { partitions: [expect.objectContaining({ partition: 0, error: expect.objectContaining({ type: 'OFFSET_OUT_OF_RANGE' }) })] },
      });
      await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '6' }] });
      // The leader moved at once; the followers move with their next fetch.
      await until(
        deadline,
        () => (replicas().every((h) => h.log.logStartOffset === 6) ? true : undefined),
        'the followers did not follow the log start offset',
      );
      expect(await admin.fetchTopicOffsets('trimmed')).toEqual([expect.objectContaining({ partition: 0, low: '6', high: '10' })]);
      await admin.disconnect();

      // The leader goes; a follower takes over, and its log starts where the old leader's did.
      const old = partition('trimmed')!.leader;
      cluster.isolate(old, 'all');
      const others = IDS.filter((id) => id !== old);
      const next = await until(
        deadline,
        () => {
          const leader = partition('trimmed')?.leader;
          return leader !== undefined && others.includes(leader) && cluster.broker(leader).replicas.get('trimmed-0')?.replica.role === 'leader'
            ? leader
            : undefined;
        },
        'no new leader',
      );
      const conn = await KafkaConnection.connect(cluster.bootstrap(next), { timeoutMs: 10_000 });
      const fetchAt = (fetchOffset: number) => conn.request<apis.FetchResponse>(apis.fetch, fetchRequestBody('trimmed', [{ partition: 0, fetchOffset }]));
      const below = (await fetchAt(0)).responses[0].partitions[0];
      expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      const from = (await fetchAt(6)).responses[0].partitions[0];
      expect(from).toMatchObject({ errorCode: 0, logStartOffset: 6, highWatermark: 10 });
      const batches = decodeRecordBatches(from.records!);
      if (isLeft(batches)) throw new Error(batches.left.message);
      expect(batches.right.flatMap((b) => b.records.filter((r) => r.offset >= 6).map((r) => r.value!.toString()))).toEqual(numbered(6, 10));
      conn.close();
      const survivors = kafka(others).admin();
      await survivors.connect();
      expect(await survivors.fetchTopicOffsets('trimmed')).toEqual([expect.objectContaining({ partition: 0, low: '6', high: '10' })]);
      await survivors.disconnect();
      cluster.heal(old);
      await until(deadline, () => (partition('trimmed')?.isr.length === 3 ? true : undefined), 'the old leader did not rejoin');
    },
    DEADLINE_MS,
  );

  it(
    "a follower that missed records deleted at the leader starts again at the leader's log start and rejoins the ISR",
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('behind', deadline);
      await send(IDS, 'behind', numbered(0, 3));
      const leaderId = partition('behind')!.leader;
      const laggard = IDS.find((id) => id !== leaderId)!;
      const live = IDS.filter((id) => id !== laggard);
      const leader = cluster.broker(leaderId).replicas.get('behind-0')!;
      const behind = cluster.broker(laggard).replicas.get('behind-0')!;
      await until(deadline, () => (behind.replica.highWatermark === 3 ? true : undefined), 'the follower did not get the first records');

      // The follower is cut off (and fenced, so it leaves the ISR); records it never gets are written, then deleted.
      cluster.isolate(laggard, 'all');
      await until(deadline, () => (!leader.replica.isr.includes(laggard) ? true : undefined), 'the cut-off follower did not leave the ISR');
      await send(live, 'behind', numbered(3, 8));
      const trimmer = kafka(live).admin();
      await trimmer.connect();
      await trimmer.fetchTopicOffsets('behind');
      await trimmer.deleteTopicRecords({ topic: 'behind', partitions: [{ partition: 0, offset: '6' }] });
      await trimmer.disconnect();
      expect([behind.log.logStartOffset, behind.replica.logEndOffset, leader.log.logStartOffset]).toEqual([0, 3, 6]);

      cluster.heal(laggard);
      await until(deadline, () => (partition('behind')?.isr.includes(laggard) ? true : undefined), 'the follower did not rejoin the ISR');
      await until(deadline, () => (behind.replica.logEndOffset === leader.replica.logEndOffset ? true : undefined), 'the follower did not catch up');
      expect(behind.log.logStartOffset).toBe(6);
      expect(behind.log.read(6, 1 << 20, behind.replica.logEndOffset).equals(leader.log.read(6, 1 << 20, leader.replica.logEndOffset))).toBe(true);
    },
    DEADLINE_MS,
  );

  it(
    'a partition whose whole ISR is down stays leaderless; enabled, it gets a non-ISR leader, and the old leader truncates to follow it',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await createTopic('risky', deadline);
      const old = partition('risky')!.leader;
      const others = IDS.filter((id) => id !== old);
      await send(IDS, 'risky', ['everywhere']);

      // The followers drop out (fenced): the ISR is the leader alone, which takes writes only it has.
      for (const id of others) cluster.isolate(id, 'all');
      const oldReplica = cluster.broker(old).replicas.get('risky-0')!;
      await until(deadline, () => (oldReplica.replica.isr.length === 1 ? true : undefined), 'followers did not leave the ISR');
      await send([old], 'risky', ['only-on-the-old-leader'], 1);
      expect(oldReplica.replica.highWatermark).toBe(2);

      // Then the leader goes; the followers come back. Clean election only: nobody may lead.
      cluster.isolate(old, 'all');
      for (const id of others) cluster.heal(id);
      await until(
        deadline,
        () => (image()?.brokers.get(old)?.fenced && others.every((id) => image()?.isUnfenced(id)) ? true : undefined),
        'the old leader was not fenced, or the others not unfenced',
      );
      expect(partition('risky')).toMatchObject({ leader: NO_LEADER, isr: [old] });

      // (kafkajs' admin refuses to act while a partition it knows is leaderless: the request goes as is.)
      const conn = await KafkaConnection.connect(cluster.bootstrap(others[0]), { timeoutMs: 15_000 });
      const altered = await conn.request<apis.AlterConfigsResponse>(apis.alterConfigs, {
        validateOnly: false,
        resources: [{ resourceType: apis.ResourceType.TOPIC, resourceName: 'risky', configs: [{ name: 'unclean.leader.election.enable', value: 'true' }] }],
      });
      conn.close();
      expect(altered.responses[0]).toMatchObject({ errorCode: 0 });
      const elected = partition('risky')!;
      expect(others).toContain(elected.leader);
      expect(elected.isr).toEqual([elected.leader]);
      await send(others, 'risky', ['after-unclean-election']);

      // The old leader returns as a follower: it cuts the record only it had (below its high watermark, which unclean election allows) and follows.
      cluster.heal(old);
      await until(deadline, () => (partition('risky')?.isr.includes(old) ? true : undefined), 'the old leader did not rejoin the ISR');
      const leader = cluster.broker(elected.leader).replicas.get('risky-0')!;
      const follower = cluster.broker(old).replicas.get('risky-0')!;
      await until(deadline, () => (follower.replica.logEndOffset === leader.replica.logEndOffset ? true : undefined), 'the old leader did not catch up');
      expect(follower.log.read(0, 1 << 20, follower.replica.logEndOffset).equals(leader.log.read(0, 1 << 20, leader.replica.logEndOffset))).toBe(true);
      const lines = cluster.brokerLogs.get(old)!;
      expect(lines.filter((l) => l.includes('risky-0 truncated'))).toEqual([expect.stringContaining('risky-0 truncated 2 -> 1 (high watermark 2)')]);
      expect(lines.filter((l) => l.includes('would truncate'))).toEqual([]);
    },
    DEADLINE_MS,
  );
});
