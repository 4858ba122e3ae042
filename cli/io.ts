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
