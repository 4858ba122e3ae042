import { StoredState } from '../../../../core/raft/stored-state';

/**
 * A node's disk in the simulation: only what was fsynced. A node that crashes
 * while handling a Ready loses that whole Ready, exactly as a real node loses
 * writes it had not yet fsynced.
 */
export class SimDisk extends StoredState {
  snapshotData(): Buffer | undefined {
    return this.snapshot?.data;
  }
}
