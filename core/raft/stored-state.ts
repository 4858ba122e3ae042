import { EMPTY_STATE, type PersistedState } from './raft';
import type { Entry, HardState, Ready, Snapshot } from './types';

/**
 * What a node has persisted, as it stands in memory: the hard state, the
 * latest snapshot and the entries after it. Both storages keep it this way:
 * the file storage (which also writes each change to its WAL before `save`
 * returns) and the simulation's disk.
 */
export class StoredState {
  protected hardState: HardState;
  protected snapshot: Snapshot | undefined;
  protected entries: Entry[];

  constructor(initial: PersistedState = EMPTY_STATE) {
    this.hardState = initial.hardState;
    this.snapshot = initial.snapshot;
    this.entries = [...initial.entries];
  }

  load(): PersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  /** A Ready's snapshot, entries and hard state, in that order. */
  save(rd: Ready): void {
    if (rd.snapshot !== undefined) this.installSnapshot(rd.snapshot);
    spliceEntries(this.entries, rd.entries);
    if (rd.hardState !== undefined) this.hardState = rd.hardState;
  }

  /** A snapshot from the leader replaces the whole log. */
  protected installSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = [];
  }

  /** The application took a snapshot: keep it, drop the entries it covers. */
  compact(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = this.entries.filter((e) => e.index > snapshot.metadata.index);
  }
}

/**
 * Writes a contiguous run of entries over the log, in place: stored entries
 * from the run's first index on are discarded (a new leader overwrote them).
 * A run that starts before the log or would leave a gap after it replaces
 * the whole log (the run wins, as when the WAL is replayed).
 */
export function spliceEntries(log: Entry[], ents: readonly Entry[]): void {
  if (ents.length === 0) return;
  const keep = log.length === 0 ? 0 : ents[0].index - log[0].index;
  log.length = keep < 0 || keep > log.length ? 0 : keep;
  for (const e of ents) log.push(e);
}
