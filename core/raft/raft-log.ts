import type { Entry, Snapshot } from './types';

export const EMPTY_CONF = { voters: [], learners: [] } as const;
export const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: 0, term: 0, conf: EMPTY_CONF },
  data: Buffer.alloc(0),
};

/**
 * The core's in-memory view of the replicated log: the latest snapshot, the
 * entries after it, and three cursors:
 *   persisted <= lastIndex: entries the shell has made durable;
 *   applied <= committed <= lastIndex: entries handed to the state machine / known committed.
 * Entries after `persisted` are "unstable" and go out in the next Ready.
 */
export class RaftLog {
  snapshot: Snapshot;
  /** entries[k].index === snapshot.metadata.index + 1 + k */
  private entries: Entry[];
  committed: number;
  applied: number;
  persisted: number;
  /** A snapshot received from the leader that the shell has not yet installed. */
  snapshotUnstable = false;

  constructor(snapshot: Snapshot, entries: readonly Entry[], committed: number) {
    this.snapshot = snapshot;
    const first = snapshot.metadata.index + 1;
    this.entries = entries.filter((e) => e.index >= first);
    for (let k = 0; k < this.entries.length; k++) {
      if (this.entries[k].index !== first + k) {
        throw new Error(`log has a gap: expected index ${first + k}, found ${this.entries[k].index}`);
      }
    }
    this.committed = Math.max(committed, snapshot.metadata.index);
    this.applied = snapshot.metadata.index;
    this.persisted = this.lastIndex();
    if (this.committed > this.lastIndex()) {
      throw new Error(`commit index ${committed} is past the last log index ${this.lastIndex()}`);
    }
  }

  /** Index of the first entry still held (the one after the snapshot). */
  firstIndex(): number {
    return this.snapshot.metadata.index + 1;
  }

  lastIndex(): number {
    return this.snapshot.metadata.index + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  /** The term of entry `index`, or undefined when compacted away or not yet written. */
  term(index: number): number | undefined {
    const snapIndex = this.snapshot.metadata.index;
    if (index === snapIndex) return this.snapshot.metadata.term;
    if (index < snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - snapIndex - 1].term;
  }

  entry(index: number): Entry | undefined {
    const snapIndex = this.snapshot.metadata.index;
    if (index <= snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - snapIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up-to-date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Entries [from, lastIndex], capped by count and bytes (at least one entry
   * when any exists). Undefined when `from` was compacted into the snapshot.
   */
  slice(from: number, maxEntries: number, maxBytes: number): Entry[] | undefined {
    if (from < this.firstIndex()) return undefined;
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = from; i <= this.lastIndex() && out.length < maxEntries; i++) {
      const e = this.entries[i - this.firstIndex()];
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /**
   * Walk back from `index` to the last entry whose term is <= `term`: the
   * follower's hint for fast back-tracking (etcd's findConflictByTerm).
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (;;) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
      i--;
    }
  }

  /**
   * The follower side of AppendEntries: if our log holds (prevIndex, prevTerm),
   * make it hold `ents` after it and return the last index the leader vouched
   * for; otherwise undefined.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    for (let k = 0; k < ents.length; k++) {
      const e = ents[k];
      if (!this.matchTerm(e.index, e.term)) {
        if (e.index <= this.committed) {
          throw new Error(`entry ${e.index} conflicts with the committed log (commit ${this.committed})`);
        }
        this.append(ents.slice(k));
        break;
      }
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** Append after truncating anything at or after the first new index. */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0].index;
    if (first <= this.snapshot.metadata.index || first > this.lastIndex() + 1) {
      throw new Error(`cannot append at ${first}: log spans (${this.snapshot.metadata.index}, ${this.lastIndex()}]`);
    }
    this.entries.length = first - this.firstIndex();
    for (const e of ents) this.entries.push(e);
    this.persisted = Math.min(this.persisted, first - 1);
  }

  commitTo(index: number): boolean {
    const target = Math.min(index, this.lastIndex());
    if (target <= this.committed) return false;
    this.committed = target;
    return true;
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.persisted - this.snapshot.metadata.index);
  }

  /** Committed entries not yet handed to the state machine. */
  nextCommittedEntries(): Entry[] {
    const from = this.applied + 1 - this.firstIndex();
    const to = this.committed - this.snapshot.metadata.index;
    return from < to ? this.entries.slice(from, to) : [];
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > this.applied;
  }

  /** The shell made entries up to (index, term) durable. */
  stableTo(index: number, term: number): void {
    // A later truncation may have replaced the entry the shell wrote.
    if (this.matchTerm(index, term) && index > this.persisted) this.persisted = index;
  }

  appliedTo(index: number): void {
    if (index > this.committed || index < this.applied) {
      throw new Error(`applied ${index} outside (${this.applied}, ${this.committed}]`);
    }
    this.applied = index;
  }

  /** Replace everything with a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = [];
    this.committed = snapshot.metadata.index;
    this.applied = snapshot.metadata.index;
    this.persisted = snapshot.metadata.index;
    this.snapshotUnstable = true;
  }

  /** Fold entries up to `snapshot.metadata.index` (<= applied) into a local snapshot. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    if (index <= this.snapshot.metadata.index) return;
    if (index > this.applied) throw new Error(`cannot compact past applied index ${this.applied}`);
    this.entries = this.entries.slice(index - this.snapshot.metadata.index);
    this.snapshot = snapshot;
  }
}
