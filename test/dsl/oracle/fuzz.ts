// npm run fuzz:dsl -- --runs N [--seed S] [--records M] [--parallel P] [--bulk 0]
// Runs the differential oracle (test driver vs. RillStreams on the embedded
// log) on N generated cases. A failure prints the seed, fast-check's replay
// path and the shrunk case (topology and records) with the differences.
import { runOracle } from './check';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n)) throw new Error(`--${name} needs an integer, not ${process.argv[i + 1]}`);
  return n;
}

async function main(): Promise<void> {
  const runs = arg('runs') ?? 100;
  const seed = arg('seed') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const maxRecords = arg('records');
  const parallel = arg('parallel') ?? 2;
  const bulk = arg('bulk') !== 0;
  const started = Date.now();
  console.log(
    `fuzz:dsl: ${runs} cases, seed ${seed} (properties side by side: ${parallel}, seeds ${seed}..${seed + parallel - 1}${bulk ? '' : ', no bulk cases'})`,
  );
  const result = await runOracle({ runs, seed, maxRecords, parallel, bulk });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.failures.length === 0) {
    console.log(`fuzz:dsl: ${result.runs} cases passed (seed ${seed}) in ${seconds} s`);
    return;
  }
  console.error(
    `fuzz:dsl: FAILED: ${result.failures.length} failing propert${result.failures.length === 1 ? 'y' : 'ies'}, ${result.runs} cases run in ${seconds} s`,
  );
  for (const f of result.failures) console.error(`\n${f}`);
  process.exitCode = 1;
}

void main();
