// Same-run A/B comparison for the benches: A and B take turns, the one that
// goes first alternating from round to round, so that the drift of a shared,
// loaded machine falls on both. Each run is timed (wall clock) and its
// process CPU measured (process.cpuUsage, user + system): on a loaded machine
// the wall-clock figures are noise, CPU per unit of work is what to judge by.
// Before each run the heap is collected, so that no run pays for the garbage
// of the one before (without that, the first of a pair cost up to 40% more
// CPU in a loaded bench:dsl run; with it, the spread narrowed). Rounds come in pairs (A first, then B first), so each order
// counts as often. Reported: per-round ratios of B to A, their median and
// geometric mean (which cancels what order bias is left), and bootstrap 95 %
// intervals of both: whether the rounds can tell a 3 % difference at all.
import * as os from 'node:os';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { uniform } from './seeded-random';

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
  /** Their geometric mean. */
  readonly meanRatio: number;
  /** Median of the per-round CPU ratios (A's CPU / B's CPU: 1 is B costing what A costs). */
  readonly cpuRatio: number;
  readonly meanCpuRatio: number;
  /** Bootstrap 95 % intervals of `ratio` (the median of the rounds', resampled) and of the others. */
  readonly ratioInterval95: readonly [number, number];
  readonly cpuRatioInterval95: readonly [number, number];
  readonly meanRatioInterval95: readonly [number, number];
  readonly meanCpuRatioInterval95: readonly [number, number];
  readonly rounds: readonly AbRound[];
  /** The 1, 5 and 15 minute load averages when the rounds began and when they ended. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
/**
 * The 2.5th and 97.5th percentiles of `statistic` of `xs` resampled with
 * replacement (the percentile bootstrap). Seeded: the same rounds give the
 * same interval.
 */
export function bootstrapInterval(xs: readonly number[], statistic: (xs: readonly number[]) => number, resamples = 10_000, seed = 17): [number, number] {
  const next = uniform(seed);
  const values = new Float64Array(resamples);
  const sample = new Array<number>(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(next(xs.length))];
    values[r] = statistic(sample);
  }
  values.sort();
  return [values[Math.floor(0.025 * (resamples - 1))], values[Math.ceil(0.975 * (resamples - 1))]];
}
const geometricMean = (xs: readonly number[]) => Math.exp(xs.reduce((sum, x) => sum + Math.log(x), 0) / xs.length);
const round3 = (x: number) => Number(x.toFixed(3));
const interval95 = (xs: readonly number[], statistic: (xs: readonly number[]) => number) => bootstrapInterval(xs, statistic).map(round3) as [number, number];

/** A full collection (gc() without --expose-gc on the command line: the flag set at run time, the function taken from a fresh context). */
const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
export const loadAverage = (): number[] => os.loadavg().map((l) => Number(l.toFixed(2)));

/** Runs `work`, measuring its wall time and the process's CPU over it. */
export async function measure<T>(work: () => Promise<T>): Promise<Measured & { value: T }> {
  collect();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuMs: (used.user + used.system) / 1000, value };
}

/**
 * Runs `work`, measuring its wall time and the CPU of another process over it
 * (a broker child: `cpuOf` reads its CPU-ms so far). This process's heap is
 * collected first, as in measure().
 */
export async function measureOther<T>(cpuOf: () => number, work: () => Promise<T>): Promise<Measured & { value: T }> {
  collect();
  const cpu = cpuOf();
  const start = process.hrtime.bigint();
  const value = await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, cpuMs: cpuOf() - cpu, value };
}

/**
 * `rounds` rounds of A and B (rounded up to an even count), B first in odd
 * rounds. `a` and `b` do the same work (so their times compare) and are told
 * the round (for fresh names).
 */
export async function alternate(
  rounds: number,
  a: (round: number) => Promise<Measured>,
  b: (round: number) => Promise<Measured>,
  onRound?: (r: AbRound, round: number) => void,
  /** Untimed work before a round (fresh processes for A and B every few rounds, say). */
  beforeRound?: (round: number) => Promise<void>,
): Promise<AbResult> {
  const start = loadAverage();
  const done: AbRound[] = [];
  for (let round = 0; round < rounds + (rounds % 2); round++) {
    await beforeRound?.(round);
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
  const ratios = done.map((r) => r.ratio);
  const cpuRatios = done.map((r) => r.cpuRatio);
  return {
    ratio: round3(median(ratios)),
    meanRatio: round3(geometricMean(ratios)),
    cpuRatio: round3(median(cpuRatios)),
    meanCpuRatio: round3(geometricMean(cpuRatios)),
    ratioInterval95: interval95(ratios, median),
    cpuRatioInterval95: interval95(cpuRatios, median),
    meanRatioInterval95: interval95(ratios, geometricMean),
    meanCpuRatioInterval95: interval95(cpuRatios, geometricMean),
    rounds: done,
    loadAverage: { start, end: loadAverage() },
  };
}

/** B measured as a fraction of A against a goal (exactly-once >= 0.8 of at-least-once): met by time, and by CPU. */
export function againstRatio(r: AbResult, target: number) {
  return { target, met: r.ratio >= target, metByCpu: r.cpuRatio >= target, ...r };
}

/** The median CPU-µs per record of A (without) and of B (with), `records` records a run. */
function cpuUsPerRecord(r: AbResult, records: number): { without: number; with: number } {
  const us = (ms: number) => round3((ms * 1000) / records);
  return { without: us(median(r.rounds.map((x) => x.aCpuMs))), with: us(median(r.rounds.map((x) => x.bCpuMs))) };
}

/**
 * B measured as a cost over A (1 - ratio) against a ceiling (metrics <= 3%):
 * met by time, and by CPU (medians); shown when the whole 95 % interval is
 * under the ceiling.
 */
export function againstCost(r: AbResult, ceiling: number, records?: number) {
  const costInterval = ([lo, hi]: readonly [number, number]): [number, number] => [round3(1 - hi), round3(1 - lo)];
  const costInterval95 = costInterval(r.ratioInterval95);
  const cpuCostInterval95 = costInterval(r.cpuRatioInterval95);
  const meanCpuCostInterval95 = costInterval(r.meanCpuRatioInterval95);
  return {
    cost: round3(1 - r.ratio),
    cpuCost: round3(1 - r.cpuRatio),
    meanCost: round3(1 - r.meanRatio),
    meanCpuCost: round3(1 - r.meanCpuRatio),
    costInterval95,
    cpuCostInterval95,
    meanCostInterval95: costInterval(r.meanRatioInterval95),
    meanCpuCostInterval95,
    target: ceiling,
    met: 1 - r.ratio <= ceiling,
    metByCpu: 1 - r.cpuRatio <= ceiling,
    shown: costInterval95[1] <= ceiling,
    shownByCpu: cpuCostInterval95[1] <= ceiling,
    shownByMeanCpu: meanCpuCostInterval95[1] <= ceiling,
    ...(records === undefined ? {} : { cpuUsPerRecord: cpuUsPerRecord(r, records) }),
    ...r,
  };
}
