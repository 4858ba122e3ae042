// core/protocol's ports on a cluster broker, so the one Kafka front end serves
// it too. Metadata lists the live brokers and each partition's leader from this
// broker's metadata image; Produce goes to the partition leader's
// appendAsLeader (acks=all answered once the high watermark passes the batch);
// Fetch reads up to the high watermark; ListOffsets and DeleteRecords are
// served at the leader; InitProducerId hands out an id of this broker's own
// block (producer-ids.ts). An admin change is decided by the active controller
// (any broker forwards it, retrying while the controller moves) and answered
// once this broker's own image shows it, so the client's next request to this
// broker sees it; validate_only runs the same decision on this broker's image
// without proposing it. Consumer groups are ClusterGroupCoordinator's.
import * as E from 'fp-ts/Either';
import { abortedTransactionsIn, CONSUMER_OFFSETS_TOPIC, DEFAULT_BROKER_LIMITS, errorName, FetchBudget, TRANSACTION_STATE_TOPIC } from '../../broker';
import { LogError } from '../../log';
import {
  auth,
  type AclBinding,
  type AclPort,
  type AdminPort,
  type BrokerPorts,
  type CreatedTopic,
  type FetchedPartition,
  type GroupPort,
  type MetadataPort,
  type PartitionPort,
  type TopicConfigs,
  type TopicLayout,
  leaderEpochRefusal,
  NO_TOPIC_ID,
  numberedTopicIdHex,
  topicNumberOfHex,
} from '../../protocol';
import { withDefaultReplication } from './default-replication';
import {
  alterTopicConfig as decideAlterTopicConfig,
  createPartitions as decideCreatePartitions,
  createTopic as decideCreateTopic,
  replicationFactorOf,
  type AlterTopicConfigRequest,
  type CreateTopicRequest,
} from '../controller/topic-admin';
import { REPLICATION_CONFIG_DEFAULTS, validateTopicConfig } from '../controller/topic-config';
import type { Decision } from '../controller/decision';
import { ErrorCode, refusal, type Refusal } from '../errors';
import type { MetadataImage, TopicImage } from '../metadata/image';
import { leaderReplica, replicaName, untilImage, type BrokerView, type HostedReplica } from './broker-view';
import { appendTxnMarkerAsLeader } from './coordinator-append';
import { brokerEndpoint } from './listener-endpoints';
import type { ClusterTransactions } from './transaction-coordinator';
import { ControllerMethod, type ControllerAnswer } from '../controller/controller-protocol';

/** The longest a Fetch waits here for min_bytes, whatever the client asks: a cluster's clients refresh their view at least this often. */
const MAX_FETCH_WAIT_MS = 1000;
const CLUSTER_ID = 'rill-cluster';
const EMPTY = Buffer.alloc(0);
/** Auto-created topics (Metadata with auto.create.topics.enable): Kafka's num.partitions and default.replication.factor. */
/** A topic a client's Metadata request creates: one partition, the cluster's default replication. */
const AUTO_CREATE = { partitions: 1, replicationFactor: -1, config: {} };
/** How long a Metadata request that auto-creates a topic waits for the controller and this broker's image. */
const AUTO_CREATE_WAIT_MS = 5000;

/** `authorizer`: the ACLs of the metadata log are enforced (none: everyone may do everything). */
export function clusterPorts(broker: BrokerView, groups: GroupPort, transactions?: ClusterTransactions, authorizer?: auth.AuthorizerConfig): BrokerPorts {
  const ports = {
    nodeId: broker.nodeId,
    metadata: clusterMetadataPort(broker),
    partitions: partitionPort(broker, transactions),
    admin: adminPort(broker),
    groups,
    transactions,
  };
  return authorizer ? { ...ports, acls: aclPort(broker, authorizer) } : ports;
}

/** How long CreateAcls and DeleteAcls wait for the controller and this broker's image (the requests carry no timeout). */
const ACL_CHANGE_WAIT_MS = 30_000;

/**
 * The authorizer over the ACLs of this broker's image (rebuilt when they
 * change: one comparison per request otherwise). CreateAcls and DeleteAcls go
 * to the controller as the exact ACLs to add and remove, and are answered once
 * this broker enforces them.
 */
