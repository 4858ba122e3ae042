// What the Kafka front end needs from a broker, as four small ports: the
// handlers in apis/ answer every request through these and nothing else, so one
// front end (connection, framing, version gate, bounds, validation, handlers)
// serves both the single-node broker (single-node.ts) and a cluster broker
// (core/cluster's implementation over its metadata image and replicas).
//
// Refusals are values carrying the Kafka error code (PortError; core/broker's
// BrokerError and core/cluster's Refusal both fit). A call that may need the
// network in a cluster returns MaybeAsync: the single node answers at once, so
// its hot paths (Produce, ListOffsets) never wait a microtask. Record bytes pass
// through untouched: Produce hands the client's RecordBatch bytes over, Fetch
// returns stored bytes.
import type { Either } from 'fp-ts/Either';

export type MaybeAsync<T> = T | Promise<T>;

/** A refusal: the Kafka error code and a message saying what to do. */
export interface PortError {
  readonly code: number;
  readonly message: string;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** The name of the listener a client reached this one on (EXTERNAL, SASL_SSL, ...): a cluster tells it the other brokers' addresses on that listener. */
  readonly listener?: string;
}

export interface BrokerEndpoint extends Endpoint {
  readonly nodeId: number;
  readonly rack: string | null;
}

// ---------------------------------------------------------------- metadata

export interface PartitionLayout {
  readonly partition: number;
  /** -1 while the partition has no leader. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
}

export interface TopicLayout {
  readonly name: string;
  /** The topic's UUID (hex), as Metadata v10+ and Fetch v13+ carry it. */
  readonly topicId: string;
  readonly internal: boolean;
  /** In partition order. */
  readonly partitions: readonly PartitionLayout[];
}

/** A partition's leader and its epoch. */
export interface PartitionLeader {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

/** Who the brokers are and where the partitions live (Metadata, and the admin handlers' checks). */
export interface MetadataPort {
  readonly clusterId: string;
  /** The brokers a client may connect to; `self` is this node as the client reached it. */
  brokers(self: Endpoint): BrokerEndpoint[];
  /** The broker clients send admin requests to. */
  controllerId(): number;
  topicNames(): string[];
  topic(name: string): Either<PortError, TopicLayout>;
  /** The name of the topic with this UUID (hex); undefined when there is none (UNKNOWN_TOPIC_ID). */
  topicName(topicId: string): string | undefined;
  /**
   * Who leads the partition now, as this node last learnt it (KIP-951: a
   * NOT_LEADER_OR_FOLLOWER answer names the new leader so the client need not
   * ask Metadata). Undefined when the partition is unknown or has no leader.
   */
  currentLeader(topic: string, partition: number): PartitionLeader | undefined;
  /** Creates a topic with the defaults for a client's Metadata request (auto.create.topics.enable); TOPIC_ALREADY_EXISTS is a success. */
  autoCreateTopic(name: string): MaybeAsync<Either<PortError, { partitions: number }>>;
}

// ---------------------------------------------------------------- partitions

export type Acks = -1 | 0 | 1;

export interface Appended {
  readonly baseOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
}

/** Kafka's isolation_level: 0 read_uncommitted (up to the high watermark), 1 read_committed (up to the last stable offset). */
export type IsolationLevel = 0 | 1;

export interface FetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Per-partition byte budget; the first batch is returned whole even if larger (KIP-74). */
  readonly maxBytes: number;
}

export interface FetchWanted {
  readonly partitions: readonly FetchPartition[];
  /** How long to wait for minBytes (long poll). */
  readonly maxWaitMs: number;
  readonly minBytes: number;
  /** Budget for the whole response. */
  readonly maxBytes: number;
  /** Ends the wait when the connection closes or the server stops. */
  readonly signal: AbortSignal;
  /** Default 0 (read_uncommitted). read_committed stops at the last stable offset and lists the aborted transactions. */
  readonly isolationLevel?: IsolationLevel;
}

/** An aborted transaction among a partition's fetched records: the consumer drops its records. */
export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** read_committed: the aborted transactions in `records` (empty when none); null for read_uncommitted. */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  /** Stored RecordBatch v2 bytes, possibly ending with a partial batch. */
  readonly records: Buffer;
}

