// Waiting for what an in-process command prints (its ports, its URL): polled
// until it appears, the command ends, or a bound passes.
import type { FakeIO } from '../cli/fake-io';

export const WAIT_MS = 30_000;

/** The first match of `pattern` in the command's stdout; fails when the command ended or WAIT_MS passed without it. */
export async function printed(io: FakeIO, pattern: RegExp, exited: Promise<number>): Promise<RegExpExecArray> {
  let done = false;
  void exited.then(() => (done = true));
  for (let deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
    const m = pattern.exec(io.out());
    if (m) return m;
    if (done) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the command did not print ${pattern}: ${io.out()} ${io.err()}`);
}
