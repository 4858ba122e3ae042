// SCRAM users of a cluster live in its metadata log: a user created with
// AlterUserScramCredentials through one broker (here its PLAINTEXT listener)
// authenticates (SCRAM and PLAIN) on the SASL listeners of the others, and a
// deletion through any broker ends it everywhere.
import { randomBytes } from 'node:crypto';
import { apis, KafkaConnection, sasl } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;
const SASL = { kafkaSasl: { mechanisms: ['SCRAM-SHA-256', 'PLAIN'] } };

describe('SCRAM credentials in the metadata log', () => {
  let cluster: InProcessCluster;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, brokerOverrides: { 2: SASL, 3: SASL } });
    await until(
      Date.now() + DEADLINE_MS,
      async () => ((await cluster.metadata(1).catch(() => undefined))?.brokers.length === 3 ? true : undefined),
      'three brokers',
    );
  }, DEADLINE_MS);

  afterAll(async () => {
    await cluster?.stop();
  });

  const authenticates = (id: number, password: string) =>
    KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 5000, sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password } }).then(
      (c) => {
        c.close();
        return true;
      },
      () => false,
    );

  it(
    'a user created through broker 1 authenticates on brokers 2 and 3; deleted through broker 3, it is refused everywhere',
    async () => {
      expect(await authenticates(2, 'alice-pw')).toBe(false);
      const admin = await KafkaConnection.connect(cluster.bootstrap(1), { timeoutMs: 5000 });
      const salt = randomBytes(32);
      const saltedPassword = sasl.saltedPassword(sasl.SCRAM_SHA_256, 'alice-pw', salt, 4096);
      const altered = await admin.request<apis.AlterUserScramCredentialsResponse>(apis.alterUserScramCredentials, {
        deletions: [],
        upsertions: [{ name: 'alice', mechanism: sasl.SCRAM_SHA_256.kafkaType, iterations: 4096, salt, saltedPassword }],
      });
      admin.close();
      expect(altered.results).toEqual([{ user: 'alice', errorCode: 0, errorMessage: null }]);

      await until(Date.now() + 10_000, async () => ((await authenticates(2, 'alice-pw')) ? true : undefined), 'alice on broker 2');
      expect(await authenticates(2, 'wrong')).toBe(false);
      // Each broker learns the user from its own metadata fetch: broker 3 may still be a poll behind broker 2.
      await until(Date.now() + 10_000, async () => ((await authenticates(3, 'alice-pw')) ? true : undefined), 'alice on broker 3');
      // PLAIN, checked against the same SCRAM credential, on broker 3; the topic is created through the controller.
      const plain = await KafkaConnection.connect(cluster.bootstrap(3), {
        timeoutMs: 5000,
        sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-pw' },
      });
      const created = await plain.request<apis.CreateTopicsResponse>(apis.createTopics, {
        topics: [{ name: 'sasl-replicated', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      plain.close();
      expect(created.topics[0].errorCode).toBe(0);

      const three = await KafkaConnection.connect(cluster.bootstrap(3), {
        timeoutMs: 5000,
        sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-pw' },
      });
      const described = await three.request<apis.DescribeUserScramCredentialsResponse>(apis.describeUserScramCredentials, { users: null });
      expect(described.results).toEqual([{ user: 'alice', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }] }]);
      const deleted = await three.request<apis.AlterUserScramCredentialsResponse>(apis.alterUserScramCredentials, {
        deletions: [{ name: 'alice', mechanism: 1 }],
        upsertions: [],
      });
      three.close();
      expect(deleted.results[0].errorCode).toBe(0);
      await until(Date.now() + 10_000, async () => ((await authenticates(2, 'alice-pw')) ? undefined : true), 'alice refused on broker 2');
    },
    DEADLINE_MS,
  );
});
