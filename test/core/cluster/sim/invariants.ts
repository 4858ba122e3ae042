// The replication invariants of the cluster simulation (raft-and-log.md §3.4),
// checked after every event: one leader per partition leader epoch, a high
// watermark that never goes back, replicas that agree on every record below
// their high watermarks, and no acknowledged write lost.
import { decodeRecordBatches } from '../../../../core/log';
import type { PartitionReplica, Truncation } from '../../../../core/cluster';

export class ClusterInvariantViolation extends Error {}

function violation(what: string): never {
  throw new ClusterInvariantViolation(what);
}

interface ReplicaWatch {
  incarnation: number;
  highWatermark: number;
  verifiedUpTo: number;
}

export class ReplicationChecker {
  /** partition -> leader epoch -> broker that led it. */
  private readonly leaders = new Map<string, Map<number, number>>();
  /** partition -> offset -> value of the committed record there (as first seen below any HW). */
  private readonly committed = new Map<string, string[]>();
  private readonly watches = new Map<string, ReplicaWatch>();
  /** partition -> offset -> acknowledged value. */
  private readonly acked = new Map<string, Map<number, string>>();

  committedLength(partition: string): number {
    return this.committed.get(partition)?.length ?? 0;
  }

  ackedCount(): number {
    let n = 0;
    for (const m of this.acked.values()) n += m.size;
    return n;
  }

  /** After every event: a replica of `partition` on `broker` (incarnation `incarnation`). */
  observeReplica(partition: string, broker: number, incarnation: number, replica: PartitionReplica): void {
    if (replica.role === 'leader') {
      const byEpoch = this.leaders.get(partition) ?? new Map<number, number>();
      this.leaders.set(partition, byEpoch);
      const other = byEpoch.get(replica.leaderEpoch);
      if (other !== undefined && other !== broker) violation(`${partition}: brokers ${other} and ${broker} both led leader epoch ${replica.leaderEpoch}`);
      byEpoch.set(replica.leaderEpoch, broker);
    }
    const key = `${partition}@${broker}`;
    let watch = this.watches.get(key);
    if (watch === undefined || watch.incarnation !== incarnation) {
      watch = { incarnation, highWatermark: replica.highWatermark, verifiedUpTo: 0 };
      this.watches.set(key, watch);
    }
    const hw = replica.highWatermark;
    if (hw < watch.highWatermark) violation(`${partition}: the high watermark of broker ${broker} went back from ${watch.highWatermark} to ${hw}`);
    watch.highWatermark = hw;
    if (hw > watch.verifiedUpTo) this.verifyCommitted(partition, broker, replica, watch, hw);
  }

  observeTruncation(partition: string, broker: number, t: Truncation): void {
    if (t.to < t.highWatermark) violation(`${partition}: broker ${broker} truncated to ${t.to}, below its high watermark ${t.highWatermark}`);
  }

  /** Every record below `hw` on this replica matches what every other replica has there. */
  private verifyCommitted(partition: string, broker: number, replica: PartitionReplica, watch: ReplicaWatch, hw: number): void {
    const values = this.committed.get(partition) ?? [];
    this.committed.set(partition, values);
    let offset = watch.verifiedUpTo;
    while (offset < hw) {
      const bytes = replica.log.read(offset, 1 << 20, hw);
      if (bytes.length === 0) violation(`${partition}: broker ${broker} has no records at ${offset} below its high watermark ${hw}`);
      const batches = decodeRecordBatches(bytes);
      if (batches._tag === 'Left') violation(`${partition}: broker ${broker} holds a damaged batch at ${offset}: ${batches.left.message}`);
      for (const b of batches.right) {
        for (const r of b.records) {
          if (r.offset < offset || r.offset >= hw) continue;
          // A transaction marker: what it ends, and where (markers may repeat, so no two read alike to checkNoDuplicates).
          const value = b.isControl ? `control ${b.producerId}:${b.producerEpoch} ${r.key?.readInt16BE(2)} @${r.offset}` : (r.value?.toString('utf8') ?? '');
          const seen = values[r.offset];
          if (seen === undefined) {
            if (r.offset > values.length) violation(`${partition}: committed offsets have a gap before ${r.offset}`);
            values[r.offset] = value;
          } else if (seen !== value) {
            violation(`${partition}: broker ${broker} has "${value}" at committed offset ${r.offset}, another replica committed "${seen}"`);
          }
        }
        offset = b.lastOffset + 1;
      }
    }
    watch.verifiedUpTo = hw;
  }

  /** The producer got an acknowledgement (acks=all): the record is committed, at that offset. */
  observeAck(partition: string, offset: number, value: string): void {
    const committed = this.committed.get(partition)?.[offset];
    if (committed !== value)
      violation(`${partition}: "${value}" was acknowledged at offset ${offset}, but the committed record there is ${JSON.stringify(committed)}`);
    const acked = this.acked.get(partition) ?? new Map<number, string>();
    this.acked.set(partition, acked);
    acked.set(offset, value);
  }

  /** At the end, for idempotent producers (every value sent once, resent only as the same batch): no value is committed twice. */
  checkNoDuplicates(partition: string): void {
    const seen = new Map<string, number>();
    for (const [offset, value] of (this.committed.get(partition) ?? []).entries()) {
      if (value === undefined) continue;
      const first = seen.get(value);
      if (first !== undefined)
        violation(`${partition}: "${value}" is committed twice, at ${first} and ${offset}: a resent idempotent batch was not recognised`);
      seen.set(value, offset);
    }
  }

  /** At the end: the leader's committed log holds every acknowledged record where it was acknowledged. */
  checkAckedPresent(partition: string, replica: PartitionReplica): void {
    for (const [offset, value] of this.acked.get(partition) ?? []) {
      if (offset >= replica.highWatermark)
        violation(`${partition}: acknowledged offset ${offset} is not below the final leader's high watermark ${replica.highWatermark}`);
      if (this.committed.get(partition)?.[offset] !== value) violation(`${partition}: acknowledged "${value}" at ${offset} was lost`);
    }
  }
}
