import { EMPTY_STATE, type PersistedState } from '../../../../core/raft/raft';
import type { Entry, HardState, Ready, Snapshot } from '../../../../core/raft/types';

/**
 * A node's disk in the simulation: only what was fsynced. A node that crashes
 * while handling a Ready loses that whole Ready, exactly as a real node loses
 * writes it had not yet fsynced.
 */
export class SimDisk {
  private hardState: HardState = EMPTY_STATE.hardState;
  private snapshot: Snapshot | undefined;
  private entries: Entry[] = [];

  constructor(initial: PersistedState = EMPTY_STATE) {
    this.hardState = initial.hardState;
    this.snapshot = initial.snapshot;
    this.entries = [...initial.entries];
  }

  load(): PersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  /** Persist a Ready's snapshot, entries and hard state, in that order. */
  save(rd: Ready): void {
    if (rd.snapshot !== undefined) {
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0].index;
      this.entries = this.entries.filter((e) => e.index < first);
      this.entries.push(...rd.entries);
    }
    if (rd.hardState !== undefined) this.hardState = rd.hardState;
  }

  /** The application took a snapshot: drop the entries it covers. */
  compact(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = this.entries.filter((e) => e.index > snapshot.metadata.index);
  }

  snapshotData(): Buffer | undefined {
    return this.snapshot?.data;
  }
}
