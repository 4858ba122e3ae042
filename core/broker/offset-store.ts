// Committed offsets of consumer groups: kept in memory for OffsetFetch, written to
// the compacted `__consumer_offsets` topic on commit, and replayed from it when
// the broker opens, so offsets survive a restart.
import { isLeft } from 'fp-ts/Either';
import * as path from 'node:path';
import { Clock, decodeRecordBatches, encodeRecordBatch, PartitionLog, RecordInput } from '../log';
import { BrokerError, ErrorCode } from './errors';
import { decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue, OffsetValue } from './offset-records';
import { TopicTable } from './topics';
import { CONSUMER_OFFSETS_TOPIC } from './topic-name';

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch?: number;
  metadata?: string | null;
}

/** Kafka's offsets.topic.num.partitions is 50; one embedded node needs far fewer. */
export const DEFAULT_OFFSETS_TOPIC_PARTITIONS = 4;
const REPLAY_CHUNK = 1024 * 1024;
/** Kafka's offset.metadata.max.bytes. */
const MAX_METADATA_BYTES = 4096;

/** Java's String.hashCode, as Kafka's partitionFor(groupId) uses it. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The `__consumer_offsets` partition that holds a group's offsets (Kafka's GroupMetadataManager.partitionFor). */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId);
  return (h === -0x80000000 ? 0 : Math.abs(h)) % partitions;
}

/**
 * Committed offsets in memory, by group: what OffsetFetch answers from. Built
 * by applying `__consumer_offsets` records (the latest per key wins) and
 * updated on commit. OffsetStore keeps one for the node; a cluster broker keeps
 * one per replicated offsets partition it leads.
 */
export class OffsetCache {
  /** group -> "topic\0partition" -> offset */
  private readonly groups = new Map<string, Map<string, CommittedOffset>>();

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Committed offsets of the group, all or for the given partitions (-1 when none). */
  fetch(groupId: string, partitions?: readonly { topic: string; partition: number }[]): CommittedOffset[] {
    const offsets = this.groups.get(groupId);
    if (partitions === undefined) return offsets ? [...offsets.values()] : [];
    return partitions.map(
      (p) =>
        offsets?.get(keyOf(p.topic, p.partition)) ?? { topic: p.topic, partition: p.partition, offset: -1, leaderEpoch: -1, metadata: '', commitTimestamp: -1 },
    );
  }

  set(groupId: string, entries: readonly CommittedOffset[]): void {
    const offsets = this.groupOffsets(groupId);
    for (const e of entries) offsets.set(keyOf(e.topic, e.partition), e);
  }

  delete(groupId: string): void {
    this.groups.delete(groupId);
  }

  /** Drops the group's committed offsets of these partitions (OffsetDelete). */
  forget(groupId: string, partitions: readonly { topic: string; partition: number }[]): void {
    const offsets = this.groups.get(groupId);
    if (offsets === undefined) return;
    for (const p of partitions) offsets.delete(keyOf(p.topic, p.partition));
    if (offsets.size === 0) this.groups.delete(groupId);
  }

  /** Of these partitions, those the group has an offset committed for. */
  committed(groupId: string, partitions: readonly { topic: string; partition: number }[]): { topic: string; partition: number }[] {
    const offsets = this.groups.get(groupId);
    return offsets === undefined ? [] : partitions.filter((p) => offsets.has(keyOf(p.topic, p.partition)));
  }

  /** Applies one `__consumer_offsets` record (a null value deletes the offset). */
  apply(key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    const k = decodeOffsetKey(key);
    if (isLeft(k) || k.right === undefined) return;
    const { group, topic, partition } = k.right;
    if (value === null) {
      this.groups.get(group)?.delete(keyOf(topic, partition));
      if (this.groups.get(group)?.size === 0) this.groups.delete(group);
      return;
    }
    const v = decodeOffsetValue(value);
    if (isLeft(v)) return;
    const stored: OffsetValue = v.right;
    this.groupOffsets(group).set(keyOf(topic, partition), { topic, partition, ...stored });
  }

  /** Applies every record of `log` from its start up to `upTo` (default: its high watermark). */
  load(log: PartitionLog, upTo: number = log.highWatermark): void {
    let offset = log.logStartOffset;
    while (offset < upTo) {
      const bytes = log.read(offset, REPLAY_CHUNK, upTo);
      if (bytes.length === 0) break;
      const batches = decodeRecordBatches(bytes);
      if (isLeft(batches)) throw new BrokerError(ErrorCode.KAFKA_STORAGE_ERROR, `${path.basename(log.dir)} at offset ${offset}: ${batches.left.message}`);
      if (batches.right.length === 0) break;
      for (const batch of batches.right) {
        if (!batch.isControl) for (const r of batch.records) this.apply(r.key, r.value);
        offset = batch.lastOffset + 1;
      }
    }
  }

