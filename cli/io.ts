// What a command reads and writes, injectable so tests run commands in-process.
import type { Readable, Writable } from 'node:stream';

export interface CommandIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Environment (RILL_BOOTSTRAP). */
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal (progress bars only then). */
  interactive: boolean;
}

export function processIO(): CommandIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, interactive: !!process.stderr.isTTY };
}

/** Writes a line to stdout, honouring backpressure (a reader that went away ends the wait too). */
export function writeLine(out: Writable, line: string): Promise<void> | void {
  if (out.destroyed) return;
  if (!out.write(line + '\n'))
    return new Promise((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        out.off('error', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
      out.on('error', done);
    });
}

/** A one-line progress bar on stderr, redrawn at most every 100 ms; silent when not interactive. */
export class Progress {
  private last = 0;
  constructor(
    private readonly io: CommandIO,
    private readonly label: string,
    private readonly total?: number,
  ) {}

  update(done: number): void {
    if (!this.io.interactive) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.draw(done);
  }

  done(done: number): void {
    if (!this.io.interactive) return;
    this.draw(done);
    this.io.stderr.write('\n');
  }

  private draw(done: number): void {
    if (this.total && this.total > 0) {
      const width = 30;
      const filled = Math.min(width, Math.round((done / this.total) * width));
      this.io.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total}`);
    } else this.io.stderr.write(`\r${this.label} ${done}`);
  }
}
