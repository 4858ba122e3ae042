// A close stages the leader-epoch file, fsyncs it, renames it into place and
// fsyncs the directory. Until all of that is done the epochs the old file lacks
// are not durable: a close that fails on the way must keep the directory's
// recovery point below them, or the next start (without a clean-shutdown mark)
// skips the scan that would rebuild them, and answers OffsetsForLeaderEpoch
// from too old an epoch (a follower would then keep records it must truncate).
import type * as fsTypes from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogDirCheckpoints, PartitionLog } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

// The module object the log's `import * as fs` reads through (a namespace import here would be frozen).
const nodeFs = require('node:fs') as typeof fsTypes;

const dirs = tempDirs('close-epochs');
afterEach(() => dirs.removeAll());

const CONFIG = { 'segment.bytes': 100_000 };
const EPOCH_FILE = 'leader-epoch-checkpoint';
const rec = (i: number) => [{ key: null, value: Buffer.from(`v${i}`), timestamp: i }];

/**
 * A log of one directory whose epoch file holds epoch 3 (from 0) but not epoch 7
 * (from 5), with every record flushed: only the epoch file holds the recovery point back, at 5.
 */
async function logWithUndurableEpoch(): Promise<{ root: string; dir: string; checkpoints: LogDirCheckpoints; log: PartitionLog }> {
  const root = dirs.make();
  const dir = path.join(root, 't-0');
  fs.mkdirSync(dir);
  const checkpoints = new LogDirCheckpoints(root);
  const log = PartitionLog.open(dir, CONFIG, { replicated: true, dirCheckpoints: checkpoints });
  for (let i = 0; i < 5; i++) log.appendRecords(rec(i), { leaderEpoch: 3 });
  await log.leaderEpochs.idle();
  // Epoch 7's background write is under way (not finished) when the close starts.
  for (let i = 5; i < 10; i++) log.appendRecords(rec(i), { leaderEpoch: 7 });
  log.roll();
  for (let i = 10; i < 15; i++) log.appendRecords(rec(i), { leaderEpoch: 7 });
  log.flush();
  expect(log.checkpointOffsets().recoveryPoint).toBe(5);
  return { root, dir, checkpoints, log };
}

/** What the broker does after a failed close (its directory checkpoints written), then a restart: epoch 3 must end at 5. */
function expectEpochRebuiltAfterRestart(root: string, dir: string, checkpoints: LogDirCheckpoints): void {
  expect(fs.readFileSync(path.join(dir, EPOCH_FILE), 'utf8')).not.toMatch(/^7 /m);
  checkpoints.write();
  const again = PartitionLog.open(dir, CONFIG, { replicated: true, dirCheckpoints: new LogDirCheckpoints(root) });
  try {
    expect(again.leaderEpochs.endOffsetFor(3, again.logEndOffset)).toEqual({ epoch: 3, endOffset: 5 });
    expect(again.leaderEpochs.endOffsetFor(7, again.logEndOffset)).toEqual({ epoch: 7, endOffset: 15 });
  } finally {
    again.close();
  }
}

test('closeAsync failing before the epoch file is in place keeps the recovery point below the epoch it lacks', async () => {
  const { root, dir, checkpoints, log } = await logWithUndurableEpoch();
  const closing = log.closeAsync();
  // Staged on the call, fsynced after it: the temp file disappears in between.
  fs.rmSync(path.join(dir, `${EPOCH_FILE}.tmp`));
  await expect(closing).rejects.toThrow(/ENOENT/);
  expect(log.checkpointOffsets().recoveryPoint).toBe(5);
  expectEpochRebuiltAfterRestart(root, dir, checkpoints);
});

test('close() failing to rename the epoch file into place keeps the recovery point below the epoch it lacks', async () => {
  const { root, dir, checkpoints, log } = await logWithUndurableEpoch();
  const realRename = nodeFs.renameSync;
  nodeFs.renameSync = ((from: fsTypes.PathLike, to: fsTypes.PathLike) => {
    if (String(to) === path.join(dir, EPOCH_FILE)) throw Object.assign(new Error(`EIO: injected disk fault, rename '${String(to)}'`), { code: 'EIO' });
    realRename(from, to);
  }) as typeof nodeFs.renameSync;
  try {
    expect(() => log.close()).toThrow(/EIO/);
  } finally {
    nodeFs.renameSync = realRename;
  }
  expect(log.checkpointOffsets().recoveryPoint).toBe(5);
  expectEpochRebuiltAfterRestart(root, dir, checkpoints);
});

test('a close that succeeds counts the staged epochs durable: the recovery point reaches the log end', async () => {
  const { root, dir, log } = await logWithUndurableEpoch();
  await log.closeAsync();
  expect(log.checkpointOffsets().recoveryPoint).toBe(15);
  expect(fs.readFileSync(path.join(dir, EPOCH_FILE), 'utf8')).toMatch(/^7 5$/m);
  const again = PartitionLog.open(dir, CONFIG, { replicated: true, dirCheckpoints: new LogDirCheckpoints(root) });
  expect(again.leaderEpochs.endOffsetFor(3, again.logEndOffset)).toEqual({ epoch: 3, endOffset: 5 });
  again.close();
});
