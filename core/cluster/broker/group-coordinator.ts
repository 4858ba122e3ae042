// Consumer groups on a cluster, coordinated as Kafka does it: committed offsets
// are records of the replicated, compacted cluster topic `__consumer_offsets`
// (OFFSETS_TOPIC_PARTITIONS partitions, replication factor min(3, live brokers),
// min.insync.replicas 2 when it has 3 replicas, else 1), in core/broker's record
// format (OffsetCommitKey v1 / OffsetCommitValue v3). The first FindCoordinator
// creates the topic through the controller's normal CreateTopic path.
//
// The coordinator of a group is the current leader of partition
// offsetsPartitionFor(groupId) — Kafka's abs(javaStringHash(groupId)) % N, from
// core/broker. FindCoordinator on any broker names it from the metadata image
// (COORDINATOR_NOT_AVAILABLE while the partition has no live leader or the
// topic is being created); a broker that does not lead the group's partition
// answers the group APIs with NOT_COORDINATOR, so clients look again.
//
// OffsetCommit appends one batch through the leader's replicated append with
// acks=all and answers once the high watermark passes it (BrokerProcess's
// awaitAppend, as Produce does), then updates the in-memory OffsetCache that
// OffsetFetch reads. A broker that becomes leader of an offsets partition loads
// its cache by reading the partition's log to its end; it drops the cache when
// it stops leading. So an acknowledged commit lives on every ISR member and the
// next leader (chosen from the ISR) serves it.
//
// This is the cluster's GroupPort: core/protocol's group handlers call it.
// Membership (join/sync/heartbeat/leave) stays in memory, run by core/broker's
// GroupService over the offsets partitions this broker leads (commits are
// checked by its checkOffsetCommit and written to the cluster topic; DeleteGroups
// tombstones a group's offsets there). After the coordinator moves, members find
// the new one and rejoin, as with Kafka. Commits to the group of an application
// run by `rill worker` must come from one of its registered workers
// (app-commit-fence.ts).
import * as E from 'fp-ts/Either';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BrokerError,
  CONSUMER_OFFSETS_TOPIC,
  ErrorCode,
  errorName,
  GroupService,
  OffsetCache,
  offsetCommitRecords,
  offsetsPartitionFor,
  offsetTombstones,
  type CommittedOffset,
  type OffsetCommit,
  type OffsetDeletion,
} from '../../broker';
import { encodeRecordBatch, type RecordInput } from '../../log';
import type {
  CommitResult,
  GroupDescription,
  GroupListing,
  Endpoint,
  GroupPort,
  JoinGroupParams,
  JoinGroupResult,
  LeaveGroupResult,
  OffsetCommitEntry,
  SyncGroupParams,
  SyncGroupResult,
  TxnOffsetCommitParams,
} from '../../protocol';
import { refusal, type Refusal } from '../errors';
import { defaultReplication } from './default-replication';
import { appCommitStanding } from './app-commit-fence';
import { replicaName, type BrokerView, type HostedReplica } from './broker-view';
import { appendCoordinatorBatch } from './coordinator-append';
import { brokerEndpoint } from './listener-endpoints';

/** Partitions of the cluster's `__consumer_offsets` (Kafka's offsets.topic.num.partitions, 50 there). */
export const OFFSETS_TOPIC_PARTITIONS = 3;
/** Kafka's offsets.commit.timeout.ms: how long a commit waits for the ISR. */
const OFFSET_COMMIT_TIMEOUT_MS = 5000;
const CREATE_TIMEOUT_MS = 5000;
/** How long a worker's commit waits for this broker's metadata image to show its registration. */
const APP_COMMIT_IMAGE_WAIT_MS = 3000;
const EMPTY = Buffer.alloc(0);
/** Where membership kept an embedded broker before the GroupService. */
const LEGACY_GROUPS_DIR = 'groups';
/** The offsets of a group this broker does not coordinate: none. */
const NO_OFFSETS = new OffsetCache();

/** An offsets partition this broker leads, with its committed offsets loaded. */
interface LoadedPartition {
  readonly partition: number;
  readonly hosted: HostedReplica;
  readonly leaderEpoch: number;
  readonly cache: OffsetCache;
}

export class ClusterGroupCoordinator implements GroupPort {
  /** Group membership (core/broker's GroupService) over the committed offsets of the partitions loaded here. */
  private readonly membership: GroupService<Promise<number>>;
  private readonly loaded = new Map<number, LoadedPartition>();
  private creating = false;

