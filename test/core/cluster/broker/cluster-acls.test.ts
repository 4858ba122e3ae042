// ACLs on a 3-broker cluster (in this process): ACLs created through one broker
// go through the controller into the metadata log, and every broker enforces
// them; deleted through another, they stop applying everywhere. The admin is a
// super user by its client certificate; the other client has none (User:ANONYMOUS).
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { ANONYMOUS, apis, KafkaConnection } from '../../../../core/protocol';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;
const ADMIN = 'User:CN=rill-test-client,O=Rill Tests';

describe('ACLs on a cluster', () => {
  let certs: TestCerts;
  let cluster: InProcessCluster;

  beforeAll(async () => {
    certs = makeTestCerts();
    const adminTls = { ca: certs.read(certs.ca), cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) };
    cluster = await InProcessCluster.start({
      ids: IDS,
      broker: {
        kafkaTls: { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, clientAuth: 'requested' },
        authorizer: { superUsers: [ADMIN], allowEveryoneIfNoAclFound: false },
      },
      clientTls: adminTls,
    });
    await cluster.allBrokersRegistered(Date.now() + DEADLINE_MS);
  }, DEADLINE_MS);

  afterAll(async () => {
    await cluster?.stop();
    certs?.remove();
  });

  const admin = (id: number) =>
    new Kafka({
      clientId: 'cluster-acl-admin',
      brokers: [cluster.bootstrap(id)],
      ssl: { ca: certs.read(certs.ca), cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) },
      logLevel: logLevel.NOTHING,
    }).admin();

  /** The topics an anonymous client sees in broker `id`'s Metadata. */
  async function visibleAt(id: number): Promise<string[]> {
    const c = await KafkaConnection.connect(cluster.bootstrap(id), { tls: { ca: certs.read(certs.ca) } });
    try {
      const r = await c.request<apis.MetadataResponse>(apis.metadata, { topics: null, allowAutoTopicCreation: false });
      return r.topics.map((t) => t.name).sort();
    } finally {
      c.close();
    }
  }

  it(
    'an ACL created through broker 1 is enforced by broker 3; deleted through broker 2, it stops applying',
    async () => {
      const a1 = admin(1);
      await a1.connect();
      await a1.createTopics({
        topics: [
          { topic: 'shared', replicationFactor: 3 },
          { topic: 'private', replicationFactor: 3 },
        ],
        waitForLeaders: true,
      });
      expect(await visibleAt(3)).toEqual([]);
      await a1.createAcls({
        acl: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: 'shared',
            resourcePatternType: ResourcePatternTypes.LITERAL,
            principal: ANONYMOUS,
            host: '*',
            operation: AclOperationTypes.DESCRIBE,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      });
      await a1.disconnect();
      const deadline = Date.now() + DEADLINE_MS;
      await until(deadline, async () => ((await visibleAt(3)).join() === 'shared' ? true : undefined), 'broker 3 did not enforce the new ACL');

      const a3 = admin(3);
      await a3.connect();
      const described = await a3.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      await a3.disconnect();
      expect(described.resources.map((r) => r.resourceName)).toEqual(['shared']);

      const a2 = admin(2);
      await a2.connect();
      const deleted = await a2.deleteAcls({
        filters: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: 'shared',
            resourcePatternType: ResourcePatternTypes.LITERAL,
            operation: AclOperationTypes.ANY,
            permissionType: AclPermissionTypes.ANY,
          },
        ],
      });
      await a2.disconnect();
      expect(deleted.filterResponses[0].matchingAcls).toHaveLength(1);
      // Each broker applies the metadata log on its own time: wait for each (the answer came once broker 2 showed it).
      for (const id of [3, 1])
        await until(deadline, async () => ((await visibleAt(id)).length === 0 ? true : undefined), `broker ${id} still applied the deleted ACL`);
    },
    DEADLINE_MS,
  );
});