  private groupOffsets(groupId: string): Map<string, CommittedOffset> {
    let offsets = this.groups.get(groupId);
    if (!offsets) this.groups.set(groupId, (offsets = new Map()));
    return offsets;
  }
}

/**
 * The offsets a commit stores and the `__consumer_offsets` records that carry
 * them (one per partition); throws OFFSET_METADATA_TOO_LARGE as a BrokerError.
 */
export function offsetCommitRecords(groupId: string, commits: readonly OffsetCommit[], now: number): { entries: CommittedOffset[]; records: RecordInput[] } {
  const entries: CommittedOffset[] = commits.map((c) => ({
    topic: c.topic,
    partition: c.partition,
    offset: c.offset,
    leaderEpoch: c.leaderEpoch ?? -1,
    metadata: c.metadata ?? '',
    commitTimestamp: now,
  }));
  for (const e of entries) {
    if (Buffer.byteLength(e.metadata) > MAX_METADATA_BYTES) {
      throw new BrokerError(ErrorCode.OFFSET_METADATA_TOO_LARGE, `Offset metadata for ${e.topic}-${e.partition} is over ${MAX_METADATA_BYTES} bytes.`);
    }
  }
  return { entries, records: entries.map((e) => ({ key: encodeOffsetKey({ group: groupId, ...e }), value: encodeOffsetValue(e), timestamp: now })) };
}

/** The `__consumer_offsets` tombstones that delete the given committed offsets of a group (DeleteGroups, OffsetDelete). */
export function offsetTombstones(groupId: string, offsets: readonly { topic: string; partition: number }[], now: number): RecordInput[] {
  return offsets.map((o) => ({ key: encodeOffsetKey({ group: groupId, topic: o.topic, partition: o.partition }), value: null, timestamp: now }));
}

/** One node's committed offsets on its own `__consumer_offsets`: the GroupOffsets of a Broker's GroupService. */
export class OffsetStore {
  private readonly cache = new OffsetCache();

  constructor(
    private readonly topics: TopicTable,
    private readonly clock: Clock,
    private readonly partitions = DEFAULT_OFFSETS_TOPIC_PARTITIONS,
  ) {
    if (topics.has(CONSUMER_OFFSETS_TOPIC)) this.replay();
  }

  groupIds(): string[] {
    return this.cache.groupIds();
  }

  /** Committed offsets of the group, all or for the given partitions (-1 when none). */
  fetch(groupId: string, partitions?: readonly { topic: string; partition: number }[]): CommittedOffset[] {
    return this.cache.fetch(groupId, partitions);
  }

  /** Writes the commits to `__consumer_offsets` in one batch, then makes them visible. */
  commit(groupId: string, commits: readonly OffsetCommit[]): void {
    if (commits.length === 0) return;
    const { entries, records } = offsetCommitRecords(groupId, commits, this.clock.now());
    this.append(groupId, records);
    this.cache.set(groupId, entries);
  }

  /** DeleteGroups: tombstones for every offset of the group. */
  deleteGroup(groupId: string): void {
    this.deleteOffsets(groupId, this.cache.fetch(groupId));
  }

  /** OffsetDelete: tombstones for the group's offsets of these partitions (those it has). */
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): void {
    const committed = this.cache.committed(groupId, partitions);
    if (committed.length === 0) return;
    this.append(groupId, offsetTombstones(groupId, committed, this.clock.now()));
    this.cache.forget(groupId, committed);
  }

  private append(groupId: string, records: RecordInput[]): void {
    this.ensureTopic();
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, offsetsPartitionFor(groupId, this.topics.partitionCount(CONSUMER_OFFSETS_TOPIC)!));
    if (isLeft(partition)) throw partition.left;
    partition.right.produce(encodeRecordBatch({ records }));
  }

  private ensureTopic(): void {
    if (this.topics.has(CONSUMER_OFFSETS_TOPIC)) return;
    const created = this.topics.create(
      { name: CONSUMER_OFFSETS_TOPIC, partitions: this.partitions, config: { 'cleanup.policy': 'compact', 'segment.bytes': 100 * 1024 * 1024 } },
      { internal: true },
    );
    if (isLeft(created)) throw created.left;
  }

  /** Rebuilds the committed offsets from the topic: the latest record per key wins. */
  private replay(): void {
    const count = this.topics.partitionCount(CONSUMER_OFFSETS_TOPIC) ?? 0;
    for (let p = 0; p < count; p++) {
      const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, p);
      if (isLeft(partition)) continue;
      this.cache.load(partition.right.log);
    }
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}
