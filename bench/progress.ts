// Progress of a long bench (cli-progress), on stderr and only when stderr is a
// terminal and CI is unset: piped, redirected or in CI logs, a bench prints its
// figures and nothing else. Benches tick between their measured steps, never
// inside them, so the bar does not change what is measured.
import { SingleBar } from 'cli-progress';

export interface BenchProgress {
  /** One step is done; `label` says which (shown until the next tick). The last step stops the bar. */
  tick(label: string): void;
  /** `work` (a value already computed, or a promise), then a tick: `await progress.after('latency', latency())`. */
  after<T>(label: string, work: T | Promise<T>): Promise<T>;
  /** Leaves the bar where it is (steps skipped, or a failure). */
  stop(): void;
}

export interface BenchProgressOptions {
  /** Where the bar is drawn; process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Whose CI variable silences the bar; process.env. */
  env?: NodeJS.ProcessEnv;
}

const QUIET: BenchProgress = { tick: () => {}, after: async (_label, work) => work, stop: () => {} };

/** A bar of `total` steps titled `title`; a do-nothing one off a terminal, in CI, or with no steps. */
export function benchProgress(title: string, total: number, options: BenchProgressOptions = {}): BenchProgress {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  if (total <= 0 || stream.isTTY !== true || (env.CI !== undefined && env.CI !== '' && env.CI !== 'false')) return QUIET;

  const bar = new UnrefBar({
    stream,
    format: `${title} [{bar}] {value}/{total}{step} | {duration_formatted}`,
    barsize: 24,
    hideCursor: false,
    // Leaves the bench's own SIGINT handling alone (cli-progress would add a listener, and Ctrl-C would stop killing it).
    gracefulExit: false,
    // Redrawn after a log line even when the text did not change.
    forceRedraw: true,
    // The bench's own lines in between keep wrapping.
    linewrap: true,
    fps: 5,
  });
  // Lines the bench prints while the bar is shown: the bar's line is cleared first and drawn again under them.
  const originals = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const clearLine = () => stream.write('\r\x1b[2K');
  for (const name of Object.keys(originals) as (keyof typeof originals)[]) {
    console[name] = (...args: unknown[]) => {
      clearLine();
      originals[name](...args);
      bar.render();
    };
  }
  let done = 0;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    Object.assign(console, originals);
    bar.stop();
  };
  bar.start(total, 0, { step: '' });

  const tick = (label: string) => {
    if (stopped) return;
    done++;
    bar.update(done, { step: ` | ${label}` });
    // Steps are seconds apart: draw each at once (update() alone waits for its throttle).
    bar.render();
    if (done >= total) stop();
  };
  return {
    tick,
    after: async (label, work) => {
      const value = await work;
      tick(label);
      return value;
    },
    stop,
  };
}

/**
 * Two changes to cli-progress's SingleBar, through fields its types do not show:
 * - it saves the cursor at start and restores it at stop, but the bench's lines
 *   printed in between scroll the screen, so the restore would go back up and
 *   draw over them: the bar stays on the last line without either;
 * - it redraws on a timer it sets again at each render; unreferenced, that
 *   timer never keeps a bench alive that ends without its last tick (an error).
 */
class UnrefBar extends SingleBar {
  constructor(...args: ConstructorParameters<typeof SingleBar>) {
    super(...args);
    const terminal = (this as unknown as { terminal: { cursorSave(): void; cursorRestore(): void } }).terminal;
    terminal.cursorSave = () => {};
    terminal.cursorRestore = () => {};
  }

  override render(): void {
    super.render();
    (this as unknown as { timer?: NodeJS.Timeout | null }).timer?.unref();
  }
}