  constructor(
    private readonly broker: BrokerView,
    dataDir: string,
  ) {
    noteLegacyGroupsDir(dataDir, (m) => broker.log(`broker ${broker.nodeId}: ${m}`));
    this.membership = new GroupService({
      groupIds: () => [...this.loaded.values()].flatMap((l) => l.cache.groupIds()),
      fetch: (groupId, partitions) => this.loadedFor(groupId)?.cache.fetch(groupId, partitions) ?? NO_OFFSETS.fetch(groupId, partitions),
      deleteGroup: (groupId) => this.tombstone(groupId),
      deleteOffsets: (groupId, partitions) => this.tombstone(groupId, partitions),
    });
  }

  /** The offsets partition that holds `groupId`, once the topic exists. */
  partitionFor(groupId: string): number | undefined {
    const t = this.broker.image.topicByName(CONSUMER_OFFSETS_TOPIC);
    return t === undefined || t.partitions.size === 0 ? undefined : offsetsPartitionFor(groupId, t.partitions.size);
  }

  /** The coordinator of `groupId` as the metadata image says: the live leader of its offsets partition. */
  coordinator(groupId: string): { nodeId: number; host: string; port: number } | undefined {
    const image = this.broker.image;
    const p = this.partitionFor(groupId);
    const leader = p === undefined ? -1 : (image.topicByName(CONSUMER_OFFSETS_TOPIC)?.partitions.get(p)?.leader ?? -1);
    const b = image.brokers.get(leader);
    return leader >= 0 && b !== undefined && image.isUnfenced(leader) ? { nodeId: leader, host: b.host, port: b.port } : undefined;
  }

  /**
   * Loads the committed offsets of each offsets partition this broker has just
   * come to lead (its log read to its end), and drops those it no longer leads.
   * The broker calls this whenever partition state may have changed.
   */
  onReplicasChanged(): void {
    const t = this.broker.image.topicByName(CONSUMER_OFFSETS_TOPIC);
    const count = Math.max(t?.partitions.size ?? 0, ...[...this.loaded.keys()].map((p) => p + 1));
    for (let p = 0; p < count; p++) {
      const h = this.broker.replicas.get(replicaName(CONSUMER_OFFSETS_TOPIC, p));
      const current = this.loaded.get(p);
      if (h === undefined || h.replica.role !== 'leader') {
        if (current !== undefined) {
          this.loaded.delete(p);
          this.broker.log(`broker ${this.broker.nodeId}: no longer coordinates the groups of ${CONSUMER_OFFSETS_TOPIC}-${p}`);
        }
        continue;
      }
      if (current !== undefined && current.hosted === h && current.leaderEpoch === h.replica.leaderEpoch) continue;
      const cache = new OffsetCache();
      try {
        cache.load(h.log, h.log.logEndOffset);
      } catch (e) {
        this.loaded.delete(p);
        this.broker.log(`broker ${this.broker.nodeId}: cannot load ${h.name}: ${(e as Error).message}`);
        continue;
      }
      this.loaded.set(p, { partition: p, hosted: h, leaderEpoch: h.replica.leaderEpoch, cache });
      this.broker.log(
        `broker ${this.broker.nodeId}: coordinates the groups of ${h.name} (leader epoch ${h.replica.leaderEpoch}, ${cache.groupIds().length} groups with offsets, log end offset ${h.log.logEndOffset})`,
      );
    }
  }

  /** The loaded offsets partition of `groupId`, if this broker has loaded it. */
  private loadedFor(groupId: string): LoadedPartition | undefined {
    const p = this.partitionFor(groupId);
    return p === undefined ? undefined : this.loaded.get(p);
  }

