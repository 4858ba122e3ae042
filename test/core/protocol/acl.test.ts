// ACLs through the real front end: a broker with the authorizer and mTLS, an
// admin (a super user, by its client certificate) and an anonymous client (no
// certificate: User:ANONYMOUS). kafkajs and kcat see Kafka's refusals and no
// data; the ACL APIs work through kafkajs' admin; the ACLs outlive a restart.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { Broker } from '../../../core/broker';
import { silentLogger } from '../../../core/logging';
import { ANONYMOUS, ApiKey, apiByKey, apis, auth, ErrorCode, KafkaConnection, KafkaServer, singleNodePorts } from '../../../core/protocol';
import { makeTestCerts, type TestCerts } from '../../support/test-certs';
import { run } from './children';
import { fetchRequestBody } from './harness';

const ADMIN = 'User:CN=rill-test-client,O=Rill Tests';

let certs: TestCerts;
let dir: string;
let broker: Broker;
let server: KafkaServer;
let bootstrap: string;

async function start(): Promise<void> {
  broker = Broker.open({ dir: path.join(dir, 'log'), scheduler: false });
  const acls = auth.fileAclPort(dir, { superUsers: [ADMIN], allowEveryoneIfNoAclFound: false });
  server = await KafkaServer.start({
    ports: { ...singleNodePorts(broker), acls },
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, clientAuth: 'requested' },
    logger: silentLogger,
  });
  bootstrap = `127.0.0.1:${server.port}`;
}

async function stop(): Promise<void> {
  await server.close(2000);
  await broker.close();
}

