// The ports over one embedded Broker: a single node is every partition's
// leader, the controller and every group's coordinator, and answers at once.
import * as E from 'fp-ts/Either';
import { applyConfigOps, ErrorCode, type Broker, type TopicDescription } from '../broker';
import { topicIdHex } from './topic-id';
import { leaderEpochRefusal } from './leader-epoch';
import type {
  AdminPort,
  BrokerPorts,
  CreatedTopic,
  EpochEndOffset,
  GroupPort,
  MetadataPort,
  PartitionPort,
  TopicConfigChange,
  TopicLayout,
  TransactionPort,
} from './ports';

/** A single node leads every partition it has, always at this epoch. */
const SINGLE_NODE_EPOCH = 0;

export function singleNodePorts(broker: Broker): BrokerPorts {
  return {
    nodeId: broker.nodeId,
    metadata: metadataPort(broker),
    partitions: partitionPort(broker),
    admin: adminPort(broker),
    groups: groupPort(broker),
    transactions: transactionPort(broker),
  };
}

function layout(broker: Broker, d: TopicDescription): TopicLayout {
  const self = [broker.nodeId];
  const partitions = Array.from({ length: d.partitions }, (_, partition) => ({
    partition,
    leaderId: broker.nodeId,
    leaderEpoch: SINGLE_NODE_EPOCH,
    replicas: self,
    isr: self,
    offlineReplicas: [],
  }));
  return { name: d.name, topicId: topicIdHex(d.topicId), internal: d.internal, partitions };
}

function metadataPort(broker: Broker): MetadataPort {
  // Topic UUID -> name, rebuilt when an id is not found (a topic created since).
  let names = new Map<string, string>();
  const idOf = (name: string) => {
    const d = broker.describeTopic(name);
    return E.isRight(d) ? topicIdHex(d.right.topicId) : undefined;
  };
  return {
    get clusterId() {
      return broker.clusterId;
    },
    brokers: (self) => [{ nodeId: broker.nodeId, host: self.host, port: self.port, rack: null }],
    controllerId: () => broker.nodeId,
    topicNames: () => broker.listTopics(),
    topic: (name) => E.map((d: TopicDescription) => layout(broker, d))(broker.describeTopic(name)),
    topicName(topicId) {
      let name = names.get(topicId);
      if (name === undefined) {
        names = new Map(broker.listTopics({ includeInternal: true }).map((n) => [idOf(n) ?? '', n]));
        name = names.get(topicId);
      }
      // A name whose topic was deleted (or deleted and made again) since is no answer.
      return name !== undefined && idOf(name) === topicId ? name : undefined;
    },
    currentLeader(topic, partition) {
      const d = broker.describeTopic(topic);
      return E.isRight(d) && partition >= 0 && partition < d.right.partitions ? { leaderId: broker.nodeId, leaderEpoch: SINGLE_NODE_EPOCH } : undefined;
    },
    autoCreateTopic(name) {
      const created = broker.createTopic({ name });
      if (E.isRight(created)) return E.right({ partitions: created.right.partitions });
      // A concurrent creation by another client is fine.
      const existing = broker.describeTopic(name);
      return E.isRight(existing) ? E.right({ partitions: existing.right.partitions }) : created;
    },
  };
}

function partitionPort(broker: Broker): PartitionPort {
  return {
    // One node: every append is on every replica there is once written, whatever the acks.
    produce: (topic, partition, records) => broker.produce(topic, partition, records),
    fetch: (wanted) => broker.fetch(wanted),
    listOffset: (topic, partition, timestamp, isolationLevel) =>
      E.map((o: { offset: number; timestamp: number }) => ({ ...o, leaderEpoch: SINGLE_NODE_EPOCH }))(
        broker.listOffset(topic, partition, timestamp, isolationLevel),
      ),
    offsetForLeaderEpoch(topic, partition, currentLeaderEpoch, leaderEpoch) {
      const offsets = broker.partitionOffsets(topic, partition);
      if (E.isLeft(offsets)) return offsets;
      const refused = leaderEpochRefusal(`${topic}-${partition}`, currentLeaderEpoch, SINGLE_NODE_EPOCH);
      return refused !== undefined ? E.left(refused) : E.right(singleNodeEpochEnd(leaderEpoch, offsets.right.logEndOffset));
    },
    deleteRecords: (topic, partition, beforeOffset) => broker.deleteRecords(topic, partition, beforeOffset),
    initProducerId: () => E.right(broker.initProducerId()),
    // One node: the marker is on every replica there is once written.
    writeTxnMarker: (topic, partition, marker) => broker.writeTxnMarker(topic, partition, marker),
  };
}