function aclPort(broker: BrokerView, config: auth.AuthorizerConfig): AclPort {
  let built: { image: unknown; version: number; authorizer: auth.Authorizer } | undefined;
  const current = (): auth.Authorizer => {
    const { image } = broker;
    if (built === undefined || built.image !== image || built.version !== image.aclsVersion)
      built = { image, version: image.aclsVersion, authorizer: new auth.Authorizer(config, image.acls) };
    return built.authorizer;
  };
  const alter = (create: readonly AclBinding[], remove: readonly AclBinding[]) =>
    decided<unknown>(
      broker,
      ControllerMethod.alterAcls,
      { create, remove },
      Date.now() + ACL_CHANGE_WAIT_MS,
      () => create.every((b) => broker.image.hasAcl(b)) && remove.every((b) => !broker.image.hasAcl(b)),
      'The ACLs are changed',
    );
  return {
    authorize: (principal, host, operation, resourceType, resourceName) => current().authorize(principal, host, operation, resourceType, resourceName),
    authorizeByResourceType: (principal, host, operation, resourceType) => current().authorizeByResourceType(principal, host, operation, resourceType),
    describeAcls: (filter) => current().matching(filter),
    async createAcls(bindings) {
      const r = await alter(bindings, []);
      return bindings.map(() => (E.isLeft(r) ? r.left : undefined));
    },
    async deleteAcls(filters) {
      const matched = filters.map((f) => current().matching(f));
      const r = await alter([], matched.flat());
      return E.isLeft(r) ? r : E.right(matched);
    },
  };
}

function layout(image: MetadataImage, t: TopicImage): TopicLayout {
  const partitions = [...t.partitions.values()]
    .sort((a, b) => a.partition - b.partition)
    .map((p) => ({
      partition: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.replicas.filter((id) => !image.isUnfenced(id)),
    }));
  return {
    name: t.name,
    topicId: numberedTopicIdHex(t.topicId),
    internal: t.name === CONSUMER_OFFSETS_TOPIC || t.name === TRANSACTION_STATE_TOPIC,
    partitions,
  };
}

/**
 * The topics' layouts as Metadata answers them, built once per metadata
 * change: a client's Metadata for all of 10,000 partitions then costs no
 * per-partition work here. Any applied record (a new image object, or its
 * version moved) drops them all; the layouts are shared by the answers, never
 * changed.
 */
class LayoutCache {
  private image: MetadataImage | undefined;
  private version = -1;
  private readonly layouts = new Map<string, TopicLayout>();

  constructor(private readonly broker: BrokerView) {}

  topic(name: string): TopicLayout | undefined {
    const { image } = this.broker;
    if (image !== this.image || image.version !== this.version) {
      this.layouts.clear();
      this.image = image;
      this.version = image.version;
    }
    let l = this.layouts.get(name);
    if (l === undefined) {
      const t = image.topicByName(name);
      if (t === undefined) return undefined;
      l = layout(image, t);
      this.layouts.set(name, l);
    }
    return l;
  }
}

function unknownTopic(name: string): Refusal {
  return refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
}

