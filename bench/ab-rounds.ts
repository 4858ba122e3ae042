// Same-run A/B comparison for the benches: A and B take turns, the one that
// goes first alternating from round to round, so that the drift of a shared,
// loaded machine falls on both. Each run is timed (wall clock) and its
// process CPU measured (process.cpuUsage, user + system): on a loaded machine
// the wall-clock figures are noise, CPU per unit of work is what to judge by.
// Reported: per-round ratios of B to A and their medians.
import * as os from 'node:os';

export interface Measured {
  readonly seconds: number;
  /** Process CPU (user + system) over the run, in ms. */
  readonly cpuMs: number;
}

export interface AbRound {
  readonly aSeconds: number;
  readonly bSeconds: number;
  readonly aCpuMs: number;
  readonly bCpuMs: number;
  /** B's throughput over A's: A's time over B's. */
  readonly ratio: number;
  /** B's work per CPU-ms over A's: A's CPU over B's. */
  readonly cpuRatio: number;
  readonly bFirst: boolean;
}

export interface AbResult {
  /** Median of the per-round throughput ratios (B / A). */
  readonly ratio: number;
  /** Median of the per-round CPU ratios (A's CPU / B's CPU: 1 is B costing what A costs). */
  readonly cpuRatio: number;
  readonly rounds: readonly AbRound[];
  /** The 1, 5 and 15 minute load averages when the rounds began and when they ended. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round3 = (x: number) => Number(x.toFixed(3));
export const loadAverage = (): number[] => os.loadavg().map((l) => Number(l.toFixed(2)));

/** Runs `work`, measuring its wall time and the process's CPU over it. */
export async function measure<T>(work: () => Promise<T>): Promise<Measured & { value: T }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuMs: (used.user + used.system) / 1000, value };
}

/**
 * `rounds` rounds of A and B, B first in odd rounds. `a` and `b` do the same
 * work (so their times compare) and are told the round (for fresh names).
 */
export async function alternate(
  rounds: number,
  a: (round: number) => Promise<Measured>,
  b: (round: number) => Promise<Measured>,
  onRound?: (r: AbRound, round: number) => void,
): Promise<AbResult> {
  const start = loadAverage();
  const done: AbRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const bFirst = round % 2 === 1;
    let ra: Measured;
    let rb: Measured;
    if (bFirst) {
      rb = await b(round);
      ra = await a(round);
    } else {
      ra = await a(round);
      rb = await b(round);
    }
    const r: AbRound = {
      aSeconds: round3(ra.seconds),
      bSeconds: round3(rb.seconds),
      aCpuMs: Math.round(ra.cpuMs),
      bCpuMs: Math.round(rb.cpuMs),
      ratio: round3(ra.seconds / rb.seconds),
      cpuRatio: round3(ra.cpuMs / rb.cpuMs),
      bFirst,
    };
    done.push(r);
    onRound?.(r, round);
  }
  return {
    ratio: median(done.map((r) => r.ratio)),
    cpuRatio: median(done.map((r) => r.cpuRatio)),
    rounds: done,
    loadAverage: { start, end: loadAverage() },
  };
}
