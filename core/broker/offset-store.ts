// Committed offsets of consumer groups: kept in memory for OffsetFetch, written to
// the compacted `__consumer_offsets` topic on commit, and replayed from it when
// the broker opens, so offsets survive a restart.
import { isLeft } from 'fp-ts/Either';
import * as path from 'node:path';
import { Clock, decodeRecordBatches, encodeRecordBatch, PartitionLog, RecordInput, type DecodedBatch } from '../log';
import { BrokerError, ErrorCode } from './errors';
import { decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue, OffsetValue } from './offset-records';
import type { Partition } from './partition';
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
  /** Offsets committed in open transactions (TxnOffsetCommit): producer id -> group -> offsets, visible once its marker commits. */
  private readonly pending = new Map<number, Map<string, CommittedOffset[]>>();

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
    const r = decodeRecord(key, value);
    if (r === undefined) return;
    const { group, topic, partition, entry } = r;
    if (entry === null) {
      this.groups.get(group)?.delete(keyOf(topic, partition));
      if (this.groups.get(group)?.size === 0) this.groups.delete(group);
      return;
    }
    this.groupOffsets(group).set(keyOf(topic, partition), entry);
  }

  /** Offsets a producer committed inside its open transaction (TxnOffsetCommit): kept apart until its marker. */
  setPending(producerId: number, groupId: string, entries: readonly CommittedOffset[]): void {
    let groups = this.pending.get(producerId);
    if (groups === undefined) this.pending.set(producerId, (groups = new Map()));
    groups.set(groupId, [...(groups.get(groupId) ?? []), ...entries]);
  }

  /** The transaction of `producerId` ended: its pending offsets of the groups `inPartition` holds become committed (or are dropped). */
  completeTransaction(producerId: number, commit: boolean, inPartition: (groupId: string) => boolean = () => true): void {
    const groups = this.pending.get(producerId);
    if (groups === undefined) return;
    for (const [group, entries] of [...groups]) {
      if (!inPartition(group)) continue;
      if (commit) this.set(group, entries);
      groups.delete(group);
    }
    if (groups.size === 0) this.pending.delete(producerId);
  }

  /** Whether an open transaction holds an offset of the group for the partition (OffsetFetch's require_stable). */
  isPending(groupId: string, topic: string, partition: number): boolean {
    for (const groups of this.pending.values()) if (groups.get(groupId)?.some((e) => e.topic === topic && e.partition === partition)) return true;
    return false;
  }

  /** Applies every record of `log` from its start up to `upTo` (default: its high watermark). */
  load(log: PartitionLog, upTo: number = log.highWatermark): void {
    for (const batch of storedBatches(log, upTo)) {
      if (batch.isControl) this.applyMarker(batch.producerId, batch.records[0]?.key ?? null);
      else if (batch.isTransactional) this.applyPending(batch.producerId, batch.records);
      else for (const r of batch.records) this.apply(r.key, r.value);
    }
  }

  /** A transactional offset commit read back: pending until its producer's marker follows in the log. */
  private applyPending(producerId: number, records: readonly { key: Buffer | null; value: Buffer | null }[]): void {
    const byGroup = new Map<string, CommittedOffset[]>();
    for (const rec of records) {
      const r = decodeRecord(rec.key, rec.value);
      if (r?.entry) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r.entry]);
    }
    for (const [group, entries] of byGroup) this.setPending(producerId, group, entries);
  }

  /** A COMMIT or ABORT marker read back (its key: version int16, type int16 with 1 = commit). */
  private applyMarker(producerId: number, key: Buffer | null): void {
    if (key === null || key.length < 4) return;
    this.completeTransaction(producerId, key.readInt16BE(2) === 1);
  }

  private groupOffsets(groupId: string): Map<string, CommittedOffset> {
    let offsets = this.groups.get(groupId);
    if (!offsets) this.groups.set(groupId, (offsets = new Map()));
    return offsets;
  }
}

/** One `__consumer_offsets` record decoded: the offset it sets (null: deletes), undefined for records Rill skips. */
function decodeRecord(
  key: Buffer | null,
  value: Buffer | null,
): { group: string; topic: string; partition: number; entry: CommittedOffset | null } | undefined {
  if (key === null) return undefined;
  const k = decodeOffsetKey(key);
  if (isLeft(k) || k.right === undefined) return undefined;
  const { group, topic, partition } = k.right;
  if (value === null) return { group, topic, partition, entry: null };
  const v = decodeOffsetValue(value);
  if (isLeft(v)) return undefined;
  const stored: OffsetValue = v.right;
  return { group, topic, partition, entry: { topic, partition, ...stored } };
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

  /**
   * TxnOffsetCommit: the commits go to `__consumer_offsets` in one batch of the
   * producer's transaction and stay pending until its marker (completeTransaction).
   */
  commitTransactional(groupId: string, producerId: number, producerEpoch: number, commits: readonly OffsetCommit[]): void {
    if (commits.length === 0) return;
    const { entries, records } = offsetCommitRecords(groupId, commits, this.clock.now());
    const partition = this.offsetsPartition(groupId);
    // Straight to the log: the coordinator writes these, so the client-facing sequence checks do not apply.
    partition.log.append(encodeRecordBatch({ records, producerId, producerEpoch, baseSequence: 0, transactional: true }));
    this.cache.setPending(producerId, groupId, entries);
  }

  /** A marker was written to `__consumer_offsets` partition `partition`: the producer's pending offsets of its groups are committed or dropped. */
  completeTransaction(partition: number, producerId: number, commit: boolean): void {
    const count = this.topics.partitionCount(CONSUMER_OFFSETS_TOPIC) ?? this.partitions;
    this.cache.completeTransaction(producerId, commit, (group) => offsetsPartitionFor(group, count) === partition);
  }

  /** Whether an open transaction holds an offset of the group for the partition. */
  isPending(groupId: string, topic: string, partition: number): boolean {
    return this.cache.isPending(groupId, topic, partition);
  }

  /** The `__consumer_offsets` partition of a group (created with the topic when needed). */
  groupPartition(groupId: string): { topic: string; partition: number } {
    return { topic: CONSUMER_OFFSETS_TOPIC, partition: offsetsPartitionFor(groupId, this.topics.partitionCount(CONSUMER_OFFSETS_TOPIC) ?? this.partitions) };
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
    this.offsetsPartition(groupId).produce(encodeRecordBatch({ records }));
  }

  private offsetsPartition(groupId: string): Partition {
    this.ensureTopic();
    const partition = this.topics.partition(CONSUMER_OFFSETS_TOPIC, offsetsPartitionFor(groupId, this.topics.partitionCount(CONSUMER_OFFSETS_TOPIC)!));
    if (isLeft(partition)) throw partition.left;
    return partition.right;
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

/** Every batch of `log` from its start up to `upTo`, decoded: how the internal topics are replayed. */
export function* storedBatches(log: PartitionLog, upTo: number = log.highWatermark): Generator<DecodedBatch> {
  let offset = log.logStartOffset;
  while (offset < upTo) {
    const bytes = log.read(offset, REPLAY_CHUNK, upTo);
    if (bytes.length === 0) return;
    const batches = decodeRecordBatches(bytes);
    if (isLeft(batches)) throw new BrokerError(ErrorCode.KAFKA_STORAGE_ERROR, `${path.basename(log.dir)} at offset ${offset}: ${batches.left.message}`);
    if (batches.right.length === 0) return;
    for (const batch of batches.right) {
      yield batch;
      offset = batch.lastOffset + 1;
    }
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}
