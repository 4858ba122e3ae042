// Leader epoch -> start offset, persisted in `leader-epoch-checkpoint` (Kafka's
// LeaderEpochFileCache). Followers use endOffsetFor() to truncate by epoch
// (KIP-101) instead of by high watermark.
//
// The cache in memory is authoritative; the file follows it off the event loop
// (KAFKA-15046): a change starts a background write (temp file fsynced on
// libuv's threads, renamed, directory fsynced), and changes made meanwhile are
// coalesced into the next one. Creating 10,000 partitions, or taking over the
// 3,333 a dead broker led, costs no fsync on the loop.
//
// Why an older file is safe after a crash (see PartitionLog.load):
// - entries the file holds past what the log holds (a truncation not yet
//   written) are cut by truncateFromEnd(logEndOffset) on open;
// - a start-of-log move not yet written leaves an older first entry, which
//   truncateFromStart(logStartOffset) on open moves again;
// - entries missing from the file (an epoch assigned, its write not finished)
//   are the dangerous case: a follower would answer OffsetsForLeaderEpoch from
//   an older epoch and truncate committed records. So the log never lets its
//   recovery point pass undurableFrom() (the first entry the file may lack):
//   the segments holding those batches are scanned on open, and the epochs are
//   rebuilt from their batch headers (as Kafka's recovery assigns epochs from
//   the batches it scans). An epoch that wrote no batch is then forgotten, which
//   the truncation logic already allows (PartitionReplica forgets such epochs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  readCheckpoint,
  writeCheckpoint,
  CheckpointError,
  checkpointText,
  writeAndSyncAsync,
  fsyncDirectoryAsync,
  stageCheckpoint,
  type StagedCheckpoint,
} from './checkpoint-file';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** An OffsetsForLeaderEpoch answer: an epoch and the offset where it ends. */
export interface EpochEnd {
  readonly epoch: number;
  readonly endOffset: number;
}

/** Kafka's answer for an epoch a log cannot place (shared: never mutated). */
const UNDEFINED_EPOCH_END: EpochEnd = Object.freeze({ epoch: -1, endOffset: -1 });

/** Names the background writes' temp files apart (a sync write uses `<file>.tmp`). */
let backgroundWrites = 0;

/**
 * Background writes run a few at a time per process, the rest wait in line
 * (changes made while waiting join the same write). Unbounded, 10,000 new
 * partitions started 10,000 writes at once: 10,000 open temp files (past the
 * broker's descriptor budget) and a disk queue of fsyncs that every other
 * fsync of the broker waited behind.
 */
const WRITES_IN_FLIGHT = 4;
const waitingToWrite: LeaderEpochCache[] = [];
let writesInFlight = 0;

function startWrites(): void {
  while (writesInFlight < WRITES_IN_FLIGHT && waitingToWrite.length > 0) {
    const cache = waitingToWrite.shift()!;
    writesInFlight++;
    void cache.writeOnce().finally(() => {
      writesInFlight--;
      startWrites();
    });
  }
}

export class LeaderEpochCache {
  private entries: EpochEntry[];
  /** What the file holds once the last finished write's directory fsync is done. */
  private durable: readonly EpochEntry[];
  /** Bumped by every change; a write carries the generation it wrote. */
  private generation = 0;
  private renamedGeneration = 0;
  private durableGeneration = 0;
  /** Set while this cache waits in line or writes; resolved when it does neither. */
  private writing: { done: Promise<void>; resolve: () => void } | undefined;
  /** The temp file of the background write under way: close() removes it, so nothing of this cache appears after. */
  private tmp: string | undefined;
  private closed = false;
  /** What stageClose() wrote to its temp file, counted durable only once stagedDurable() says so. */
  private stagedForClose: { generation: number; entries: readonly EpochEntry[] } | undefined;

