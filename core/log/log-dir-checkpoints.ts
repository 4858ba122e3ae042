// One recovery-point and one high-watermark checkpoint per log directory, for
// every partition directory in it (Kafka's `recovery-point-offset-checkpoint`
// and `replication-offset-checkpoint` in each log.dirs entry), written by one
// timer when something moved, instead of two files per partition each with its
// own fsyncs. Each line is `<partition directory name> <offset>`.
//
// Why a file that lags the logs is safe:
// - a recovery point only says which closed segments need no rescan on open,
//   and every closed segment was fsynced when it rolled; an older (lower) one
//   rescans more, a newer one never exists on disk before the data it covers;
// - a high watermark only grows, except on truncation below it, which only an
//   unclean election allows; an older (lower) one hides committed records until
//   the followers report again, as in Kafka (which writes it every 5 s).
// Partition directories this file does not name yet fall back to their own
// per-partition files (data directories written before this file existed);
// those are removed once a write of this file holds their values.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckpoint, writeCheckpointText, checkpointText, CheckpointError } from './checkpoint-file';

export const RECOVERY_POINTS_FILE = 'recovery-point-offset-checkpoint';
export const HIGH_WATERMARKS_FILE = 'replication-offset-checkpoint';
/** The checkpoint exists but cannot be read: a log recovers as if it had none, and opens no faster for it. */
export const UNREADABLE_CHECKPOINT = Symbol('unreadable checkpoint');
export type CheckpointRead = number | undefined | typeof UNREADABLE_CHECKPOINT;

/** What a log wants checkpointed now (highWatermark undefined: the log keeps none). */
export interface CheckpointOffsets {
  recoveryPoint: number;
  highWatermark: number | undefined;
}

export interface LogDirCheckpointsOptions {
  /** A checkpoint file that could not be read, or a write that failed (the next write tries again). */
  onWarning?: (file: string, message: string) => void;
  /** How often maybeWrite() writes, when something moved (Kafka: replica.high.watermark.checkpoint.interval.ms, 5 s). */
  intervalMs?: number;
}

type Offsets = Map<string, number>;

export class LogDirCheckpoints {
  /** Offsets of partitions with no open log (as read, or as their log left them at close). */
  private readonly recoveryPoints: Offsets;
  private readonly highWatermarks: Offsets;
  private readonly unreadable = { recovery: false, highWatermark: false };
  private readonly sources = new Map<string, () => CheckpointOffsets>();
  /** Partition directories whose own checkpoint files go once a write holds their values. */
  private readonly migrated = new Map<string, readonly string[]>();
  /** The texts last written, so an unchanged file is not written again. */
  private written = { recovery: '', highWatermark: '' };
  private lastWriteAt = -Infinity;

  constructor(
    readonly dir: string,
    private readonly options: LogDirCheckpointsOptions = {},
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.recoveryPoints = this.read(RECOVERY_POINTS_FILE, 'recovery');
    this.highWatermarks = this.read(HIGH_WATERMARKS_FILE, 'highWatermark');
    // An unreadable file is written again at the first write, even with nothing in it.
    this.written = {
      recovery: this.unreadable.recovery ? '' : checkpointText(entryLines(this.recoveryPoints)),
      highWatermark: this.unreadable.highWatermark ? '' : checkpointText(entryLines(this.highWatermarks)),
    };
  }

  /** The recovery point this directory's file holds for partition directory `name`. */
  recoveryPointOf(name: string): CheckpointRead {
    return this.unreadable.recovery ? UNREADABLE_CHECKPOINT : this.recoveryPoints.get(name);
  }

  highWatermarkOf(name: string): CheckpointRead {
    return this.unreadable.highWatermark ? UNREADABLE_CHECKPOINT : this.highWatermarks.get(name);
  }

  /**
   * An open log of partition directory `name`: its offsets are read at each write.
   * `ownFiles`: its per-partition checkpoint files, removed after the next write.
   */
  attach(name: string, offsets: () => CheckpointOffsets, ownFiles: readonly string[] = []): void {
    this.sources.set(name, offsets);
    if (ownFiles.length > 0) this.migrated.set(name, ownFiles);
  }

  /** The log closed: its last offsets stay in the files. */
  detach(name: string, last: CheckpointOffsets): void {
    this.sources.delete(name);
    this.keep(name, last);
  }

  /** The partition directory is deleted: its lines go at the next write. */
  forget(name: string): void {
    this.sources.delete(name);
    this.migrated.delete(name);
    this.recoveryPoints.delete(name);
    this.highWatermarks.delete(name);
  }

  /** write() if `intervalMs` passed since the last one. */
  maybeWrite(now: number): void {
    if (now - this.lastWriteAt < (this.options.intervalMs ?? 5_000)) return;
    this.lastWriteAt = now;
    this.write();
  }

  /**
   * Writes each file whose text changed (temp file, fsync, rename, directory
   * fsync). A failed write is reported and tried again next time.
   */
  write(): void {
    const recoveryPoints = new Map(this.recoveryPoints);
    const highWatermarks = new Map(this.highWatermarks);
    for (const [name, offsets] of this.sources) setOffsets(recoveryPoints, highWatermarks, name, offsets());
    try {
      this.writeIfChanged('recovery', RECOVERY_POINTS_FILE, entryLines(recoveryPoints));
      this.writeIfChanged('highWatermark', HIGH_WATERMARKS_FILE, entryLines(highWatermarks));
    } catch (e) {
      this.options.onWarning?.(this.dir, `could not write the checkpoints of ${this.dir}: ${(e as Error).message}; trying again at the next write`);
      return;
    }
    for (const [name, files] of this.migrated) for (const f of files) fs.rmSync(path.join(this.dir, name, f), { force: true });
    this.migrated.clear();
  }

  private writeIfChanged(which: 'recovery' | 'highWatermark', file: string, lines: string[]): void {
    const text = checkpointText(lines);
    if (text === this.written[which]) return;
    writeCheckpointText(path.join(this.dir, file), text);
    this.written[which] = text;
    this.unreadable[which] = false;
  }

  private keep(name: string, offsets: CheckpointOffsets): void {
    setOffsets(this.recoveryPoints, this.highWatermarks, name, offsets);
  }

  private read(file: string, which: 'recovery' | 'highWatermark'): Offsets {
    const full = path.join(this.dir, file);
    const offsets: Offsets = new Map();
    try {
      for (const line of readCheckpoint(full) ?? []) {
        const [name, value, extra] = line.split(' ');
        const offset = Number(value);
        if (!name || extra !== undefined || !Number.isSafeInteger(offset) || offset < 0) throw new CheckpointError(full, `bad entry ${JSON.stringify(line)}`);
        offsets.set(name, offset);
      }
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      this.unreadable[which] = true;
      this.options.onWarning?.(full, `ignored the unreadable checkpoint ${full} (${e.message}); every partition in ${this.dir} recovers without it`);
      return new Map();
    }
    return offsets;
  }
}

/** A zero is not written: an absent line reads as 0, and 10,000 new partitions write nothing. */
function setOffsets(recoveryPoints: Offsets, highWatermarks: Offsets, name: string, o: CheckpointOffsets): void {
  if (o.recoveryPoint > 0) recoveryPoints.set(name, o.recoveryPoint);
  else recoveryPoints.delete(name);
  if (o.highWatermark !== undefined && o.highWatermark > 0) highWatermarks.set(name, o.highWatermark);
  else highWatermarks.delete(name);
}

/** Sorted, so equal contents give equal texts. */
function entryLines(offsets: Offsets): string[] {
  return [...offsets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, offset]) => `${name} ${offset}`);
}