const admin = () =>
  new Kafka({
    clientId: 'acl-admin',
    brokers: [bootstrap],
    ssl: { ca: certs.read(certs.ca), cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
const anonymous = () =>
  new Kafka({ clientId: 'acl-anon', brokers: [bootstrap], ssl: { ca: certs.read(certs.ca) }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
const anonymousConnection = () => KafkaConnection.connect(bootstrap, { tls: { ca: certs.read(certs.ca) } });

function joinGroup(c: KafkaConnection, groupId: string): Promise<apis.JoinGroupResponse> {
  return c.request<apis.JoinGroupResponse>(apis.joinGroup, {
    groupId,
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 10000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    reason: null,
  });
}

const ANY_FILTER = {
  resourceType: AclResourceTypes.ANY,
  resourcePatternType: ResourcePatternTypes.ANY,
  operation: AclOperationTypes.ANY,
  permissionType: AclPermissionTypes.ANY,
};

function allow(resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes, resourcePatternType = ResourcePatternTypes.LITERAL) {
  return { resourceType, resourceName, resourcePatternType, principal: ANONYMOUS, host: '*', operation, permissionType: AclPermissionTypes.ALLOW };
}

beforeAll(async () => {
  certs = makeTestCerts();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-acl-'));
  await start();
  const a = admin().admin();
  await a.connect();
  await a.createTopics({ topics: [{ topic: 'secret' }, { topic: 'open-orders' }] });
  await a.createAcls({
    acl: [
      allow(AclResourceTypes.TOPIC, 'open-', AclOperationTypes.WRITE, ResourcePatternTypes.PREFIXED),
      allow(AclResourceTypes.TOPIC, 'open-', AclOperationTypes.READ, ResourcePatternTypes.PREFIXED),
      allow(AclResourceTypes.GROUP, 'allowed-group', AclOperationTypes.READ),
    ],
  });
  await a.disconnect();
  const p = admin().producer();
  await p.connect();
  await p.send({ topic: 'secret', messages: [{ value: 'classified' }] });
  await p.disconnect();
});

afterAll(async () => {
  await stop();
  fs.rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

describe('ACLs on the Kafka listener', () => {
  test('kafkajs admin describes the ACLs it created', async () => {
    const a = admin().admin();
    await a.connect();
    try {
      const described = await a.describeAcls(ANY_FILTER);
      expect(described.resources.map((r) => `${r.resourceType}:${r.resourcePatternType}:${r.resourceName}:${r.acls.length}`).sort()).toEqual([
        `${AclResourceTypes.TOPIC}:${ResourcePatternTypes.PREFIXED}:open-:2`,
        `${AclResourceTypes.GROUP}:${ResourcePatternTypes.LITERAL}:allowed-group:1`,
      ]);
    } finally {
      await a.disconnect();
    }
  });

  test('Metadata hides the topics a principal may not describe; naming one is TOPIC_AUTHORIZATION_FAILED', async () => {
    const a = anonymous().admin();
    await a.connect();
    try {
      expect(await a.listTopics()).toEqual(['open-orders']);
      await expect(a.fetchTopicMetadata({ topics: ['secret'] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    } finally {
      await a.disconnect();
    }
  });

  test('Metadata v12 asked by the id of a topic the principal may not describe: TOPIC_AUTHORIZATION_FAILED, and no name', async () => {
    const d = broker.describeTopic('secret');
    if (d._tag === 'Left') throw d.left;
    const topicId = Buffer.from(d.right.topicId, 'base64url').toString('hex');
    const c = await anonymousConnection();
    try {
      const m = await c.send<apis.MetadataResponse>(apiByKey(ApiKey.Metadata)!, 12, { topics: [{ name: null, topicId }], allowAutoTopicCreation: false });
      expect(m.topics.map((t) => [t.errorCode, t.name, t.topicId])).toEqual([[ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, topicId]]);
    } finally {
      c.close();
    }
  });

  test('a Fetch without READ gets TOPIC_AUTHORIZATION_FAILED and no records; ListOffsets too', async () => {
    const c = await anonymousConnection();
    try {
      const fetched = await c.request<apis.FetchResponse>(apis.fetch, fetchRequestBody('secret', [{ partition: 0, fetchOffset: 0 }]));
      const p = fetched.responses[0].partitions[0];
      expect(p.errorCode).toBe(29);
      expect(p.records === null || p.records.length === 0).toBe(true);
      const listed = await c.request<apis.ListOffsetsResponse>(apis.listOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
      });
      expect(listed.topics[0].partitions[0].errorCode).toBe(29);
    } finally {
      c.close();
    }
  });

  test('an allowed principal produces and consumes in its group; a produce without WRITE is refused', async () => {
    const kafka = anonymous();
    const p = kafka.producer();
    await p.connect();
    await p.send({ topic: 'open-orders', messages: [{ value: 'one' }, { value: 'two' }] });
    await expect(p.send({ topic: 'secret', messages: [{ value: 'x' }] })).rejects.toThrow(/Topic authorization failed/);
    await p.disconnect();
    const consumer = kafka.consumer({ groupId: 'allowed-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'open-orders', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length === 2) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(seen).toEqual(['one', 'two']);
  });

  test('transactions: WRITE on the transactional id, WRITE on each topic it adds, READ on the group whose offsets it commits', async () => {
    const a = admin().admin();
    await a.connect();
    const txnAcl = allow(AclResourceTypes.TRANSACTIONAL_ID, 'tx-anon', AclOperationTypes.WRITE);
    await a.createAcls({ acl: [txnAcl] });
    // kafkajs' idempotent producers need retries.
    const kafka = new Kafka({
      clientId: 'acl-anon-txn',
      brokers: [bootstrap],
      ssl: { ca: certs.read(certs.ca) },
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
    // A transactional id it may not use: refused (FindCoordinator of it needs DESCRIBE, InitProducerId WRITE; kafkajs reports the first).
    const other = kafka.producer({ transactionalId: 'tx-other', idempotent: true, maxInFlightRequests: 1 });
    await other.connect();
    await expect(other.transaction()).rejects.toThrow(/[Tt]ransactional [Ii]d authorization failed|Failed to find group coordinator/);
    await other.disconnect();

    const p = kafka.producer({ transactionalId: 'tx-anon', idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    const refused = await p.transaction();
    await expect(refused.send({ topic: 'secret', messages: [{ value: 'x' }] })).rejects.toThrow(/[Tt]opic authorization failed/);
    await refused.abort().catch(() => undefined);
    const txn = await p.transaction();
    await txn.send({ topic: 'open-orders', messages: [{ value: 'in a transaction' }] });
    await expect(
      txn.sendOffsets({ consumerGroupId: 'forbidden-group', topics: [{ topic: 'open-orders', partitions: [{ partition: 0, offset: '1' }] }] }),
    ).rejects.toThrow(/[Gg]roup authorization failed/);
    await txn.abort().catch(() => undefined);
    const ok = await p.transaction();
    await ok.send({ topic: 'open-orders', messages: [{ value: 'committed' }] });
    await ok.sendOffsets({ consumerGroupId: 'allowed-group', topics: [{ topic: 'open-orders', partitions: [{ partition: 0, offset: '1' }] }] });
    await ok.commit();
    await p.disconnect();
    // The next tests count the ACLs the suite started with.
    await a.deleteAcls({ filters: [txnAcl] });
    await a.disconnect();
  });

  test('a group without READ: GROUP_AUTHORIZATION_FAILED (FindCoordinator, JoinGroup, OffsetFetch, DescribeGroups); a topic without READ in OffsetCommit and OffsetFetch', async () => {
    const c = await anonymousConnection();
    try {
      const found = await c.request<{ errorCode: number; coordinators: { errorCode: number }[] }>(apis.findCoordinator, {
        key: 'denied-group',
        keyType: 0,
        coordinatorKeys: ['denied-group'],
      });
      expect(found.coordinators.length > 0 ? found.coordinators[0].errorCode : found.errorCode).toBe(30);
      const joined = await joinGroup(c, 'denied-group');
      expect(joined.errorCode).toBe(30);
      const committed = await c.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
        groupId: 'allowed-group',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }],
      });
      expect(committed.topics[0].partitions[0].errorCode).toBe(29);
      // OffsetFetch: the group needs DESCRIBE, each topic named DESCRIBE.
      const asked = [{ name: 'secret', partitionIndexes: [0] }];
      const fetchOffsets = (groupId: string) =>
        c.request<apis.OffsetFetchResponse>(apis.offsetFetch, { groupId, topics: asked, groups: [{ groupId, topics: asked }], requireStable: false });
      const denied = await fetchOffsets('denied-group');
      expect(denied.groups.length > 0 ? denied.groups[0].errorCode : denied.errorCode).toBe(30);
      const hidden = await fetchOffsets('allowed-group');
      const topics = hidden.groups.length > 0 ? hidden.groups[0].topics : hidden.topics;
      expect(topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([['secret', 29]]);
      const described = await c.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: ['denied-group'], includeAuthorizedOperations: false });
      expect(described.groups[0].errorCode).toBe(30);
    } finally {
      c.close();
    }
  });

  test('admin requests without rights: CreateTopics, CreateAcls and DescribeAcls are refused', async () => {
    const a = anonymous().admin();
    await a.connect();
    try {
      await expect(a.createTopics({ topics: [{ topic: 'not-mine' }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' })],
      });
      await expect(a.createAcls({ acl: [allow(AclResourceTypes.TOPIC, 'secret', AclOperationTypes.READ)] })).rejects.toMatchObject({
        type: 'CLUSTER_AUTHORIZATION_FAILED',
      });
      await expect(a.describeAcls(ANY_FILTER)).rejects.toMatchObject({ type: 'CLUSTER_AUTHORIZATION_FAILED' });
      await expect(a.deleteTopics({ topics: ['secret'] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    } finally {
      await a.disconnect();
    }
  });

  test('kcat without READ: the listing hides the topic and consuming it fails with no data', async () => {
    const kcat = (args: string[]) =>
      run('kcat', ['-b', bootstrap, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`, ...args], { timeoutMs: 30000 });
    const listed = await kcat(['-L']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('topic "open-orders"');
    expect(listed.stdout).not.toContain('topic "secret"');
    const consumed = await kcat(['-C', '-t', 'secret', '-o', 'beginning', '-e', '-q']);
    expect(consumed.stdout).not.toContain('classified');
    expect(consumed.code).not.toBe(0);
    expect(consumed.stderr).toMatch(/authoriz/i);
  });

  test('DeleteAcls removes what a filter matches; the ACLs outlive a restart', async () => {
    let a = admin().admin();
    await a.connect();
    const deleted = await a.deleteAcls({ filters: [{ ...ANY_FILTER, resourceType: AclResourceTypes.GROUP }] });
    expect(deleted.filterResponses[0].matchingAcls.map((m) => m.resourceName)).toEqual(['allowed-group']);
    await a.disconnect();
    await stop();
    await start();
    a = admin().admin();
    await a.connect();
    try {
      const described = await a.describeAcls(ANY_FILTER);
      expect(described.resources.map((r) => r.resourceName)).toEqual(['open-']);
    } finally {
      await a.disconnect();
    }
    const c = await anonymousConnection();
    try {
      const joined = await joinGroup(c, 'allowed-group');
      expect(joined.errorCode).toBe(30);
    } finally {
      c.close();
    }
  });
});
