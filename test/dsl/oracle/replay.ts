// Replays one oracle case given as JSON (the "Counterexample" fast-check prints,
// with or without the surrounding [ ]): node -r ./test/support/register-ts.js test/dsl/oracle/replay.ts '<json>'
import { describeCase, differences } from './compare';
import { runRuntime, runTestDriver } from './runner';
import type { OracleCase } from './spec';

async function main(): Promise<void> {
  const parsed = JSON.parse(process.argv[2]);
  const c: OracleCase = Array.isArray(parsed) ? parsed[0] : parsed;
  console.log(describeCase(c));
  const driver = runTestDriver(c);
  const runtime = await runRuntime(c);
  console.log('driver:', JSON.stringify(driver, null, 1));
  console.log('runtime:', JSON.stringify(runtime, null, 1));
  const diffs = differences(c, driver, runtime);
  console.log(diffs.length ? diffs.join('\n') : 'equal');
}

void main();
