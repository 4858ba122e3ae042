// The controller's state machine as core/raft's RaftNode drives it: the metadata
// image, plus the committed entries brokers fetch as observers of the metadata
// log (KRaft brokers follow __cluster_metadata the same way). A broker behind
// the journal gets the image itself as a snapshot.
import type { ReplicatedStateMachine } from '../../raft';
import { MetadataStateMachine, type EntryApplied } from '../metadata/state-machine';
import type { MetadataImage } from '../metadata/image';

export interface MetadataEntry {
  readonly index: number;
  readonly data: Buffer;
}

export interface MetadataFeed {
  /** Set when the observer is behind the journal: the whole image, as of `index`. */
  readonly snapshot?: { readonly index: number; readonly data: Buffer };
  readonly entries: readonly MetadataEntry[];
}

export class MetadataJournal implements ReplicatedStateMachine<EntryApplied> {
  private readonly sm = new MetadataStateMachine();
  private entries: MetadataEntry[] = [];
  /** The journal holds every non-empty entry after this index; undefined right after a snapshot restore, until the index is known. */
  private base: number | undefined = 0;
  private readonly appliedListeners = new Set<() => void>();

  constructor(private readonly maxEntries = 10_000) {}

  get image(): MetadataImage {
    return this.sm.image;
  }

  apply(command: Buffer, index: number): EntryApplied {
    const applied = this.sm.apply(command, index);
    if (command.length > 0) {
      this.entries.push({ index, data: command });
      if (this.entries.length > this.maxEntries) this.base = this.entries.splice(0, this.entries.length - this.maxEntries).pop()!.index;
    }
    for (const l of this.appliedListeners) l();
    return applied;
  }

  snapshot(): Buffer {
    return this.sm.snapshot();
  }

  restore(snapshot: Buffer): void {
    this.sm.restore(snapshot);
    // RaftNode does not say which index the snapshot covers; the first feed learns it (see feed()).
    this.entries = [];
    this.base = undefined;
    for (const l of this.appliedListeners) l();
  }

  onApplied(listener: () => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /**
   * Committed entries after `fromIndex`, at most `limit`. `appliedIndex` is the
   * Raft node's applied index now: outside RaftNode's processing the image
   * reflects exactly the entries up to it.
   */
  feed(fromIndex: number, appliedIndex: number, limit: number): MetadataFeed {
    if (this.base === undefined) {
      this.base = appliedIndex;
      this.entries = this.entries.filter((e) => e.index > appliedIndex);
    }
    if (fromIndex < this.base) return { snapshot: { index: appliedIndex, data: this.sm.snapshot() }, entries: [] };
    const from = this.entries.findIndex((e) => e.index > fromIndex);
    return { entries: from < 0 ? [] : this.entries.slice(from, from + limit) };
  }
}
