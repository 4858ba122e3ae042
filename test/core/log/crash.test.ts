// Kills a real writer process with SIGKILL at random moments and checks that every
// acknowledged (fsynced) record survives recovery and the log reads to its end.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { PartitionLog, decodeRecordBatches } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('crash');
afterAll(() => dirs.removeAll());

const ROOT = path.resolve(__dirname, '../../..');
const WRITER = path.join(__dirname, 'crash-writer.ts');
const REGISTER = path.join(ROOT, 'test/support/register-ts.js');

/** A seeded PRNG (mulberry32) so a failing run replays. */
function prng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the writer until it has acknowledged `acks` appends, kills it, returns the highest acked offset. */
function runAndKill(dir: string, acks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let highest = -1;
    let seen = 0;
    let pending = '';
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ready')) continue;
        highest = Math.max(highest, Number(line));
        if (++seen === acks) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal === 'SIGKILL' || code === 0) resolve(highest);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

test('every acknowledged record survives 20 SIGKILLs at random moments', async () => {
  const dir = dirs.make();
  const random = prng(20261129);
  let acknowledged = -1;
  for (let round = 0; round < 20; round++) {
    const highest = await runAndKill(dir, 1 + Math.floor(random() * 150));
    acknowledged = Math.max(acknowledged, highest);
    const log = PartitionLog.open(dir, { 'segment.bytes': 4096 });
    expect(log.logEndOffset).toBeGreaterThan(acknowledged);
    // Read everything back in order: every offset present once, with its own value.
    let offset = 0;
    while (offset < log.logEndOffset) {
      const batches = decodeRecordBatches(log.read(offset, 64 * 1024));
      if (batches._tag === 'Left') throw new Error(batches.left.message);
      for (const r of batches.right.flatMap((b) => b.records)) {
        if (r.offset < offset) continue;
        expect(r.offset).toBe(offset);
        expect(r.value!.toString()).toBe(`v${offset}`);
        offset++;
      }
    }
    expect(log.verify()).toEqual([]);
    log.close();
  }
}, 240_000);
