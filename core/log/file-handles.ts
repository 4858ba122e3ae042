// The file-handle budget of the logs of one process (or one broker): segment
// files are opened when first read or written and closed again, least recently
// used first, when more than `maxOpen` are open. 100,000 partitions then need
// 100,000 segment files on disk but only `maxOpen` descriptors. Running out of
// descriptors anyway (EMFILE/ENFILE: sockets count too) closes idle files and
// retries once; it is never fatal to the process, and its warning is logged at
// most once per interval.
import * as fs from 'node:fs';
import { lineLog, processLogger } from '../logging';

/** Default `log.max.open.files`: a few thousand, well below the usual open-file limits (sockets need descriptors too). */
export const DEFAULT_MAX_OPEN_FILES = 2048;

/** Logs a message at most once per `intervalMs` per key, saying how many were suppressed in between. */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: (message: string) => void,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the message was logged, false when it was suppressed. */
  warn(key: string, message: string): boolean {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return false;
    }
    const more = seen && seen.suppressed > 0 ? ` (${seen.suppressed} similar message(s) suppressed in the last ${Math.round((t - seen.at) / 1000)} s)` : '';
    this.last.set(key, { at: t, suppressed: 0 });
    this.log(message + more);
    return true;
  }
}

/** One lazily opened file under a FileHandleCache. */
export class LazyFile {
  /** -1 while closed. */
  fd = -1;

  constructor(
    private readonly cache: FileHandleCache,
    public path: string,
    /** Flags of the (re)open; the first open may create the file. */
    private flags: number,
  ) {}

  /** The descriptor, opening the file if needed; valid until the next call into the cache (use it at once). */
  get(): number {
    return this.cache.use(this);
  }

  /** Opens without keeping the descriptor when the file does not exist yet (so a created file costs no handle). */
  ensureExists(): void {
    if (this.fd < 0 && !fs.existsSync(this.path)) this.get();
  }

  /** Later opens must not create (and not truncate): the file exists now. */
  opened(): void {
    this.flags &= ~(fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_EXCL);
  }

  close(): void {
    this.cache.close(this);
  }

  /** Renames the file (open descriptors stay valid on POSIX). */
  rename(to: string): void {
    fs.renameSync(this.path, to);
    this.path = to;
  }

  get flagsForOpen(): number {
    return this.flags;
  }
}

export interface FileHandleCacheOptions {
  maxOpen?: number;
  /** Told (rate-limited) when the process runs out of descriptors. */
  onWarning?: (message: string) => void;
}

/** An LRU of open descriptors (a Map's insertion order is the recency order). */
export class FileHandleCache {
  private readonly open = new Map<LazyFile, true>();
  private _maxOpen: number;
  private readonly warnings: RateLimitedLog;
  /** Descriptors opened and closed over the cache's life (for tests and metrics). */
  opens = 0;
  evictions = 0;

  constructor(options: FileHandleCacheOptions = {}) {
    this._maxOpen = validMax(options.maxOpen ?? DEFAULT_MAX_OPEN_FILES);
    this.warnings = new RateLimitedLog(options.onWarning ?? lineLog(processLogger().child({ component: 'log' }), 'warn'));
  }

  get maxOpen(): number {
    return this._maxOpen;
  }

  set maxOpen(n: number) {
    this._maxOpen = validMax(n);
    this.evictTo(this._maxOpen);
  }

  get openCount(): number {
    return this.open.size;
  }

  file(path: string, flags: number): LazyFile {
    return new LazyFile(this, path, flags);
  }

  use(f: LazyFile): number {
    if (f.fd >= 0) {
      this.open.delete(f);
      this.open.set(f, true);
      return f.fd;
    }
    this.evictTo(this._maxOpen - 1);
    let fd: number;
    try {
      fd = fs.openSync(f.path, f.flagsForOpen, 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EMFILE' && code !== 'ENFILE') throw e;
      // Sockets or other files took the descriptors: give back half of ours and retry once.
      this.evictTo(Math.floor(this.open.size / 2));
      this.warnings.warn(
        'emfile',
        `out of file descriptors (${code}) opening ${f.path}; closed idle log files down to ${this.open.size} open (log.max.open.files=${this._maxOpen}); raise the process's open-file limit or lower log.max.open.files / max.connections`,
      );
      fd = fs.openSync(f.path, f.flagsForOpen, 0o644);
    }
    this.opens++;
    f.fd = fd;
    f.opened();
    this.open.set(f, true);
    return fd;
  }

  close(f: LazyFile): void {
    if (f.fd < 0) return;
    this.open.delete(f);
    const fd = f.fd;
    f.fd = -1;
    fs.closeSync(fd);
  }

  private evictTo(n: number): void {
    for (const f of this.open.keys()) {
      if (this.open.size <= Math.max(0, n)) break;
      this.evictions++;
      this.close(f);
    }
  }
}

function validMax(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`log.max.open.files must be a positive integer, got ${n}`);
  return n;
}

/** The cache logs share unless they are given their own (a broker passes its own, sized by its config). */
export const sharedFileHandles = new FileHandleCache();
