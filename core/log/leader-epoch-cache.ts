// Leader epoch -> start offset, persisted in `leader-epoch-checkpoint` (Kafka's
// LeaderEpochFileCache). Followers use endOffsetFor() to truncate by epoch
// (KIP-101) instead of by high watermark.
import { readCheckpoint, writeCheckpoint, CheckpointError } from './checkpoint-file';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[];

  constructor(readonly file: string) {
    this.entries = (readCheckpoint(file) ?? []).map((line) => {
      const [epoch, startOffset] = line.split(' ').map(Number);
      if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(startOffset)) {
        throw new CheckpointError(file, `bad leader epoch entry ${JSON.stringify(line)}`);
      }
      return { epoch, startOffset };
    });
  }

  get latestEpoch(): number | undefined {
    return this.entries.length ? this.entries[this.entries.length - 1].epoch : undefined;
  }

  list(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Records that `epoch` starts at `startOffset`; older or equal epochs are ignored. */
  assign(epoch: number, startOffset: number): void {
    const latest = this.latestEpoch;
    if (latest !== undefined && epoch <= latest) return;
    this.entries.push({ epoch, startOffset });
    this.persist();
  }

  /**
   * For a follower at `epoch`: the largest epoch <= it that this log knows, and the
   * offset where that epoch ends (the next epoch's start, or `logEndOffset`).
   * `{ epoch: -1, endOffset: -1 }` when the log knows no such epoch.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].epoch <= epoch) {
        const next = this.entries[i + 1];
        return { epoch: this.entries[i].epoch, endOffset: next ? next.startOffset : logEndOffset };
      }
    }
    return { epoch: -1, endOffset: -1 };
  }

  /** The log was truncated to `offset`: epochs starting at or after it are gone. */
  truncateFromEnd(offset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length !== this.entries.length) {
      this.entries = kept;
      this.persist();
    }
  }

  /** The log start moved to `offset`: the epoch covering it now starts there. */
  truncateFromStart(offset: number): void {
    let firstKept = 0;
    while (firstKept + 1 < this.entries.length && this.entries[firstKept + 1].startOffset <= offset) firstKept++;
    const kept = this.entries.slice(firstKept);
    if (kept.length && kept[0].startOffset < offset) kept[0] = { ...kept[0], startOffset: offset };
    if (kept.length !== this.entries.length || kept[0]?.startOffset !== this.entries[0]?.startOffset) {
      this.entries = kept;
      this.persist();
    }
  }

  private persist(): void {
    writeCheckpoint(
      this.file,
      this.entries.map((e) => `${e.epoch} ${e.startOffset}`),
    );
  }
}
