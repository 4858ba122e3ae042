// Starts test/peers/kafka/wordcount-instance.ts as its own process (an instance
// of the word count on the kafkajs LogClient that a test can kill with SIGKILL)
// and follows what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { RebalanceEvent } from '../../../dsl';

const ROOT = path.join(__dirname, '..', '..', '..');
const LIFETIME_MS = 5 * 60_000;

export interface WordCountChild {
  process: ChildProcess;
  /** The partitions it said it owns after its last rebalance. */
  assigned(): number[];
  /** What it printed so far (for a failure's message). */
  output(): string;
}

/** Starts the instance; `onRebalance` hears each rebalance it reports. With `exactlyOnceAs`, it runs exactly-once under that instance id. */
export function startWordCountChild(
  bootstrap: string,
  applicationId: string,
  onRebalance: (e: RebalanceEvent) => void,
  exactlyOnceAs?: string,
): WordCountChild {
  const args = ['-r', './test/support/register-ts.js', 'test/peers/kafka/wordcount-instance.ts', bootstrap, applicationId, String(LIFETIME_MS)];
  if (exactlyOnceAs !== undefined) args.push('exactly-once', exactlyOnceAs);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let assigned: number[] = [];
  let output = '';
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    output += `${l}\n`;
    const m = /^assigned (.*)$/.exec(l);
    if (!m) return;
    assigned = m[1] === '' ? [] : m[1].split(',').map(Number);
    onRebalance({ assigned: [], revoked: [], owned: assigned });
  });
  child.stderr!.on('data', (d) => (output += d));
  return { process: child, assigned: () => assigned, output: () => output };
}