/**
 * Where `leaderEpoch` ends on a single node: its log has had one leader and was
 * never truncated under a consumer, so every epoch from 0 up ends at the log
 * end. An epoch above SINGLE_NODE_EPOCH is answered so too (as itself, so a
 * Fetch's LastFetchedEpoch shows no divergence), where a Kafka broker answers
 * "unknown" (-1): a lone log keeps the partition leader epoch its producers
 * wrote into their batches (Kafka's leader overwrites it), so a consumer may
 * have read any number there, and "unknown" would make it reset its position
 * for nothing. No epoch (-1) is unknown, as with Kafka.
 */
function singleNodeEpochEnd(leaderEpoch: number, logEndOffset: number): EpochEndOffset {
  return leaderEpoch < 0 ? { leaderEpoch: -1, endOffset: -1 } : { leaderEpoch, endOffset: logEndOffset };
}

/** One node coordinates every transactional id: the Broker's TransactionCoordinator. */
function transactionPort(broker: Broker): TransactionPort {
  const coordinator = broker.transactions;
  return {
    initProducerId: (transactionalId, timeoutMs, producerId, producerEpoch) =>
      coordinator.initProducerId(transactionalId, timeoutMs, producerId, producerEpoch),
    addPartitions({ transactionalId, producerId, producerEpoch }, partitions) {
      const missing = broker.checkTxnPartitions(partitions);
      return missing !== undefined ? E.left(missing) : coordinator.addPartitions(transactionalId, producerId, producerEpoch, partitions);
    },
    addOffsets: ({ transactionalId, producerId, producerEpoch }, groupId) => coordinator.addOffsets(transactionalId, producerId, producerEpoch, groupId),
    endTxn: ({ transactionalId, producerId, producerEpoch }, commit) => coordinator.endTxn(transactionalId, producerId, producerEpoch, commit),
    commitOffsets: (params, commits) => broker.commitTxnOffsets(params, commits),
  };
}

function created(d: TopicDescription): CreatedTopic {
  return { topicId: topicIdHex(d.topicId), partitions: d.partitions, replicationFactor: 1, configs: { effective: d.config, overrides: d.configOverrides } };
}

function adminPort(broker: Broker): AdminPort {
  return {
    get maxPartitionsPerRequest() {
      return broker.limits.maxPartitionsPerRequest;
    },
    createTopic: (spec, { validateOnly }) => E.map(created)(broker.createTopic(spec, { validateOnly })),
    deleteTopic: (name) => broker.deleteTopic(name),
    createPartitions: (name, count, { validateOnly }) => E.map(() => undefined)(broker.createPartitions(name, count, { validateOnly })),
    topicConfigs: (name) => E.map((d: TopicDescription) => ({ effective: d.config, overrides: d.configOverrides }))(broker.describeTopic(name)),
    alterTopicConfig(name, change, { validateOnly }) {
      const current = broker.describeTopic(name);
      if (E.isLeft(current)) return current;
      const next = nextOverrides(current.right.configOverrides, change);
      if (E.isLeft(next)) return next;
      // The new overrides replace the old: keys no longer there go back to their defaults.
      const remove = Object.keys(current.right.configOverrides).filter((k) => !(k in next.right));
      return E.map(() => undefined)(broker.alterTopicConfig(name, { set: next.right, delete: remove }, { validateOnly }));
    },
  };
}

function nextOverrides(current: Readonly<Record<string, string>>, change: TopicConfigChange) {
  return 'ops' in change ? applyConfigOps(current, change.ops) : E.right({ ...change.config });
}

function groupPort(broker: Broker): GroupPort {
  return {
    // One node coordinates every group and every transaction.
    findCoordinator: (_key, _keyType, self) => E.right({ nodeId: broker.nodeId, host: self.host, port: self.port }),
    joinGroup: (params) => broker.joinGroup(params),
    syncGroup: (params) => broker.syncGroup(params),
    heartbeat: (params) => broker.heartbeat(params),
    leaveGroup: (params) => broker.leaveGroup(params),
    describeGroup: (groupId) => E.right(broker.describeGroup(groupId)),
    listGroups: () => broker.listGroups(),
    deleteGroup: (groupId) => broker.deleteGroup(groupId),
    deleteOffsets: (groupId, partitions) => broker.deleteOffsets(groupId, partitions),
    commitOffsets: (groupId, memberId, generationId, commits) => broker.commitOffsets(groupId, memberId, generationId, commits),
    fetchOffsets(groupId, partitions, requireStable) {
      const offsets = broker.fetchOffsets(groupId, partitions);
      if (requireStable !== true) return E.right(offsets);
      return E.right(
        offsets.map((o) => (broker.isOffsetPending(groupId, o.topic, o.partition) ? { ...o, offset: -1, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT } : o)),
      );
    },
  };
}
