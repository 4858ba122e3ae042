// An exclusive lock on a data directory, like Kafka's `.lock` in each log dir.
// Node has no flock, so the lock is a file created atomically (written aside,
// then hard-linked into place: link fails when the name exists) holding the
// holder's pid, hostname and process start time. A lock whose holder is gone
// is stale and taken over:
//   - same host, and `process.kill(pid, 0)` says no such process, or the pid
//     now belongs to a process started at another time (pid reuse): stale;
//   - same host and pid as this process: ours (the holder crashed and this
//     process got its pid, as PID 1 in a restarted container does; or this
//     process reopens a directory it never closed, as crash tests do);
//   - another host (a shared filesystem): never stale, the error says which
//     host holds it and that removing the file is the operator's call.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = '.lock';

/** A data directory another live process holds. */
export class DirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.hostname === os.hostname() ? `process ${holder.pid}` : `process ${holder.pid} on host ${holder.hostname}`;
    const hint = holder.hostname === os.hostname() ? 'stop it first, or use another directory' : `if that process is gone, delete ${path.join(dir, LOCK_FILE)}`;
    super(`data directory ${dir} is in use by ${where} (lock ${path.join(dir, LOCK_FILE)}); ${hint}`);
    this.name = 'DirLockedError';
  }
}

export interface LockHolder {
  pid: number;
  hostname: string;
  /** The holder's start time (Linux: /proc/PID/stat field 22), null where unknown. */
  started: string | null;
}

/** Start time of process `pid` in clock ticks since boot (Linux), null where /proc does not say. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is parenthesised and may hold spaces: count from after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists (another user's process).
  }
  const started = startTimeOf(holder.pid);
  return holder.started === null || started === null || started === holder.started;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (Number.isInteger(h.pid) && typeof h.hostname === 'string')
      return { pid: h.pid, hostname: h.hostname, started: typeof h.started === 'string' ? h.started : null };
  } catch {
    // missing or unreadable: a holder that died before writing it cannot be (the file is written before it is linked)
  }
  return undefined;
}

export class DirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
    private readonly content: string,
  ) {}

  /** Takes the lock on `dir` (created if missing); throws DirLockedError when a live process holds it. */
  static acquire(dir: string): DirLock {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, LOCK_FILE);
    const me: LockHolder = { pid: process.pid, hostname: os.hostname(), started: startTimeOf(process.pid) };
    // A token of its own, so that releasing removes only this lock (not one a later opener in this process took over).
    const content = JSON.stringify({ ...me, token: Math.random().toString(36).slice(2) }) + '\n';
    const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(aside, content);
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          fs.linkSync(aside, file);
          return new DirLock(dir, file, content);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const holder = readHolder(file);
        if (holder === undefined) {
          // Unreadable (a torn file from an older writer): stale.
          fs.rmSync(file, { force: true });
          continue;
        }
        const ours = holder.hostname === me.hostname && holder.pid === me.pid;
        if (!ours && (holder.hostname !== me.hostname || alive(holder))) throw new DirLockedError(dir, holder);
        fs.rmSync(file, { force: true });
      }
      const holder = readHolder(file);
      throw holder ? new DirLockedError(dir, holder) : new Error(`cannot lock data directory ${dir}: ${file} keeps changing`);
    } finally {
      fs.rmSync(aside, { force: true });
    }
  }

  /** Removes the lock file, if it is still this lock's. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (fs.readFileSync(this.file, 'utf8') === this.content) fs.rmSync(this.file, { force: true });
    } catch {
      // already gone (the directory was removed)
    }
  }
}