export interface ListedOffset {
  readonly offset: number;
  readonly timestamp: number;
  readonly leaderEpoch: number;
}

/** Where a leader epoch ends in a partition's log (OffsetsForLeaderEpoch); -1 and -1 when the log cannot place it. */
export interface EpochEndOffset {
  readonly leaderEpoch: number;
  readonly endOffset: number;
}

export interface TxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
}

export interface ProducerIdGrant {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Reads and writes of partition logs, at their leader. */
export interface PartitionPort {
  /** Appends the client's batch bytes; acks=-1 resolves once the in-sync replicas have it or `timeoutMs` passes. */
  produce(topic: string, partition: number, records: Buffer, acks: Acks, timeoutMs: number): MaybeAsync<Either<PortError, Appended>>;
  /** One answer per partition asked, in request order, after up to maxWaitMs for minBytes. */
  fetch(wanted: FetchWanted): Promise<readonly FetchedPartition[]>;
  /**
   * -2 earliest, -1 latest (high watermark; the last stable offset for
   * read_committed), -3 largest timestamp, else the first offset at or after the timestamp.
   */
  listOffset(topic: string, partition: number, timestamp: number, isolationLevel?: IsolationLevel): Either<PortError, ListedOffset>;
  /**
   * OffsetsForLeaderEpoch at the partition's leader (KIP-101, KIP-320): the
   * largest epoch <= `leaderEpoch` the log knows and where it ends (the log end
   * for the current epoch). `currentLeaderEpoch` is the asker's view of the
   * leader's epoch (-1: not checked): older is FENCED_LEADER_EPOCH, newer
   * UNKNOWN_LEADER_EPOCH (leader-epoch.ts).
   */
  offsetForLeaderEpoch(topic: string, partition: number, currentLeaderEpoch: number, leaderEpoch: number): Either<PortError, EpochEndOffset>;
  /** Moves the log start offset to `beforeOffset` (-1: the high watermark); the new low watermark. */
  deleteRecords(topic: string, partition: number, beforeOffset: number): Either<PortError, number>;
  /** A fresh id for an idempotent producer. */
  initProducerId(): Either<PortError, ProducerIdGrant>;
  /** Appends the COMMIT or ABORT control batch ending the producer's transaction on this partition (WriteTxnMarkers); resolves once it is durable as acks=all would be. */
  writeTxnMarker(topic: string, partition: number, marker: TxnMarker): MaybeAsync<Either<PortError, void>>;
}

// ---------------------------------------------------------------- admin

export interface NewTopicSpec {
  readonly name: string;
  /** -1: the broker's default. */
  readonly partitions: number;
  /** -1: the broker's default. */
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface TopicConfigs {
  /** Every setting with its effective value. */
  readonly effective: Readonly<Record<string, unknown>>;
  /** The topic's own overrides. */
  readonly overrides: Readonly<Record<string, string>>;
}

export interface CreatedTopic {
  /** Hex UUID ('' when the broker has none to give). */
  readonly topicId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Its configs as created, when known. */
  readonly configs: TopicConfigs | null;
}

/** A change to a topic's overrides: all of them replaced (AlterConfigs), or operations on them (IncrementalAlterConfigs). */
export type TopicConfigChange =
  | { readonly config: Readonly<Record<string, string>> }
  | { readonly ops: readonly { readonly name: string; readonly op: number; readonly value: string | null }[] };

/** How an admin change is carried out: checked only, and by when it must be done (epoch ms). */
export interface AdminOptions {
  readonly validateOnly: boolean;
  readonly deadline: number;
}

/** Topic administration. Changes are answered once this broker shows them (its next Metadata has them). */
export interface AdminPort {
  /** max.partitions.per.request. */
  readonly maxPartitionsPerRequest: number;
  createTopic(spec: NewTopicSpec, options: AdminOptions): MaybeAsync<Either<PortError, CreatedTopic>>;
  deleteTopic(name: string, deadline: number): MaybeAsync<Either<PortError, void>>;
  /** Grows the topic to `count` partitions. */
  createPartitions(name: string, count: number, options: AdminOptions): MaybeAsync<Either<PortError, void>>;
  topicConfigs(name: string): Either<PortError, TopicConfigs>;
  alterTopicConfig(name: string, change: TopicConfigChange, options: AdminOptions): MaybeAsync<Either<PortError, void>>;
}

// ---------------------------------------------------------------- groups

export interface JoinGroupParams {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId?: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs?: number;
  readonly protocolType: string;
  readonly protocols: { name: string; metadata: Buffer }[];
}

export interface JoinGroupResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  readonly members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncGroupParams {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface LeaveGroupResult {
  readonly errorCode: number;
  readonly members: readonly { memberId: string; errorCode: number }[];
}

export interface GroupDescription {
  readonly state: string;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly members: readonly { memberId: string; groupInstanceId: string | null; clientId: string; metadata: Buffer; assignment: Buffer }[];
}

export interface GroupListing {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string | null;
}

export interface OffsetCommitEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface CommitResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1 where nothing is committed. */
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  /** UNSTABLE_OFFSET_COMMIT where a stable offset was asked for and an open transaction holds one; absent: 0. */
  readonly errorCode?: number;
}

/** Consumer groups: their coordinator, membership and committed offsets. */
export interface GroupPort {
  /** The coordinator of a group (keyType 0) or transaction (1); `self` is this node as the client reached it. */
  findCoordinator(key: string, keyType: number, self: Endpoint): MaybeAsync<Either<PortError, { nodeId: number; host: string; port: number }>>;
  joinGroup(params: JoinGroupParams): Promise<JoinGroupResult>;
  syncGroup(params: SyncGroupParams): Promise<SyncGroupResult>;
  heartbeat(params: { groupId: string; generationId: number; memberId: string }): Promise<{ errorCode: number }>;
  leaveGroup(params: { groupId: string; memberIds: string[] }): Promise<LeaveGroupResult>;
  describeGroup(groupId: string): MaybeAsync<Either<PortError, GroupDescription>>;
  /** Groups with members or committed offsets. */
  listGroups(): MaybeAsync<GroupListing[]>;
  /** An empty group and its committed offsets. */
  deleteGroup(groupId: string): MaybeAsync<Either<PortError, void>>;
  commitOffsets(groupId: string, memberId: string, generationId: number, commits: readonly OffsetCommitEntry[]): MaybeAsync<readonly CommitResult[]>;
  /** OffsetDelete: the group's committed offsets of these partitions; a partition whose topic the group's members consume answers GROUP_SUBSCRIBED_TO_TOPIC. */
  deleteOffsets(
    groupId: string,
    partitions: readonly { topic: string; partition: number }[],
  ): MaybeAsync<Either<PortError, readonly { topic: string; partition: number; errorCode: number }[]>>;
  /**
   * Committed offsets, all of the group's when `partitions` is omitted. With
   * `requireStable`, a partition an open transaction holds an offset for answers
   * UNSTABLE_OFFSET_COMMIT instead.
   */
  fetchOffsets(
    groupId: string,
    partitions?: readonly { topic: string; partition: number }[],
    requireStable?: boolean,
  ): MaybeAsync<Either<PortError, readonly CommittedOffset[]>>;
}

// ---------------------------------------------------------------- transactions

export interface TxnProducer {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** A TxnOffsetCommit's producer and group member (generation -1 and member '': no member check, as before KIP-447). */
export interface TxnOffsetCommitParams extends TxnProducer {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
}

/** The transaction coordinator (KIP-98): transactional ids, their producers and transactions. */
export interface TransactionPort {
  /** InitProducerId with a transactional id: its producer id, the epoch bumped (fencing the previous producer); -1/-1 or the current id and epoch (KIP-360). */
  initProducerId(transactionalId: string, timeoutMs: number, producerId: number, producerEpoch: number): MaybeAsync<Either<PortError, ProducerIdGrant>>;
  /** AddPartitionsToTxn: the partitions join the producer's transaction. */
  addPartitions(txn: TxnProducer, partitions: readonly { topic: string; partition: number }[]): MaybeAsync<Either<PortError, void>>;
  /** AddOffsetsToTxn: the group's offsets join the producer's transaction. */
  addOffsets(txn: TxnProducer, groupId: string): MaybeAsync<Either<PortError, void>>;
  /** EndTxn: commits or aborts the producer's transaction. */
  endTxn(txn: TxnProducer, commit: boolean): MaybeAsync<Either<PortError, void>>;
  /** TxnOffsetCommit: offsets visible to OffsetFetch once the transaction commits. */
  commitOffsets(params: TxnOffsetCommitParams, commits: readonly OffsetCommitEntry[]): MaybeAsync<readonly CommitResult[]>;
}

/** Everything a Kafka front end serves from. */
// ---------------------------------------------------------------- security

/**
 * A user's SCRAM credential as Kafka's UserScramCredentialRecord holds it
 * (mechanism: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512): salted keys, never a password.
 */
export interface ScramCredentialRecord {
  readonly mechanism: number;
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export type ScramCredentialChange =
  | { readonly kind: 'upsert'; readonly user: string; readonly credential: ScramCredentialRecord }
  | { readonly kind: 'delete'; readonly user: string; readonly mechanism: number };

/** Authentication: the SASL mechanisms enabled and the SCRAM credentials (SaslHandshake, SaslAuthenticate, *UserScramCredentials). */
export interface SecurityPort {
  /** The SASL mechanism names the listener accepts, as SaslHandshake lists them. */
  readonly saslMechanisms: readonly string[];
  /** The user's credential for a mechanism; synchronous, as a SCRAM exchange asks for it mid-step. */
  scramCredential(user: string, mechanism: number): ScramCredentialRecord | undefined;
  /** Every user with SCRAM credentials, and theirs. */
  scramUsers(): ReadonlyMap<string, readonly ScramCredentialRecord[]>;
  /** Applies the changes (already validated), all or, on a storage failure, a refusal. */
  alterScramCredentials(changes: readonly ScramCredentialChange[]): MaybeAsync<PortError | undefined>;
}

// ---------------------------------------------------------------- authorization

/** One ACL, in Kafka's codes (core/protocol/auth names them): who may (or may not) do what to which resources, from which host. */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  /** LITERAL (3) or PREFIXED (4). */
  readonly patternType: number;
  /** "User:alice", or "User:*" for everyone. */
  readonly principal: string;
  /** An IP address, or "*". */
  readonly host: string;
  readonly operation: number;
  /** DENY (2) or ALLOW (3). */
  readonly permission: number;
}

/** Which ACLs a DescribeAcls or DeleteAcls means: null strings and ANY codes match all; pattern MATCH also matches the wildcard and prefixes covering the name. */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permission: number;
}

/** The authorizer and its ACLs (DescribeAcls, CreateAcls, DeleteAcls). Bindings and filters reach it validated. */
export interface AclPort {
  /** Whether `principal`, connected from `host`, may perform `operation` on the resource: super users, DENY before ALLOW, implied DESCRIBE, the no-ACL rule. */
  authorize(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean;
  /** Whether the principal may perform `operation` on some resource of the type (an idempotent producer's WRITE on any topic). */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean;
  describeAcls(filter: AclBindingFilter): readonly AclBinding[];
  /** Adds the bindings (one already there is kept once); one answer per binding, undefined for success. */
  createAcls(bindings: readonly AclBinding[]): MaybeAsync<readonly (PortError | undefined)[]>;
  /** Removes every ACL each filter matches; per filter, the ones removed. */
  deleteAcls(filters: readonly AclBindingFilter[]): MaybeAsync<Either<PortError, readonly (readonly AclBinding[])[]>>;
}

export interface BrokerPorts {
  /** This broker's id. */
  readonly nodeId: number;
  readonly metadata: MetadataPort;
  readonly partitions: PartitionPort;
  readonly admin: AdminPort;
  readonly groups: GroupPort;
  /** Absent: transactions are not served here (their APIs refuse with a message saying so). */
  readonly transactions?: TransactionPort;
  /** Absent: the listener authenticates no one (and the SCRAM admin APIs refuse). */
  readonly security?: SecurityPort;
  /** Absent: no authorizer (everyone may do everything, and the ACL APIs answer SECURITY_DISABLED). */
  readonly acls?: AclPort;
}
