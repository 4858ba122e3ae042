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
// Membership (join/sync/heartbeat/leave) stays in memory, run by core/broker's
// GroupService over the offsets partitions this broker leads (commits are
// checked by its checkOffsetCommit and written to the cluster topic; DeleteGroups
// tombstones a group's offsets there). After the coordinator moves, members find
// the new one and rejoin, as with Kafka. Commits to the group of an application
// run by `rill worker` must come from one of its registered workers
// (app-commit-fence.ts).
import { isLeft } from 'fp-ts/Either';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type Broker,
  BrokerError,
  CONSUMER_OFFSETS_TOPIC,
  ErrorCode,
  GroupService,
  OffsetCache,
  offsetCommitRecords,
  offsetsPartitionFor,
  offsetTombstones,
  type CommittedOffset,
  type OffsetCommit,
} from '../../broker';
import { encodeRecordBatch, type RecordInput } from '../../log';
import { apis, type ApiDefinition } from '../../protocol';
import { appCommitStanding, ILLEGAL_GENERATION } from './app-commit-fence';
import type { BrokerProcess, HostedReplica } from './broker-process';
import { replicaName } from './broker-process';
import type { KafkaRequestContext, ServedApi } from './kafka-listener';

/** Partitions of the cluster's `__consumer_offsets` (Kafka's offsets.topic.num.partitions, 50 there). */
export const OFFSETS_TOPIC_PARTITIONS = 3;
/** Kafka's offsets.topic.replication.factor, capped by the live brokers when the topic is created. */
export const OFFSETS_TOPIC_REPLICATION_FACTOR = 3;
/** Kafka's offsets.commit.timeout.ms: how long a commit waits for the ISR. */
const OFFSET_COMMIT_TIMEOUT_MS = 5000;
const CREATE_TIMEOUT_MS = 5000;
const NOT_COORDINATOR = 16;
const INVALID_COMMIT_OFFSET_SIZE = 28;
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

type OffsetFetchTopics = { name: string; partitionIndexes: number[] }[] | null;

export class ClusterGroupCoordinator {
  /** Group membership (core/broker's GroupService) over the committed offsets of the partitions loaded here. */
  private readonly membership: GroupService<Promise<number>>;
  private readonly loaded = new Map<number, LoadedPartition>();
  private creating = false;

  constructor(
    private readonly broker: BrokerProcess,
    dataDir: string,
  ) {
    noteLegacyGroupsDir(dataDir, (m) => broker.log(`broker ${broker.nodeId}: ${m}`));
    this.membership = new GroupService({
      groupIds: () => [...this.loaded.values()].flatMap((l) => l.cache.groupIds()),
      fetch: (groupId, partitions) => this.loadedFor(groupId)?.cache.fetch(groupId, partitions) ?? NO_OFFSETS.fetch(groupId, partitions),
      deleteGroup: (groupId) => this.tombstone(groupId),
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
      this.broker.log(`broker ${this.broker.nodeId}: coordinates the groups of ${h.name} (leader epoch ${h.replica.leaderEpoch}, ${cache.groupIds().length} groups with offsets, log end offset ${h.log.logEndOffset})`);
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
    if (l === undefined || h !== l.hosted || h.replica.role !== 'leader' || h.replica.leaderEpoch !== l.leaderEpoch) return NOT_COORDINATOR;
    return l;
  }

  /** Creates `__consumer_offsets` through the controller, once at a time. */
  private ensureOffsetsTopic(): void {
    if (this.creating || this.broker.image.topicByName(CONSUMER_OFFSETS_TOPIC) !== undefined) return;
    const live = this.broker.image.liveBrokers().length;
    if (live === 0) return;
    const replicationFactor = Math.min(OFFSETS_TOPIC_REPLICATION_FACTOR, live);
    const config = { 'cleanup.policy': 'compact', 'min.insync.replicas': replicationFactor >= 3 ? '2' : '1' };
    this.creating = true;
    this.broker.log(`broker ${this.broker.nodeId}: creating ${CONSUMER_OFFSETS_TOPIC} (${OFFSETS_TOPIC_PARTITIONS} partitions, replication factor ${replicationFactor})`);
    void this.broker
      .createTopic({ name: CONSUMER_OFFSETS_TOPIC, partitions: OFFSETS_TOPIC_PARTITIONS, replicationFactor, config }, CREATE_TIMEOUT_MS)
      .then((a) => {
        if (a.errorCode !== 0 && a.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) this.broker.log(`broker ${this.broker.nodeId}: cannot create ${CONSUMER_OFFSETS_TOPIC} yet: ${a.message ?? `error ${a.errorCode}`}`);
      })
      .finally(() => {
        this.creating = false;
      });
  }

  private findCoordinator(req: apis.FindCoordinatorRequest, ctx: KafkaRequestContext): apis.FindCoordinatorResponse {
    const keys = ctx.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
    const answers = keys.map((key) => {
      if (req.keyType !== 0) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'Only group coordinators are served (no transactions on a cluster yet).' };
      if (this.partitionFor(key) === undefined) this.ensureOffsetsTopic();
      const c = this.coordinator(key);
      if (c === undefined) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `The ${CONSUMER_OFFSETS_TOPIC} partition of this group has no live leader yet; retry.` };
      return { key, ...c, errorCode: 0, errorMessage: null };
    });
    const first = answers[0] ?? { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'No coordinator key given.' };
    return { throttleTimeMs: 0, errorCode: first.errorCode, errorMessage: first.errorMessage, nodeId: first.nodeId, host: first.host, port: first.port, coordinators: answers };
  }