/** Metadata's port: this broker's image, each topic's layout built once per metadata change. */
export function clusterMetadataPort(broker: BrokerView): MetadataPort {
  const layouts = new LayoutCache(broker);
  return {
    clusterId: CLUSTER_ID,
    // Live (unfenced) brokers, as Kafka lists them: a fenced one leads nothing.
    // On the listener the client came in on (listener-endpoints.ts).
    brokers: (self) =>
      broker.image.liveBrokers().flatMap((b) => {
        const at = brokerEndpoint(b, self.listener);
        return at === undefined ? [] : [{ nodeId: b.brokerId, ...at, rack: b.rack }];
      }),
    // Admin requests may go to any broker: each forwards them to the active controller.
    // Named is the active controller when it is also a live broker (a combined node),
    // so every broker names the same one, else this broker.
    controllerId: () => (broker.image.liveBrokers().some((b) => b.brokerId === broker.activeControllerId) ? broker.activeControllerId : broker.nodeId),
    topicNames: () => [...broker.image.topics.values()].map((t) => t.name),
    topic(name) {
      const l = layouts.topic(name);
      return l === undefined ? E.left(unknownTopic(name)) : E.right(l);
    },
    topicName(topicId) {
      const n = topicNumberOfHex(topicId);
      return n === undefined ? undefined : broker.image.topics.get(n)?.name;
    },
    currentLeader(topic, partition) {
      const p = broker.image.topicByName(topic)?.partitions.get(partition);
      return p === undefined || p.leader < 0 ? undefined : { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
    },
    async autoCreateTopic(name) {
      const created = await createTopicAtController(
        broker,
        withDefaultReplication({ name, ...AUTO_CREATE }, broker.image.liveBrokers().length),
        Date.now() + AUTO_CREATE_WAIT_MS,
      );
      if (E.isLeft(created) && created.left.code !== ErrorCode.TOPIC_ALREADY_EXISTS) return created;
      return E.right({ partitions: broker.image.topicByName(name)?.partitions.size ?? AUTO_CREATE.partitions });
    },
  };
}

function partitionPort(broker: BrokerView, transactions: ClusterTransactions | undefined): PartitionPort {
  return {
    produce(topic, partition, records, acks, timeoutMs) {
      const leader = leaderReplica(broker, topic, partition);
      if (E.isLeft(leader)) return leader;
      const h = leader.right;
      const outcome = h.replica.appendAsLeader(records, acks);
      if (!('baseOffset' in outcome)) return E.left(refusal(outcome.errorCode, outcome.message));
      if (outcome.duplicate)
        broker.log(
          `broker ${broker.nodeId}: ${h.name}: a retried idempotent batch (offsets ${outcome.baseOffset}..${outcome.lastOffset}) is answered with its original offsets, not written again`,
        );
      else broker.appended(h);
      const appended = { baseOffset: outcome.baseOffset, logAppendTime: -1, logStartOffset: h.log.logStartOffset };
      if (outcome.acknowledged) return E.right(appended);
      return acknowledged(broker, h, outcome.lastOffset, timeoutMs, appended);
    },

    async fetch(wanted) {
      const deadline = Date.now() + Math.min(wanted.maxWaitMs, MAX_FETCH_WAIT_MS);
      const readCommitted = wanted.isolationLevel === 1;
      for (;;) {
        let bytes = 0;
        const budget = new FetchBudget(wanted.maxBytes, broker.fetchMaxBytes);
        const results = wanted.partitions.map((p): FetchedPartition => {
          const none = (errorCode: number): FetchedPartition => ({
            topic: p.topic,
            partition: p.partition,
            errorCode,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            abortedTransactions: null,
            records: EMPTY,
          });
          const leader = leaderReplica(broker, p.topic, p.partition);
          if (E.isLeft(leader)) return none(leader.left.code);
          const h = leader.right;
          const hw = h.replica.highWatermark;
          const lso = h.log.lastStableOffset;
          const upTo = readCommitted ? lso : hw;
          if (p.offset > h.replica.logEndOffset || p.offset < h.log.logStartOffset) return none(ErrorCode.OFFSET_OUT_OF_RANGE);
          let records: Buffer;
          try {
            records = p.offset >= upTo ? EMPTY : budget.take(p.maxBytes, (max) => h.replica.readCommitted(p.offset, max, upTo), EMPTY);
          } catch (e) {
            // Damage met on disk (KAFKA_STORAGE_ERROR): this partition answers it, the others are served.
            if (e instanceof LogError) return none(e.code);
            throw e;
          }
          bytes += records.length;
          return {
            topic: p.topic,
            partition: p.partition,
            errorCode: 0,
            highWatermark: hw,
            lastStableOffset: lso,
            logStartOffset: h.log.logStartOffset,
            abortedTransactions: readCommitted ? abortedTransactionsIn(h.log, p.offset, records) : null,
            records,
          };
        });
        const wait = deadline - Date.now();
        if (bytes >= Math.max(1, wanted.minBytes) || wait <= 0 || wanted.signal.aborted) return results;
        await broker.nextChange(wait, wanted.signal);
      }
    },

    listOffset(topic, partition, timestamp, isolationLevel) {
      return E.map((h: HostedReplica) => {
        // read_committed sees up to the last stable offset only.
        const hw = isolationLevel === 1 ? h.log.lastStableOffset : h.replica.highWatermark;
        const leaderEpoch = h.replica.leaderEpoch;
        if (timestamp === -2) return { offset: h.log.logStartOffset, timestamp: -1, leaderEpoch };
        if (timestamp === -1) return { offset: hw, timestamp: -1, leaderEpoch };
        // Only what the in-sync replicas have is visible: a timestamp found above the high watermark is not yet.
        // Nothing found is UNKNOWN_OFFSET (-1), as Kafka and the single node answer, not the end of the log.
        const found = h.log.recordForTimestamp(timestamp);
        return found === undefined || found.offset >= hw
          ? { offset: -1, timestamp: -1, leaderEpoch: -1 }
          : { offset: found.offset, timestamp: found.timestamp, leaderEpoch };
      })(leaderReplica(broker, topic, partition));
    },

    /**
     * Answered from the leader's epoch cache as Kafka's LeaderEpochFileCache
     * answers it; checked in Kafka's order: an unknown partition, then the
     * client's epoch against this broker's replica (a follower knows its
     * leader's epoch too), then whether this broker leads.
     */
    offsetForLeaderEpoch(topic, partition, currentLeaderEpoch, leaderEpoch) {
      const leader = leaderReplica(broker, topic, partition);
      if (E.isLeft(leader) && leader.left.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return leader;
      const hosted = broker.replicas.get(replicaName(topic, partition));
      const refused = hosted === undefined ? undefined : leaderEpochRefusal(hosted.name, currentLeaderEpoch, hosted.replica.leaderEpoch);
      if (refused !== undefined) return E.left(refused);
      return E.map((h: HostedReplica) => {
        const { epoch, endOffset } = h.log.leaderEpochs.endOffsetFor(leaderEpoch, h.replica.logEndOffset);
        return { leaderEpoch: epoch, endOffset };
      })(leader);
    },

    /**
     * The leader's log start offset moves to the given offset (-1: the high
     * watermark), never past the high watermark (OFFSET_OUT_OF_RANGE), and
     * followers follow it from their next fetch response.
     */
    deleteRecords(topic, partition, beforeOffset) {
      const leader = leaderReplica(broker, topic, partition);
      if (E.isLeft(leader)) return leader;
      const h = leader.right;
      const hw = h.replica.highWatermark;
      const before = beforeOffset === -1 ? hw : beforeOffset;
      if (before < 0 || before > hw)
        return E.left(refusal(ErrorCode.OFFSET_OUT_OF_RANGE, `${h.name}: records can be deleted up to the high watermark ${hw}, not ${beforeOffset}.`));
      const lowWatermark = h.log.deleteRecordsBefore(before);
      // Parked follower fetches are answered now, so the followers learn the new start at once.
      broker.appended(h);
      return E.right(lowWatermark);
    },

    initProducerId: () => broker.initProducerId(),
    // With a transaction coordinator, a marker on __consumer_offsets also completes the pending offsets there.
    writeTxnMarker: (topic, partition, marker) =>
      transactions !== undefined ? transactions.writeLocalMarker(topic, partition, marker) : appendTxnMarkerAsLeader(broker, topic, partition, marker),
  };
}

/** Asks the controller for a change, then waits until this broker's image shows it (`shown`); the response, or the refusal. */
/** Resolves once the in-sync replicas have everything up to `lastOffset` (acks=all), or refuses with why not. */
function acknowledged<T>(broker: BrokerView, h: HostedReplica, lastOffset: number, timeoutMs: number, answer: T): Promise<E.Either<Refusal, T>> {
  return broker
    .awaitAppend(h, lastOffset, timeoutMs)
    .then((code) =>
      code === 0 ? E.right(answer) : E.left(refusal(code, `${h.name}: the in-sync replicas did not acknowledge the append (${errorName(code)}); retry.`)),
    );
}

async function decided<R>(
  broker: BrokerView,
  method: string,
  body: unknown,
  deadline: number,
  shown: (response: R) => boolean,
  notYet: string,
): Promise<E.Either<Refusal, R>> {
  const a: ControllerAnswer<R> = await broker.askController<R>(method, body, deadline);
  if (a.errorCode !== 0 || a.response === undefined) return E.left(refusal(a.errorCode, a.message ?? errorName(a.errorCode)));
  const response = a.response;
  const seen = await untilImage(broker, deadline, () => shown(response));
  return seen
    ? E.right(response)
    : E.left(refusal(ErrorCode.REQUEST_TIMED_OUT, `${notYet}, but broker ${broker.nodeId} has not seen it yet; it will shortly.`));
}

/** validate_only: the controller's decision made on this broker's image, not proposed. */
function validated<R>(d: Decision<R>): E.Either<Refusal, void> {
  return E.isLeft(d) ? d : E.right(undefined);
}

function createTopicAtController(broker: BrokerView, request: CreateTopicRequest, deadline: number): Promise<E.Either<Refusal, unknown>> {
  // Answered once this broker's image has the topic, so the client's next Metadata shows it.
  return decided<{ topicId: number }>(
    broker,
    ControllerMethod.createTopic,
    request,
    deadline,
    ({ topicId }) => broker.image.topics.has(topicId),
    `Topic ${request.name} is created`,
  );
}

/** A topic's every setting (log and replication) from this broker's image, its overrides marked. */
function topicConfigs(topic: TopicImage): E.Either<Refusal, TopicConfigs> {
  const valid = validateTopicConfig(topic.name, topic.config, replicationFactorOf(topic));
  if (E.isLeft(valid)) return valid;
  const effective: Record<string, unknown> = { ...valid.right.log };
  for (const [key, value] of Object.entries(REPLICATION_CONFIG_DEFAULTS)) effective[key] = topic.config[key] ?? value;
  return E.right({ effective, overrides: topic.config });
}

function sameConfig(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  return a !== undefined && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
}

function adminPort(broker: BrokerView): AdminPort {
  return {
    maxPartitionsPerRequest: DEFAULT_BROKER_LIMITS.maxPartitionsPerRequest,

    async createTopic(spec, { validateOnly, deadline }) {
      const request: CreateTopicRequest = withDefaultReplication(
        { name: spec.name, partitions: Math.max(1, spec.partitions), replicationFactor: spec.replicationFactor, config: spec.config },
        broker.image.liveBrokers().length,
      );
      const answer = (): CreatedTopic => {
        const t = broker.image.topicByName(spec.name);
        const configs = t === undefined ? undefined : topicConfigs(t);
        return {
          topicId: t === undefined ? NO_TOPIC_ID : numberedTopicIdHex(t.topicId),
          partitions: request.partitions,
          replicationFactor: request.replicationFactor,
          configs: configs !== undefined && E.isRight(configs) ? configs.right : null,
        };
      };
      if (validateOnly) return E.map(answer)(validated(decideCreateTopic(broker.image, request)));
      return E.map(answer)(await createTopicAtController(broker, request, deadline));
    },

    async deleteTopic(name, deadline) {
      const deleted = await decided<{ topicId: number }>(
        broker,
        ControllerMethod.deleteTopic,
        { name },
        deadline,
        ({ topicId }) => !broker.image.topics.has(topicId),
        `Topic ${name} is deleted`,
      );
      return E.map(() => undefined)(deleted);
    },

    async createPartitions(name, count, { validateOnly, deadline }) {
      const request = { name, count };
      if (validateOnly) return validated(decideCreatePartitions(broker.image, request));
      const grown = await decided<{ topicId: number }>(
        broker,
        ControllerMethod.createPartitions,
        request,
        deadline,
        ({ topicId }) => (broker.image.topics.get(topicId)?.partitions.size ?? 0) >= count,
        `Topic ${name} has ${count} partitions now`,
      );
      return E.map(() => undefined)(grown);
    },

    topicConfigs(name) {
      const topic = broker.image.topicByName(name);
      return topic === undefined ? E.left(unknownTopic(name)) : topicConfigs(topic);
    },

    // The controller applies the change to the overrides it holds: one decision, so concurrent changes do not undo each other.
    async alterTopicConfig(name, change, { validateOnly, deadline }) {
      const request: AlterTopicConfigRequest = { name, ...change };
      if (validateOnly) return validated(decideAlterTopicConfig(broker.image, request));
      const altered = await decided<{ topicId: number; config: Record<string, string> }>(
        broker,
        ControllerMethod.alterTopicConfig,
        request,
        deadline,
        ({ topicId, config }) => sameConfig(broker.image.topics.get(topicId)?.config, config),
        `Topic ${name} has its new config`,
      );
      return E.map(() => undefined)(altered);
    },
  };
}
