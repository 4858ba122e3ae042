// The V8 heap setting of a `rill broker` process (single-node, controller or
// cluster broker).
//
// A broker's JavaScript heap is small (15-20 MB live) while its Buffers (what
// it reads from sockets, the appends a leader holds until the high watermark
// passes them) live outside it. V8 counts the external memory that grew since
// the last full collection against the old generation's limit, and that limit
// sits only a few MB above a small live heap. So the Buffers in flight alone
// kept starting full (mark-compact) collections: 3-8 a second in a loaded
// bench:cluster run, one for every 3-6 MB produced, almost none of them
// finding old-generation garbage, and 25% of the brokers' CPU in a profile of
// an RF 3 window.
//
// A fixed growing factor puts the limit at a multiple of the live heap, far
// above what the Buffers in flight add: the same runs then made 2 full
// collections per broker instead of 130, and GC time per MB produced fell from
// 6-10 ms to 0.3-1.3 (docs/cluster.md, "Replication cost"). The factor is read
// each time V8 sets the limit after a collection, so setting it from the
// running process takes effect (unlike the semi-space or initial old-space
// sizes, which V8 reads only when the heap is made).
import * as v8 from 'node:v8';

/** The environment variable that overrides the factor (0 leaves V8's own dynamic one). */
export const HEAP_GROWING_PERCENT_ENV = 'RILL_BROKER_HEAP_GROWING_PERCENT';
/**
 * The old generation may grow to 4x its live size before a full collection:
 * V8's own largest dynamic factor (taken when collections are cheap), fixed.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 300;
const V8_FLAG = '--heap-growing-percent';

export type HeapSetting =
  | { readonly kind: 'set'; readonly percent: number }
  | { readonly kind: 'node-flag'; readonly flag: string }
  | { readonly kind: 'v8-default' };

/**
 * What the broker process's heap growing factor is to be: a node command-line
 * flag wins, then the environment variable, then the default. Throws on an
 * environment value that is not a whole number of percent.
 */
export function brokerHeapSetting(env: NodeJS.ProcessEnv, execArgv: readonly string[]): HeapSetting {
  const flag = execArgv.find((a) => a === V8_FLAG || a.startsWith(`${V8_FLAG}=`) || a === '--heap_growing_percent' || a.startsWith('--heap_growing_percent='));
  if (flag !== undefined) return { kind: 'node-flag', flag };
  const raw = env[HEAP_GROWING_PERCENT_ENV];
  if (raw === undefined || raw.trim() === '') return { kind: 'set', percent: DEFAULT_HEAP_GROWING_PERCENT };
  const percent = Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > 10_000)
    throw new Error(`${HEAP_GROWING_PERCENT_ENV}=${JSON.stringify(raw)}: expected a whole number of percent from 0 (V8's own factor) to 10000`);
  return percent === 0 ? { kind: 'v8-default' } : { kind: 'set', percent };
}

/** Applies the setting to this process's V8 (from its next full collection on). */
export function applyBrokerHeapSetting(setting: HeapSetting): void {
  if (setting.kind === 'set') v8.setFlagsFromString(`${V8_FLAG}=${setting.percent}`);
}
