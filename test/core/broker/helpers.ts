import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Either } from 'fp-ts/Either';

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'rill-broker-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function ok<E, A>(e: Either<E, A>): A {
  if (e._tag === 'Left') throw new Error(`expected Right, got Left: ${(e.left as Error).message ?? e.left}`);
  return e.right;
}

export function err<E, A>(e: Either<E, A>): E {
  if (e._tag === 'Right') throw new Error('expected Left, got Right');
  return e.left;
}

export class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
