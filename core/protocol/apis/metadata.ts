// Metadata (3): brokers (this node), the controller (this node) and topics with
// their partitions. Unknown topics are created when the client allows it and
// the broker has auto.create.topics.enable on, as Kafka does.
import { ErrorCode, BrokerError } from '../../broker';
import { defineApi } from '../api';
import { array, field, message } from '../schema';

export interface MetadataRequest {
  topics: { name: string }[] | null;
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
  name: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
  /** Left out: the schema's default (none requested). */
  topicAuthorizedOperations?: number;
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
  clusterAuthorizedOperations?: number;
}

const request = message('9+', [
  field('topics', array([field('topicId', 'uuid', '10+'), field('name', 'string', '0+', { nullable: '10+' })]), '0+', { nullable: '1+' }),
  field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
  field('includeClusterAuthorizedOperations', 'bool', '8-10'),
  field('includeTopicAuthorizedOperations', 'bool', '8+'),
]);

const response = message('9+', [
  field('throttleTimeMs', 'int32', '3+'),
  field('brokers', array([field('nodeId', 'int32', '0+'), field('host', 'string', '0+'), field('port', 'int32', '0+'), field('rack', 'string', '1+', { nullable: '1+', default: null })]), '0+'),
  field('clusterId', 'string', '2+', { nullable: '2+', default: null }),
  field('controllerId', 'int32', '1+', { default: -1 }),
  field(
    'topics',
    array([
      field('errorCode', 'int16', '0+'),
      field('name', 'string', '0+'),
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

export const metadataApi = defineApi<MetadataRequest, MetadataResponse>({
  key: 3,
  name: 'Metadata',
  versions: '0-9',
  request,
  response,
  handle(req, ctx) {
    const { broker } = ctx;
    const nodeId = broker.nodeId;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const names = all ? broker.listTopics() : req.topics!.map((t) => t.name ?? '');
    const topics = names.map((name): MetadataTopic => {
      let described = broker.describeTopic(name);
      if (described._tag === 'Left' && described.left.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !all && req.allowAutoTopicCreation && ctx.autoCreateTopics) {
        const created = broker.createTopic({ name });
        if (created._tag === 'Right') ctx.log(`auto-created topic "${name}" (${created.right.partitions} partition(s))`);
        // A concurrent creation by another client is fine: describe again.
        described = broker.describeTopic(name);
        if (created._tag === 'Left' && created.left.code !== ErrorCode.TOPIC_ALREADY_EXISTS) return topicError(name, created.left);
      }
      if (described._tag === 'Left') return topicError(name, described.left);
      const d = described.right;
      const partitions: MetadataPartition[] = [];
      for (let i = 0; i < d.partitions; i++) {
        partitions.push({ errorCode: 0, partitionIndex: i, leaderId: nodeId, leaderEpoch: 0, replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [] });
      }
      return { errorCode: 0, name, isInternal: d.internal, partitions };
    });
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId, host: ctx.advertised.host, port: ctx.advertised.port, rack: null }],
      clusterId: broker.clusterId,
      controllerId: nodeId,
      topics,
    };
  },
});

function topicError(name: string, e: BrokerError): MetadataTopic {
  return { errorCode: e.code, name, isInternal: false, partitions: [] };
}
