// The two modes the client-compatibility suite runs against, behind one shape:
// an embedded `rill broker` (one Broker behind a KafkaServer on port 0, in this
// process) and a 3-node Rill cluster (3 controllers and 3 brokers in this
// process, real sockets and disks on loopback). A test sees only Kafka
// addresses and the replication factor its topics get, so whatever it checks
// holds for both modes alike.
import { isLeft } from 'fp-ts/Either';
import type { Kafka } from 'kafkajs';
import { decodeRecordBatches, type DecodedBatch } from '../../core/log';
import { apis, KafkaConnection, type ApiDefinition } from '../../core/protocol';
import { InProcessCluster } from '../core/cluster/in-process-cluster';
import { fetchRequestBody, startTestCluster, waitFor } from '../core/protocol/harness';

export type Mode = 'broker' | 'cluster';

export interface CompatTarget {
  readonly mode: Mode;
  /** Every broker's Kafka address ("127.0.0.1:port"), by node id. */
  readonly brokers: ReadonlyMap<number, string>;
  /** The replication factor a test gives the topics it creates (3 on the cluster: every broker holds a replica). */
  readonly replicationFactor: number;
  stop(): Promise<void>;
}

/** The bootstrap list a client is given: every broker. */
export const bootstrapOf = (target: CompatTarget): string[] => [...target.brokers.values()];

/** How long a target may take to start on a loaded 2-core machine. */
export const START_TIMEOUT_MS = 60_000;

async function startBroker(): Promise<CompatTarget> {
  const server = await startTestCluster();
  return { mode: 'broker', brokers: new Map([[server.broker.nodeId, server.bootstrap]]), replicationFactor: 1, stop: () => server.stop() };
}

const CLUSTER_IDS = [1, 2, 3];

async function startCluster(): Promise<CompatTarget> {
  const cluster = await InProcessCluster.start({ ids: CLUSTER_IDS });
  try {
    await cluster.allBrokersRegistered(Date.now() + START_TIMEOUT_MS);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return { mode: 'cluster', brokers: new Map(CLUSTER_IDS.map((id) => [id, cluster.bootstrap(id)])), replicationFactor: 3, stop: () => cluster.stop() };
}

export const startTarget: Record<Mode, () => Promise<CompatTarget>> = { broker: startBroker, cluster: startCluster };

/** One request to the broker at `address`, on a connection of its own. */
export async function ask<T>(address: string, api: ApiDefinition, body: object): Promise<T> {
  const c = await KafkaConnection.connect(address, { timeoutMs: 10_000 });
  try {
    return await c.request<T>(api, body);
  } finally {
    c.close();
  }
}

/** Metadata of `topics` (null: of every topic) as the broker at `address` answers it. */
function metadataOf(address: string, topics: readonly string[] | null): Promise<apis.MetadataResponse> {
  return ask<apis.MetadataResponse>(address, apis.metadata, {
    topics: topics?.map((name) => ({ name })) ?? null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

/** Resolves once every broker of `target` shows `topic` with `partitions` partitions, each with a leader (bounded). */
export async function waitForTopic(target: CompatTarget, topic: string, partitions: number): Promise<void> {
  await waitFor(async () => {
    for (const address of target.brokers.values()) {
      const m = await metadataOf(address, [topic]).catch(() => undefined);
      const t = m?.topics.find((x) => x.name === topic);
      if (t === undefined || t.errorCode !== 0 || t.partitions.length !== partitions || t.partitions.some((p) => p.leaderId < 0)) return false;
    }
    return true;
  }, `topic ${topic} with ${partitions} led partitions on every broker`);
}

/** Resolves once no broker of `target` shows `topic` any more (bounded). */
export async function waitForTopicGone(target: CompatTarget, topic: string): Promise<void> {
  await waitFor(async () => {
    for (const address of target.brokers.values()) {
      const m = await metadataOf(address, null).catch(() => undefined);
      if (m === undefined || m.topics.some((t) => t.name === topic)) return false;
    }
    return true;
  }, `topic ${topic} gone from every broker`);
}

export interface NewTopic {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

/** Creates `topics` through kafkajs' admin with the target's replication factor; resolves once every broker shows them led. */
export async function createTopics(target: CompatTarget, kafka: Kafka, topics: NewTopic[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: target.replicationFactor })) });
    for (const t of topics) await waitForTopic(target, t.topic, t.numPartitions);
    return created;
  } finally {
    await admin.disconnect();
  }
}

/** The record batches of `topic`-`partition`, fetched from its leader (as Metadata names it) from offset 0. */
export async function fetchBatches(target: CompatTarget, topic: string, partition: number): Promise<DecodedBatch[]> {
  const m = await metadataOf(bootstrapOf(target)[0], [topic]);
  const leaderId = m.topics[0]?.partitions.find((p) => p.partitionIndex === partition)?.leaderId;
  const leader = leaderId === undefined ? undefined : target.brokers.get(leaderId);
  if (leader === undefined) throw new Error(`no leader of ${topic}-${partition} among the target's brokers (metadata names ${leaderId})`);
  const r = await ask<apis.FetchResponse>(leader, apis.fetch, fetchRequestBody(topic, [{ partition, fetchOffset: 0 }]));
  const p = r.responses[0].partitions[0];
  if (p.errorCode !== 0) throw new Error(`fetch of ${topic}-${partition} from broker ${leaderId} failed with error ${p.errorCode}`);
  const batches = decodeRecordBatches(p.records ?? Buffer.alloc(0));
  if (isLeft(batches)) throw new Error(`undecodable batches in ${topic}-${partition}`);
  return batches.right;
}
