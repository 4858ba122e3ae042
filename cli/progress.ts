// Progress of long CLI work (cli-progress), on stderr and only when stderr is a
// terminal: piped or redirected, a command prints its result and nothing else.
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import type { CommandIO } from './io';

export interface ProgressOptions {
  /** The amount of the whole work, when known: a bar and a percentage; else a running count. */
  total?: number;
  /** What is counted ("records", "bytes read"). */
  unit?: string;
  /** More counts shown after the first, e.g. { lines: 'lines sent' }: name -> caption. */
  extra?: Record<string, string>;
}

export class Progress {
  private bar: SingleBar | undefined;
  private total: number | undefined;

  constructor(
    private readonly io: CommandIO,
    private readonly label: string,
    private readonly options: ProgressOptions = {},
  ) {
    this.total = options.total;
  }

  /** The whole work grew or became known. */
  setTotal(total: number): void {
    this.total = total;
    this.bar?.setTotal(total);
  }

  update(done: number, extra: Record<string, number> = {}): void {
    if (!this.io.interactive) return;
    if (this.bar === undefined) {
      this.bar = new SingleBar({ stream: this.io.stderr, format: this.format(), hideCursor: false, fps: 10, barsize: 30 });
      this.bar.start(this.total ?? 0, done, extra);
    } else this.bar.update(done, extra);
  }

  /** The last count, then the line is left as it is. */
  done(done: number, extra: Record<string, number> = {}): void {
    if (!this.io.interactive) return;
    this.update(done, extra);
    this.bar?.stop();
  }

  private format(): string {
    const unit = this.options.unit ?? 'records';
    const extra = Object.entries(this.options.extra ?? {})
      .map(([name, caption]) => ` | {${name}} ${caption}`)
      .join('');
    return this.total !== undefined && this.total > 0
      ? `${this.label} [{bar}] {percentage}% | {value}/{total} ${unit}${extra}`
      : `${this.label} {value} ${unit}${extra}`;
  }
}

/** The size of a command's stdin when it is a regular file (`rill produce < file`), else undefined. */
export function inputFileSize(stdin: Readable): number | undefined {
  const fd = (stdin as Readable & { fd?: unknown }).fd;
  if (typeof fd !== 'number') return undefined;
  try {
    const stat = fs.fstatSync(fd);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

/** One restore as RillStreams reports it (onRestoreProgress). */
interface RestoreReport {
  readonly store: string;
  readonly partition: number;
  readonly restored: number;
  readonly total: number;
  readonly done: boolean;
}

/** The restores of a worker's new tasks (several stores and partitions) as one bar: records restored of those to restore. */
export class RestoreProgress {
  private readonly parts = new Map<string, RestoreReport>();
  private progress: Progress | undefined;

  constructor(private readonly io: CommandIO) {}

  report(r: RestoreReport): void {
    this.parts.set(`${r.store}/${r.partition}`, r);
    let restored = 0;
    let total = 0;
    for (const p of this.parts.values()) {
      restored += p.restored;
      total += p.total;
    }
    this.progress ??= new Progress(this.io, 'restoring stores', { total, unit: 'records' });
    this.progress.setTotal(total);
    if ([...this.parts.values()].every((p) => p.done)) {
      this.progress.done(restored);
      this.progress = undefined;
      this.parts.clear();
    } else this.progress.update(restored);
  }
}
