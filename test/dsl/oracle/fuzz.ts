// npm run fuzz:dsl -- --runs N [--seed S] [--records M]
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
  const started = Date.now();
  console.log(`fuzz:dsl: ${runs} cases, seed ${seed}`);
  try {
    await runOracle({ runs, seed, maxRecords });
    console.log(`fuzz:dsl: ${runs} cases passed (seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error(`fuzz:dsl: FAILED (seed ${seed}) after ${((Date.now() - started) / 1000).toFixed(1)} s\n${(e as Error).message}`);
    process.exitCode = 1;
  }
}

void main();
