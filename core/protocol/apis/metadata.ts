// Metadata (3): the live brokers, the controller clients send admin requests to,
// and topics with their partitions' leaders, replicas and ISR. Unknown topics
// are created when the client allows it and the broker has
// auto.create.topics.enable on, as Kafka does.
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { authorized, authorizer, clusterAuthorized, deniedCode, denial } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import type { TopicLayout } from '../ports';
import { NO_TOPIC_ID } from '../topic-id';
import { array, field, message } from '../../wire';

export interface MetadataRequest {
  /** v12+ may name a topic by id alone (name null); before, topicId is the zero UUID. */
  topics: { name: string | null; topicId?: string }[] | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

interface MetadataTopic {
  errorCode: number;
  /** Null (v12+) for a topic asked for by an id that names none (Rill's own clients ask by name, and never see one). */
  name: string | null;
  /** v10+. */
  topicId: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
  /** Left out: the schema's default (none requested). */
  topicAuthorizedOperations?: number;
}

/** The answer as the server writes it. */
interface MetadataAnswer {
  throttleTimeMs: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
  clusterAuthorizedOperations?: number;
}

/** The answer as a client that asks for topics by name reads it (Rill's own clients do): every topic has its name. */
export type MetadataResponse = Omit<MetadataAnswer, 'topics'> & { topics: (MetadataTopic & { name: string })[] };

const request = message('9+', [
  field('topics', array([field('topicId', 'uuid', '10+'), field('name', 'string', '0+', { nullable: '10+' })]), '0+', { nullable: '1+' }),
  field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
  field('includeClusterAuthorizedOperations', 'bool', '8-10'),
  field('includeTopicAuthorizedOperations', 'bool', '8+'),
]);

const response = message('9+', [
  field('throttleTimeMs', 'int32', '3+'),
  field(
    'brokers',
    array([
      field('nodeId', 'int32', '0+'),
      field('host', 'string', '0+'),
      field('port', 'int32', '0+'),
      field('rack', 'string', '1+', { nullable: '1+', default: null }),
    ]),
    '0+',
  ),
  field('clusterId', 'string', '2+', { nullable: '2+', default: null }),
  field('controllerId', 'int32', '1+', { default: -1 }),
  field(
    'topics',
    array([
      field('errorCode', 'int16', '0+'),
      field('name', 'string', '0+', { nullable: '12+' }),
      field('topicId', 'uuid', '10+'),
      field('isInternal', 'bool', '1+'),
      field(
        'partitions',
        array([
          field('errorCode', 'int16', '0+'),
          field('partitionIndex', 'int32', '0+'),
          field('leaderId', 'int32', '0+'),
          field('leaderEpoch', 'int32', '7+', { default: -1 }),
          field('replicaNodes', array('int32'), '0+'),
          field('isrNodes', array('int32'), '0+'),
          field('offlineReplicas', array('int32'), '5+'),
        ]),
        '0+',
      ),
      field('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
    ]),
    '0+',
  ),
  field('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
]);

export const metadataApi = defineApi<MetadataRequest, MetadataAnswer>({
  key: ApiKey.Metadata,
  name: 'Metadata',
  // v10 adds topic ids (which Fetch v13+ names topics by), v12 asking by id.
  versions: '0-12',
  request,
  response,
  async handle(req, ctx) {
    const { metadata } = ctx;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const describable = authorizer(ctx, 'Topic', 'DESCRIBE');
    // "All topics" are those the principal may describe; a named one it may not is TOPIC_AUTHORIZATION_FAILED.
    const names = all ? metadata.topicNames().filter(describable) : req.topics!.map((t) => t.name ?? metadata.topicName(t.topicId ?? NO_TOPIC_ID) ?? null);
    const autoCreate = !all && req.allowAutoTopicCreation && ctx.autoCreateTopics;
    const topics = await Promise.all(
      names.map(async (name, i): Promise<MetadataTopic> => {
        const byId = !all && req.topics![i].name === null;
        const askedId = byId ? (req.topics![i].topicId ?? NO_TOPIC_ID) : NO_TOPIC_ID;
        if (name === null) return { ...topicError(null, ErrorCode.UNKNOWN_TOPIC_ID), topicId: askedId };
        // Asked for by id, a topic the principal may not describe keeps its name to itself (as Kafka answers).
        if (!describable(name)) return byId ? { ...topicError(null, deniedCode.Topic), topicId: askedId } : topicError(name, deniedCode.Topic);
        let found = metadata.topic(name);
        if (E.isLeft(found) && found.left.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && autoCreate) {
          const created =
            clusterAuthorized(ctx, 'CREATE') || authorized(ctx, 'Topic', name, 'CREATE')
              ? await metadata.autoCreateTopic(name)
              : denial(ctx, 'Topic', name, 'CREATE');
          if (E.isLeft(created)) return topicError(name, created.left.code);
          ctx.log(`auto-created a topic of ${created.right.partitions} partition(s)`, { topic: name });
          found = metadata.topic(name);
        }
        return E.isLeft(found) ? topicError(name, found.left.code) : describe(found.right);
      }),
    );
    return {
      throttleTimeMs: 0,
      brokers: metadata.brokers(ctx.advertised),
      clusterId: metadata.clusterId,
      controllerId: metadata.controllerId(),
      topics,
    };
  },
});

/**
 * A port that hands out the same layout while nothing changed (the cluster's,
 * built once per metadata change) gets the same answer entry back: answering
 * Metadata for all of 10,000 partitions then builds nothing per partition.
 * Entries are shared between responses and never changed (the port's arrays
 * are only read by the encoder, hence the casts instead of copies).
 */
const described = new WeakMap<TopicLayout, MetadataTopic>();

function describe(t: TopicLayout): MetadataTopic {
  let topic = described.get(t);
  if (topic === undefined) {
    const partitions = t.partitions.map(
      (p): MetadataPartition => ({
        errorCode: p.leaderId < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0, // between leaders: clients retry
        partitionIndex: p.partition,
        leaderId: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas as number[],
        isrNodes: p.isr as number[],
        offlineReplicas: p.offlineReplicas as number[],
      }),
    );
    topic = { errorCode: 0, name: t.name, topicId: t.topicId, isInternal: t.internal, partitions };
    described.set(t, topic);
  }
  return topic;
}

function topicError(name: string | null, errorCode: number): MetadataTopic {
  return { errorCode, name, topicId: NO_TOPIC_ID, isInternal: false, partitions: [] };
}
