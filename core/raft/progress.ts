// The leader's view of one follower (etcd's tracker.Progress).
//   probe:     one append in flight at a time until we find where logs agree;
//   replicate: optimistic pipelining, bounded by `maxInflight` messages;
//   snapshot:  an InstallSnapshot is on its way, appends wait.

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe: an append was sent and not yet answered. */
  probeSent = false;
  /** snapshot: index of the snapshot in flight. */
  pendingSnapshot = 0;
  /** snapshot: heartbeats answered since the snapshot was sent, to resend a lost one. */
  snapshotWaitBeats = 0;
  /** Heard from this follower since the last check-quorum round. */
  recentActive = false;
  /** Last index of each append in flight (replicate state), oldest first. */
  private readonly inflight: number[] = [];

  constructor(
    next: number,
    private readonly maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot, resume from just past it; otherwise from just past the match.
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.reset('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset('replicate');
  }

  becomeSnapshot(index: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = index;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotWaitBeats = 0;
    this.inflight.length = 0;
  }

  /** An accepted append up to `index`. Returns whether `match` moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    this.freeInflightUpTo(index);
    return updated;
  }

  /**
   * A rejected append at `rejected`; `matchHint` is where the logs probably
   * agree. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Whether an append may be sent now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }

  /** Record an append just sent whose last entry is `lastIndex`. */
  sentAppend(lastIndex: number, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** A heartbeat answer: the follower is alive, let one more append through. */
  onHeartbeatResponse(): void {
    this.probeSent = false;
    if (this.inflight.length >= this.maxInflight) this.inflight.shift();
  }

  private freeInflightUpTo(index: number): void {
    let n = 0;
    while (n < this.inflight.length && this.inflight[n] <= index) n++;
    if (n > 0) this.inflight.splice(0, n);
  }
}