  private async offsetCommit(req: apis.OffsetCommitRequest): Promise<apis.OffsetCommitResponse> {
    const answer = (code: (topic: string, partition: number) => number): apis.OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
    });
    const owner = this.owned(req.groupId);
    if (typeof owner === 'number') return answer(() => owner);
    const standing = await this.appCommitStanding(req);
    if (typeof standing === 'number') return answer(() => standing);
    const refused = standing === 'worker' ? undefined : this.membership.checkOffsetCommit(req.groupId, req.memberId, req.generationIdOrMemberEpoch);
    if (refused !== undefined) return answer(() => refused.code);
    const image = this.broker.image;
    const known = (topic: string, partition: number) => image.topicByName(topic)?.partitions.has(partition) === true;
    const commits: OffsetCommit[] = req.topics.flatMap((t) =>
      t.partitions
        .filter((p) => known(t.name, p.partitionIndex))
        .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
    );
    const code = commits.length === 0 ? 0 : await this.append(owner, req.groupId, commits);
    return answer((topic, partition) => (known(topic, partition) ? code : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }

  /** A commit to an application's group must come from a registered worker (app-commit-fence.ts); waits out a lagging image. */
  private async appCommitStanding(req: apis.OffsetCommitRequest): Promise<'worker' | 'group' | number> {
    const deadline = Date.now() + APP_COMMIT_IMAGE_WAIT_MS;
    for (;;) {
      const standing = appCommitStanding(this.broker.image, req.groupId, req.memberId, req.generationIdOrMemberEpoch);
      if (standing !== 'wait') return standing;
      const left = deadline - Date.now();
      if (left <= 0) return ILLEGAL_GENERATION;
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

  /** Tombstones every committed offset of `groupId` with acks=all (DeleteGroups). Returns the Kafka error code. */
  private async tombstone(groupId: string): Promise<number> {
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return owner;
    const offsets = owner.cache.fetch(groupId);
    if (offsets.length === 0) return 0;
    const code = await this.appendReplicated(owner, offsetTombstones(groupId, offsets, Date.now()));
    if (code === 0 && this.loaded.get(owner.partition) === owner) owner.cache.delete(groupId);
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

  /**
   * DeleteGroups for one group: answered by its coordinator only. An empty
   * group's membership goes and its committed offsets are tombstoned in the
   * replicated offsets topic. Returns the Kafka error code.
   */
  async deleteGroup(groupId: string): Promise<number> {
    const owner = this.owned(groupId);
    if (typeof owner === 'number') return owner;
    const deleted = this.membership.deleteGroup(groupId);
    return isLeft(deleted) ? deleted.left.code : deleted.right;
  }

  private offsetFetch(req: apis.OffsetFetchRequest, ctx: KafkaRequestContext): apis.OffsetFetchResponse {
    const committed = (cache: OffsetCache, groupId: string, topics: OffsetFetchTopics) => {
      const wanted = topics === null ? undefined : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
      return byTopic(cache.fetch(groupId, wanted), (o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: 0 }));
    };
    if (ctx.apiVersion >= 8) {
      const groups = req.groups.map((g) => {
        const owner = this.owned(g.groupId);
        return typeof owner === 'number' ? { groupId: g.groupId, topics: [], errorCode: owner } : { groupId: g.groupId, topics: committed(owner.cache, g.groupId, g.topics), errorCode: 0 };
      });
      return { throttleTimeMs: 0, topics: [], errorCode: 0, groups };
    }
    const owner = this.owned(req.groupId);
    if (typeof owner !== 'number') return { throttleTimeMs: 0, topics: committed(owner.cache, req.groupId, req.topics), errorCode: 0, groups: [] };
    // v0-1 have no top-level error code: it goes on every partition asked for.
    const topics = (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: null, errorCode: owner })) }));
    return { throttleTimeMs: 0, topics, errorCode: owner, groups: [] };
  }

  /**
   * core/protocol's handler for `api` over the membership service. Only the
   * group APIs run here, and their handlers call only the group methods the
   * service shares with Broker, until the handlers take a group port instead.
   */
  private run(api: ApiDefinition, request: unknown, ctx: KafkaRequestContext): unknown {
    const groups: Pick<Broker, 'joinGroup' | 'syncGroup' | 'heartbeat' | 'leaveGroup' | 'describeGroup' | 'listGroups'> = this.membership;
    return api.handle(request as never, { broker: groups as Broker, apiVersion: ctx.apiVersion, clientId: ctx.clientId ?? null, advertised: ctx.advertised, signal: ctx.signal, autoCreateTopics: false, log: (m: string) => this.broker.log(m) });
  }

  private async describeGroups(req: apis.DescribeGroupsRequest, ctx: KafkaRequestContext): Promise<apis.DescribeGroupsResponse> {
    const groups = await Promise.all(
      req.groups.map(async (groupId) => {
        const owner = this.owned(groupId);
        if (typeof owner === 'number') return { errorCode: owner, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        // The membership service counts the offsets loaded here: offsets alone (no members) make the group Empty, not Dead.
        const r = (await this.run(apis.describeGroups, { ...req, groups: [groupId] }, ctx)) as apis.DescribeGroupsResponse;
        return r.groups[0];
      }),
    );
    return { throttleTimeMs: 0, groups };
  }

  /** Groups with members here, or with offsets in the partitions loaded here (the membership service lists both). */
  private async listGroups(req: apis.ListGroupsRequest, ctx: KafkaRequestContext): Promise<apis.ListGroupsResponse> {
    return (await this.run(apis.listGroups, req, ctx)) as apis.ListGroupsResponse;
  }

  /** The group APIs: membership through core/protocol's handlers, offsets through the replicated topic. */
  servedApis(): ServedApi[] {
    const served = (api: ApiDefinition, handle: ServedApi['handle']): ServedApi => ({ api, minVersion: api.versions.min, maxVersion: api.versions.max, handle });
    /** Membership APIs, answered here only for the groups this broker coordinates. */
    const gated = (api: ApiDefinition, refusal: (errorCode: number) => unknown): ServedApi =>
      served(api, (request: { groupId: string }, ctx) => {
        const owner = this.owned(request.groupId);
        return typeof owner === 'number' ? refusal(owner) : this.run(api, request, ctx);
      });
    return [
      served(apis.findCoordinator, (r, ctx) => this.findCoordinator(r, ctx)),
      gated(apis.joinGroup, (errorCode) => ({ throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: '', members: [] })),
      gated(apis.syncGroup, (errorCode) => ({ throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY })),
      gated(apis.heartbeat, (errorCode) => ({ throttleTimeMs: 0, errorCode })),
      gated(apis.leaveGroup, (errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] })),
      served(apis.offsetCommit, (r) => this.offsetCommit(r)),
      served(apis.offsetFetch, (r, ctx) => this.offsetFetch(r, ctx)),
      served(apis.describeGroups, (r, ctx) => this.describeGroups(r, ctx)),
      served(apis.listGroups, (r, ctx) => this.listGroups(r, ctx)),
    ];
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
  if (fs.existsSync(legacy)) log(`ignoring ${legacy}: left by an earlier version (group membership no longer keeps an embedded broker there, and its offsets are not carried over); it may be removed`);
}

/** An append's error as OffsetCommit answers it (Kafka's GroupMetadataManager mapping). */
function commitError(code: number): number {
  switch (code) {
    case 0:
      return 0;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      return NOT_COORDINATOR;
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.MESSAGE_TOO_LARGE:
      return INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code > 0 ? code : ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

function byTopic<T extends { topic: string }, P>(items: readonly T[], partition: (item: T) => P): { name: string; partitions: P[] }[] {
  const topics = new Map<string, P[]>();
  for (const item of items) {
    let ps = topics.get(item.topic);
    if (ps === undefined) topics.set(item.topic, (ps = []));
    ps.push(partition(item));
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}
