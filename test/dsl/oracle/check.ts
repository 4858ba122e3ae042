// One oracle property: a case gives the same results through the test driver
// and through the runtime (see compare.ts for what "the same" means).
import fc from 'fast-check';
import { describeCase, differences } from './compare';
import { oracleCase } from './generator';
import { runRuntime, runTestDriver } from './runner';
import type { OracleCase } from './spec';

export async function checkCase(c: OracleCase): Promise<void> {
  const driver = runTestDriver(c);
  const runtime = await runRuntime(c);
  const diffs = differences(c, driver, runtime);
  if (diffs.length) throw new Error(`the runtime and the test driver disagree:\n${diffs.slice(0, 20).join('\n')}${diffs.length > 20 ? `\n... ${diffs.length - 20} more` : ''}\n${describeCase(c)}`);
}

export interface OracleRun {
  runs: number;
  seed?: number;
  maxRecords?: number;
}

/** Runs the property; a failure throws with the seed, fast-check's replay path and the shrunk case with its differences. */
export async function runOracle(options: OracleRun): Promise<void> {
  const details = await fc.check(
    fc.asyncProperty(oracleCase(options.maxRecords), (c) => checkCase(c)),
    { numRuns: options.runs, ...(options.seed !== undefined ? { seed: options.seed } : {}) },
  );
  if (!details.failed) return;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`oracle failed after ${details.numRuns} cases (seed ${details.seed}, path "${details.counterexamplePath}", shrunk ${details.numShrinks} times):\n${error}`);
}
