// One oracle property: a case gives the same results through the test driver
// and through the runtime (see compare.ts for what "the same" means).
import fc from 'fast-check';
import { describeCase, differences } from './compare';
import { oracleCase } from './generator';
import { RuntimeHarness, runTestDriver } from './runner';
import type { OracleCase } from './spec';

export async function checkCase(c: OracleCase, harness: RuntimeHarness): Promise<void> {
  const driver = runTestDriver(c);
  const runtime = await harness.run(c);
  const diffs = differences(c, driver, runtime);
  if (diffs.length)
    throw new Error(
      `the runtime and the test driver disagree:\n${diffs.slice(0, 20).join('\n')}${diffs.length > 20 ? `\n... ${diffs.length - 20} more` : ''}\n${describeCase(c)}`,
    );
}

export interface OracleRun {
  runs: number;
  seed: number;
  maxRecords?: number;
  /** false: no bulk cases (600-1500 records), only small ones. */
  bulk?: boolean;
  /**
   * Properties run side by side (seeds seed, seed + 1, ...), runs split
   * between them. A case spends most of its time waiting on the runtime's
   * timers, not on the CPU, so this is where the speed is.
   */
  parallel?: number;
}

export interface OracleResult {
  runs: number;
  /** A failure's report: seed, replay path, shrunk case and its differences. */
  failures: string[];
}

/** Runs the property; failures come back with the seed, fast-check's replay path and the shrunk case with its differences. */
export async function runOracle(options: OracleRun): Promise<OracleResult> {
  const parallel = Math.max(1, Math.min(options.parallel ?? 1, options.runs));
  const shares = Array.from({ length: parallel }, (_, i) => Math.floor(options.runs / parallel) + (i < options.runs % parallel ? 1 : 0));
  const results = await Promise.all(shares.map((runs, i) => runOne(runs, options.seed + i, options.maxRecords, options.bulk ?? true)));
  return { runs: results.reduce((n, r) => n + r.runs, 0), failures: results.flatMap((r) => r.failures) };
}

async function runOne(runs: number, seed: number, maxRecords: number | undefined, bulk: boolean): Promise<OracleResult> {
  const harness = new RuntimeHarness();
  let details: fc.RunDetails<[OracleCase]>;
  try {
    details = await fc.check(
      fc.asyncProperty(oracleCase(maxRecords, bulk), (c) => checkCase(c, harness)),
      { numRuns: runs, seed },
    );
  } finally {
    await harness.close();
  }
  if (!details.failed) return { runs: details.numRuns, failures: [] };
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return {
    runs: details.numRuns,
    failures: [
      `oracle failed after ${details.numRuns} cases (seed ${details.seed}, path "${details.counterexamplePath}", shrunk ${details.numShrinks} times):\n${error}`,
    ],
  };
}