  constructor(
    readonly file: string,
    private readonly onWriteError: (e: Error) => void = () => {},
  ) {
    this.entries = (readCheckpoint(file) ?? []).map((line) => {
      const [epoch, startOffset] = line.split(' ').map(Number);
      if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(startOffset)) {
        throw new CheckpointError(file, `bad leader epoch entry ${JSON.stringify(line)}`);
      }
      return { epoch, startOffset };
    });
    this.durable = this.entries;
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
    this.entries = [...this.entries, { epoch, startOffset }];
    this.changed();
  }

  /**
   * Where epoch `epoch` ends in this log, as Kafka's LeaderEpochFileCache.endOffsetFor
   * answers OffsetsForLeaderEpoch (KIP-101, KIP-279):
   * - the latest epoch: it ends at `logEndOffset`;
   * - an epoch between two this log knows: the largest known epoch <= it, ending
   *   where the next known epoch starts;
   * - an epoch older than every one this log knows: that epoch itself, ending where
   *   the first known epoch starts (the records before were removed from this log:
   *   a follower keeps nothing past that start, and fetches on from there);
   * - no epoch (-1), an epoch newer than all known, or an empty cache:
   *   `{ epoch: -1, endOffset: -1 }` (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET).
   */
  endOffsetFor(epoch: number, logEndOffset: number): EpochEnd {
    const entries = this.entries;
    if (epoch < 0 || entries.length === 0) return UNDEFINED_EPOCH_END;
    if (entries[entries.length - 1].epoch === epoch) return { epoch, endOffset: logEndOffset };
    // The first entry of a newer epoch: where the asked epoch (or the floor of it) ends.
    let higher = entries.length - 1;
    if (entries[higher].epoch < epoch) return UNDEFINED_EPOCH_END;
    while (higher > 0 && entries[higher - 1].epoch > epoch) higher--;
    const endOffset = entries[higher].startOffset;
    return { epoch: higher === 0 ? epoch : entries[higher - 1].epoch, endOffset };
  }

  /** The log was truncated to `offset`: epochs starting at or after it are gone. */
  truncateFromEnd(offset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length !== this.entries.length) {
      this.entries = kept;
      this.changed();
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
      this.changed();
    }
  }

  /**
   * The first offset from which the file on disk may disagree with memory
   * (Infinity when it agrees): the log's durable recovery point stays below it.
   * A first entry whose start moved forward does not count (reopening moves it again).
   */
  get undurableFrom(): number {
    const current = this.entries;
    // Entries the file still has before the current first one were cut from the start.
    const first = current[0]?.epoch ?? Infinity;
    const durable = this.durable.filter((e) => e.epoch >= first);
    for (let i = 0; i < Math.max(current.length, durable.length); i++) {
      const c = current[i];
      const d = durable[i];
      if (c !== undefined && d !== undefined && c.epoch === d.epoch && (c.startOffset === d.startOffset || (i === 0 && c.startOffset > d.startOffset)))
        continue;
      return Math.min(c?.startOffset ?? Infinity, d?.startOffset ?? Infinity);
    }
    return Infinity;
  }

  /** Writes the file now, on the event loop, if it is behind memory (a clean close). */
  flush(): void {
    if (this.closed || this.durableGeneration === this.generation) return;
    const generation = this.generation;
    const entries = this.entries;
    writeCheckpoint(this.file, lines(entries));
    this.renamedGeneration = this.durableGeneration = generation;
    this.durable = entries;
  }

  /** Resolves when no background write is running (tests, and callers that must see the file). */
  async idle(): Promise<void> {
    while (this.writing !== undefined) await this.writing.done;
  }

  /** Flushes what is pending, then stops writing. */
  close(): void {
    this.flush();
    this.abandon();
  }

  /**
   * close() with the fsync and rename left to the caller (a log closing its
   * files together): the file's new text staged when memory is ahead of it,
   * then no more writes. Not durable yet: undurableFrom keeps counting the
   * entries the old file lacks until the caller has fsynced the temp file,
   * renamed it into place and fsynced the directory (stagedDurable()). A
   * close that fails on the way leaves the recovery point held below them.
   */
  stageClose(): StagedCheckpoint | undefined {
    let staged: StagedCheckpoint | undefined;
    if (!this.closed && this.durableGeneration !== this.generation) {
      staged = stageCheckpoint(this.file, lines(this.entries));
      this.stagedForClose = { generation: this.generation, entries: this.entries };
    }
    this.abandon();
    return staged;
  }

  /** What stageClose() staged is renamed into place and its directory fsynced: the file now holds it. */
  stagedDurable(): void {
    const staged = this.stagedForClose;
    if (staged === undefined) return;
    this.stagedForClose = undefined;
    this.renamedGeneration = this.durableGeneration = staged.generation;
    this.durable = staged.entries;
  }

  /**
   * Stops writing without flushing (the directory is being deleted). The temp
   * file of a write under way goes now: once this returns no file of this cache
   * appears (whoever removes the directory next races with nothing).
   */
  abandon(): void {
    this.closed = true;
    if (this.tmp !== undefined) fs.rmSync(this.tmp, { force: true });
    this.tmp = undefined;
  }

  private changed(): void {
    this.generation++;
    this.schedule();
  }

  private schedule(): void {
    if (this.writing !== undefined || this.closed) return;
    let resolve = () => {};
    const done = new Promise<void>((r) => (resolve = r));
    this.writing = { done, resolve };
    waitingToWrite.push(this);
    startWrites();
  }

  /**
   * One background write of the newest generation (called by startWrites());
   * in line again if more changed meanwhile. A failed write waits for the next
   * change (or flush()).
   */
  async writeOnce(): Promise<void> {
    const generation = this.generation;
    const entries = this.entries;
    const tmp = `${this.file}.${process.pid}-${++backgroundWrites}.tmp`;
    let failed = false;
    try {
      if (this.closed || this.renamedGeneration >= generation) return;
      // Created here, on the event loop (no fsync: cheap), so abandon() can remove it.
      const fd = fs.openSync(tmp, 'w', 0o644);
      this.tmp = tmp;
      await writeAndSyncAsync(fd, checkpointText(lines(entries)));
      // Renamed on the event loop, after checking no newer write (a flush()) got there first.
      if (this.closed) return;
      this.tmp = undefined;
      if (generation <= this.renamedGeneration) {
        fs.rmSync(tmp, { force: true });
        return;
      }
      fs.renameSync(tmp, this.file);
      this.renamedGeneration = generation;
      await fsyncDirectoryAsync(path.dirname(this.file));
      if (generation > this.durableGeneration) {
        this.durableGeneration = generation;
        this.durable = entries;
      }
    } catch (e) {
      failed = true;
      if (this.tmp === tmp) this.tmp = undefined;
      if (!this.closed) fs.rmSync(tmp, { force: true });
      // A log being deleted loses its directory under the write: nothing to report.
      if (!this.closed) this.onWriteError(e as Error);
    } finally {
      const writing = this.writing;
      this.writing = undefined;
      // Changed meanwhile: in line again (after a failure, the next change or flush() tries).
      if (!failed && this.renamedGeneration < this.generation) this.schedule();
      writing?.resolve();
    }
  }
}

/** Leftover temp files of background writes cut short by a crash (`<file>.<pid>-<n>.tmp`). */
export function isLeaderEpochTemp(name: string, file: string): boolean {
  return name.startsWith(`${file}.`) && name.endsWith('.tmp');
}

function lines(entries: readonly EpochEntry[]): string[] {
  return entries.map((e) => `${e.epoch} ${e.startOffset}`);
}