  /** The loaded partition when this broker coordinates `groupId` now, else the error to answer. */
  private owned(groupId: string): LoadedPartition | number {
    if (!groupId) return ErrorCode.INVALID_GROUP_ID;
    const p = this.partitionFor(groupId);
    if (p === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const l = this.loaded.get(p);
    const h = this.broker.replicas.get(replicaName(CONSUMER_OFFSETS_TOPIC, p));
    if (l === undefined || h !== l.hosted || h.replica.role !== 'leader' || h.replica.leaderEpoch !== l.leaderEpoch) return ErrorCode.NOT_COORDINATOR;
    return l;
  }

  /** Creates `__consumer_offsets` through the controller, once at a time. */
  private ensureOffsetsTopic(): void {
    if (this.creating || this.broker.image.topicByName(CONSUMER_OFFSETS_TOPIC) !== undefined) return;
    const live = this.broker.image.liveBrokers().length;
    if (live === 0) return;
    const { replicationFactor, minInsyncReplicas } = defaultReplication(live);
    const config = { 'cleanup.policy': 'compact', 'min.insync.replicas': String(minInsyncReplicas) };
    this.creating = true;
    this.broker.log(
      `broker ${this.broker.nodeId}: creating ${CONSUMER_OFFSETS_TOPIC} (${OFFSETS_TOPIC_PARTITIONS} partitions, replication factor ${replicationFactor})`,
    );
    void this.broker
      .createTopic({ name: CONSUMER_OFFSETS_TOPIC, partitions: OFFSETS_TOPIC_PARTITIONS, replicationFactor, config }, CREATE_TIMEOUT_MS)
      .then((a) => {
        if (a.errorCode !== 0 && a.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)
          this.broker.log(`broker ${this.broker.nodeId}: cannot create ${CONSUMER_OFFSETS_TOPIC} yet: ${a.message ?? `error ${a.errorCode}`}`);
      })
      .finally(() => {
        this.creating = false;
      });
  }

  // ---------------------------------------------------------------- core/protocol's GroupPort

  /** Where a transactional id's coordinator is (ClusterTransactions), set by the broker; absent: transactions are not served. */
  findTransactionCoordinator: ((transactionalId: string) => E.Either<Refusal, { nodeId: number; host: string; port: number }>) | undefined;

  /** The coordinator of a group (keyType 0) or transactional id (1), at its address on the listener `self` names. */
  findCoordinator(key: string, keyType: number, self?: Endpoint): E.Either<Refusal, { nodeId: number; host: string; port: number }> {
    return E.flatMap((c: { nodeId: number; host: string; port: number }) => {
      const b = this.broker.image.brokers.get(c.nodeId);
      const at = b === undefined ? c : brokerEndpoint(b, self?.listener);
      return at === undefined
        ? E.left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The coordinator, broker ${c.nodeId}, has no listener ${self?.listener}.`))
        : E.right({ nodeId: c.nodeId, ...at });
    })(this.coordinatorOf(key, keyType));
  }

  private coordinatorOf(key: string, keyType: number): E.Either<Refusal, { nodeId: number; host: string; port: number }> {
    if (keyType === 1 && this.findTransactionCoordinator !== undefined) return this.findTransactionCoordinator(key);
    if (keyType !== 0) return E.left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `Key type ${keyType} has no coordinator here.`));
    if (this.partitionFor(key) === undefined) this.ensureOffsetsTopic();
    const c = this.coordinator(key);
    return c === undefined
      ? E.left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The ${CONSUMER_OFFSETS_TOPIC} partition of this group has no live leader yet; retry.`))
      : E.right(c);
  }

  // Membership, answered here only for the groups this broker coordinates.

  joinGroup(params: JoinGroupParams): Promise<JoinGroupResult> {
    const owner = this.owned(params.groupId);
    if (typeof owner === 'number')
      return Promise.resolve({ errorCode: owner, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: '', members: [] });
    return this.membership.joinGroup(params);
  }

  syncGroup(params: SyncGroupParams): Promise<SyncGroupResult> {
    const owner = this.owned(params.groupId);
    if (typeof owner === 'number') return Promise.resolve({ errorCode: owner, protocolType: null, protocolName: null, assignment: EMPTY });
    return this.membership.syncGroup(params);
  }

  heartbeat(params: { groupId: string; generationId: number; memberId: string }): Promise<{ errorCode: number }> {
    const owner = this.owned(params.groupId);
    if (typeof owner === 'number') return Promise.resolve({ errorCode: owner });
    return this.membership.heartbeat(params);
  }

  leaveGroup(params: { groupId: string; memberIds: string[] }): Promise<LeaveGroupResult> {
    const owner = this.owned(params.groupId);
    if (typeof owner === 'number') return Promise.resolve({ errorCode: owner, members: [] });
    return this.membership.leaveGroup(params);
  }

  describeGroup(groupId: string): E.Either<Refusal, GroupDescription> {
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return E.left(notCoordinated(groupId, owner));
    // The service counts the offsets loaded here: offsets alone (no members) make the group Empty, not Dead.
    return E.right(this.membership.describeGroup(groupId));
  }

  /** The groups of the offsets partitions this broker leads: with members, or with committed offsets only (Empty). */
  listGroups(): GroupListing[] {
    return this.membership.listGroups();
  }

  /**
   * DeleteGroups: answered by the group's coordinator only. An empty group's
   * membership goes and its committed offsets are tombstoned in the replicated
   * offsets topic (the service calls tombstone()).
   */
  async deleteGroup(groupId: string): Promise<E.Either<Refusal, void>> {
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return E.left(notCoordinated(groupId, owner));
    const deleted = this.membership.deleteGroup(groupId);
    if (E.isLeft(deleted)) return E.left(refusal(deleted.left.code, deleted.left.message));
    const code = await deleted.right;
    return code === 0 ? E.right(undefined) : E.left(refusal(code, `The offsets of group "${groupId}" could not be deleted (${errorName(code)}); retry.`));
  }

  /** OffsetDelete, answered by the group's coordinator only (the service decides which partitions may go). */
  async deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<E.Either<Refusal, readonly OffsetDeletion[]>> {
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return E.left(notCoordinated(groupId, owner));
    const deleted = this.membership.deleteOffsets(groupId, partitions);
    if (E.isLeft(deleted)) return E.left(refusal(deleted.left.code, deleted.left.message));
    const code = await deleted.right.deletion;
    return code === 0
      ? E.right(deleted.right.results)
      : E.left(refusal(code, `The offsets of group "${groupId}" could not be deleted (${errorName(code)}); retry.`));
  }

  async commitOffsets(groupId: string, memberId: string, generationId: number, commits: readonly OffsetCommitEntry[]): Promise<CommitResult[]> {
    const answer = (code: (c: OffsetCommitEntry) => number): CommitResult[] =>
      commits.map((c) => ({ topic: c.topic, partition: c.partition, errorCode: code(c) }));
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return answer(() => owner);
    const standing = await this.appCommitStanding(groupId, memberId, generationId);
    if (typeof standing === 'number') return answer(() => standing);
    const refused = standing === 'worker' ? undefined : this.membership.checkOffsetCommit(groupId, memberId, generationId);
    if (refused !== undefined) return answer(() => refused.code);
    const image = this.broker.image;
    const known = (c: OffsetCommitEntry) => image.topicByName(c.topic)?.partitions.has(c.partition) === true;
    const valid = commits.filter(known);
    const code = valid.length === 0 ? 0 : await this.append(owner, groupId, valid);
    return answer((c) => (known(c) ? code : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }

  fetchOffsets(
    groupId: string,
    partitions?: readonly { topic: string; partition: number }[],
    requireStable = false,
  ): E.Either<Refusal, (CommittedOffset & { errorCode?: number })[]> {
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return E.left(notCoordinated(groupId, owner));
    const offsets = owner.cache.fetch(groupId, partitions);
    if (!requireStable) return E.right(offsets);
    return E.right(
      offsets.map((o) => (owner.cache.isPending(groupId, o.topic, o.partition) ? { ...o, offset: -1, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT } : o)),
    );
  }

  /**
   * TxnOffsetCommit at the group's coordinator: the offsets go to its
   * `__consumer_offsets` partition in one transactional batch of the producer
   * (replicated, acks=all) and stay pending until the transaction's marker
   * reaches that partition (txnMarkerWritten). The member is checked when the
   * request names one (KIP-447).
   */
  async commitTxnOffsets(params: TxnOffsetCommitParams, commits: readonly OffsetCommitEntry[]): Promise<CommitResult[]> {
    const answer = (code: number): CommitResult[] => commits.map((c) => ({ topic: c.topic, partition: c.partition, errorCode: code }));
    const owner = this.owned(params.groupId);
    if (typeof owner === 'number') return answer(owner);
    // As OffsetCommit: an application's group takes commits from its registered workers (their id and epoch), else from its members.
    const standing = await this.appCommitStanding(params.groupId, params.memberId, params.generationId);
    if (typeof standing === 'number') return answer(standing);
    if (standing !== 'worker' && (params.generationId >= 0 || params.memberId !== '')) {
      const refused = this.membership.checkOffsetCommit(params.groupId, params.memberId, params.generationId);
      if (refused !== undefined) return answer(refused.code);
    }
    const image = this.broker.image;
    if (commits.some((c) => image.topicByName(c.topic)?.partitions.has(c.partition) !== true)) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    let prepared: { entries: CommittedOffset[]; records: RecordInput[] };
    try {
      prepared = offsetCommitRecords(params.groupId, commits, Date.now());
    } catch (e) {
      if (e instanceof BrokerError) return answer(e.code);
      throw e;
    }
    const batch = encodeRecordBatch({
      records: prepared.records,
      producerId: params.producerId,
      producerEpoch: params.producerEpoch,
      baseSequence: 0,
      transactional: true,
    });
    const written = await appendCoordinatorBatch(this.broker, owner.hosted, batch, OFFSET_COMMIT_TIMEOUT_MS);
    if (E.isLeft(written)) return answer(commitError(written.left.code));
    if (this.loaded.get(owner.partition) === owner) owner.cache.setPending(params.producerId, params.groupId, prepared.entries);
    return answer(0);
  }

  /** A transaction marker reached `__consumer_offsets` partition `partition` here: the producer's pending offsets there are committed or dropped. */
  txnMarkerWritten(partition: number, producerId: number, commit: boolean): void {
    this.loaded.get(partition)?.cache.completeTransaction(producerId, commit);
  }

  /** A commit to an application's group must come from a registered worker (app-commit-fence.ts); waits out a lagging image. */
  private async appCommitStanding(groupId: string, memberId: string, generationId: number): Promise<'worker' | 'group' | number> {
    const deadline = Date.now() + APP_COMMIT_IMAGE_WAIT_MS;
    for (;;) {
      const standing = appCommitStanding(this.broker.image, groupId, memberId, generationId);
      if (standing !== 'wait') return standing;
      const left = deadline - Date.now();
      if (left <= 0) return ErrorCode.ILLEGAL_GENERATION;
      await this.broker.nextChange(left);
    }
  }

  /** Appends the commits with acks=all; once the ISR has them, makes them visible. Returns the Kafka error code. */
  private async append(owner: LoadedPartition, groupId: string, commits: readonly OffsetCommit[]): Promise<number> {
    let prepared: { entries: CommittedOffset[]; records: RecordInput[] };
    try {
      prepared = offsetCommitRecords(groupId, commits, Date.now());
    } catch (e) {
      if (e instanceof BrokerError) return e.code;
      throw e;
    }
    const code = await this.appendReplicated(owner, prepared.records);
    // Visible only while this leadership lasts; a later leader loads the records from its log.
    if (code === 0 && this.loaded.get(owner.partition) === owner) owner.cache.set(groupId, prepared.entries);
    return code;
  }

  /**
   * Tombstones the committed offsets of `groupId` with acks=all: all of them
   * (DeleteGroups) or those of `partitions` (OffsetDelete). Returns the Kafka error code.
   */
  private async tombstone(groupId: string, partitions?: readonly { topic: string; partition: number }[]): Promise<number> {
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return owner;
    const offsets = partitions === undefined ? owner.cache.fetch(groupId) : owner.cache.committed(groupId, partitions);
    if (offsets.length === 0) return 0;
    const code = await this.appendReplicated(owner, offsetTombstones(groupId, offsets, Date.now()));
    if (code === 0 && this.loaded.get(owner.partition) === owner) owner.cache.forget(groupId, offsets);
    return code;
  }

  /** Appends records to the owner's offsets partition with acks=all; the error code as OffsetCommit answers it. */
  private async appendReplicated(owner: LoadedPartition, records: RecordInput[]): Promise<number> {
    const h = owner.hosted;
    const outcome = h.replica.appendAsLeader(encodeRecordBatch({ records }), -1);
    if (!('baseOffset' in outcome)) return commitError(outcome.errorCode);
    this.broker.appended(h);
    return commitError(outcome.acknowledged ? 0 : await this.broker.awaitAppend(h, outcome.lastOffset, OFFSET_COMMIT_TIMEOUT_MS));
  }

  async close(): Promise<void> {
    this.loaded.clear();
    this.membership.close();
  }
}

/**
 * An earlier version kept membership in an embedded broker in `<data-dir>/groups`
 * (and, before offsets were replicated, a fixed coordinator's offsets). Nothing
 * reads it now; it is left in place, since it may hold an operator's old
 * offsets, and named once at startup.
 */
function noteLegacyGroupsDir(dataDir: string, log: (message: string) => void): void {
  const legacy = path.join(dataDir, LEGACY_GROUPS_DIR);
  if (fs.existsSync(legacy))
    log(
      `ignoring ${legacy}: left by an earlier version (group membership no longer keeps an embedded broker there, and its offsets are not carried over); it may be removed`,
    );
}

/** Why a group's request is not served here: the owned() error code with what to do. */
function notCoordinated(groupId: string, code: number): Refusal {
  if (code === ErrorCode.INVALID_GROUP_ID) return refusal(code, 'A group id is required.');
  if (code === ErrorCode.COORDINATOR_NOT_AVAILABLE)
    return refusal(code, `The ${CONSUMER_OFFSETS_TOPIC} partition of group "${groupId}" has no leader yet; retry.`);
  return refusal(code, `This broker does not coordinate group "${groupId}" now; find its coordinator again.`);
}

/** An append's error as OffsetCommit answers it (Kafka's GroupMetadataManager mapping). */
function commitError(code: number): number {
  switch (code) {
    case 0:
      return 0;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.MESSAGE_TOO_LARGE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code > 0 ? code : ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
