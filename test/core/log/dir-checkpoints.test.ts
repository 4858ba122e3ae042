// The per-directory recovery-point and high-watermark checkpoints (one pair of
// files for every partition of a broker) and the leader-epoch file written in
// the background: round trips, unreadable files, migration from per-partition
// files, and crash recovery of epochs the background write had not finished.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogDirCheckpoints, PartitionLog, type LogWarning } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dirckpt');
afterEach(() => dirs.removeAll());

const rec = (i: number) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp: 1000 + i });
const RECOVERY = 'recovery-point-offset-checkpoint';
const HIGH_WATERMARKS = 'replication-offset-checkpoint';

function openIn(root: string, name: string, checkpoints: LogDirCheckpoints | undefined, warnings: LogWarning[] = []): PartitionLog {
  return PartitionLog.open(
    path.join(root, name),
    { 'segment.bytes': 300 },
    { replicated: true, dirCheckpoints: checkpoints, onWarning: (w) => warnings.push(w) },
  );
}

/** A log with `n` records, rolled once (so its recovery point moved), high watermark at `hw`. */
function fill(log: PartitionLog, n: number, hw: number, leaderEpoch = 1): void {
  for (let i = 0; i < n; i++) log.appendRecords([rec(i)], { leaderEpoch });
  log.roll();
  log.updateHighWatermark(hw);
}

describe('per-directory checkpoints', () => {
  test('round trip: two files for all partitions, one line each, read back by a new broker incarnation', async () => {
    const root = dirs.make();
    const checkpoints = new LogDirCheckpoints(root);
    const a = openIn(root, 'orders-0', checkpoints);
    const b = openIn(root, 'orders-1', checkpoints);
    const idle = openIn(root, 'orders-2', checkpoints);
    fill(a, 5, 4);
    fill(b, 3, 3);
    // The recovery points wait for the epoch files (see the leader epoch tests below).
    await Promise.all([a.leaderEpochs.idle(), b.leaderEpochs.idle()]);
    checkpoints.write();
    expect(fs.readFileSync(path.join(root, HIGH_WATERMARKS), 'utf8')).toBe('0\n2\norders-0 4\norders-1 3\n');
    expect(fs.readFileSync(path.join(root, RECOVERY), 'utf8')).toBe('0\n2\norders-0 5\norders-1 3\n');
    // No partition writes a file of its own.
    for (const d of ['orders-0', 'orders-1', 'orders-2']) {
      expect(fs.readdirSync(path.join(root, d)).filter((f) => f === RECOVERY || f === 'high-watermark-checkpoint')).toEqual([]);
    }
    // A crash (no close): the next incarnation takes its offsets from the directory's files.
    const again = new LogDirCheckpoints(root);
    const a2 = openIn(root, 'orders-0', again);
    const b2 = openIn(root, 'orders-1', again);
    expect([a2.highWatermark, a2.recoveryPoint, b2.highWatermark, b2.recoveryPoint]).toEqual([4, 5, 3, 3]);
    for (const l of [a, b, idle, a2, b2]) l.close();
  });

  test('a write happens only when an offset moved, and a deleted partition leaves the files', () => {
    const root = dirs.make();
    const checkpoints = new LogDirCheckpoints(root, { intervalMs: 1000 });
    const a = openIn(root, 'a-0', checkpoints);
    const b = openIn(root, 'b-0', checkpoints);
    fill(a, 3, 2);
    fill(b, 3, 3);
    checkpoints.maybeWrite(10_000);
    const file = path.join(root, HIGH_WATERMARKS);
    fs.utimesSync(file, 0, 0);
    checkpoints.maybeWrite(20_000);
    expect(fs.statSync(file).mtimeMs).toBe(0);
    a.updateHighWatermark(3);
    // Within the interval: not yet.
    checkpoints.maybeWrite(20_500);
    expect(fs.statSync(file).mtimeMs).toBe(0);
    checkpoints.maybeWrite(21_000);
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n2\na-0 3\nb-0 3\n');
    b.delete();
    checkpoints.write();
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n1\na-0 3\n');
    // A closed log's last offsets stay.
    a.close();
    checkpoints.write();
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n1\na-0 3\n');
  });

  test.each([
    ['torn', '0\n3\norders-0 4\n'],
    ['garbage', 'not a checkpoint'],
    ['badly numbered', '0\n1\norders-0 -7\n'],
  ])('a %s directory file is reported and ignored: logs recover from their segments, hiding nothing they may not show', (_kind, text) => {
    const root = dirs.make();
    const checkpoints = new LogDirCheckpoints(root);
    const log = openIn(root, 'orders-0', checkpoints);
    fill(log, 5, 4);
    checkpoints.write();
    fs.writeFileSync(path.join(root, HIGH_WATERMARKS), text);
    fs.writeFileSync(path.join(root, RECOVERY), text);
    const complaints: string[] = [];
    const again = new LogDirCheckpoints(root, { onWarning: (file, message) => complaints.push(`${path.basename(file)}: ${message}`) });
    expect(complaints).toEqual([
      expect.stringMatching(/^recovery-point-offset-checkpoint: ignored the unreadable checkpoint .* recovers without it$/),
      expect.stringMatching(/^replication-offset-checkpoint: ignored the unreadable checkpoint /),
    ]);
    const reopened = openIn(root, 'orders-0', again);
    // Every segment rescanned (no recovery point), and the high watermark falls back to
    // the log start (the followers' next fetches move it): never above what was committed.
    expect([reopened.logEndOffset, reopened.recoveryPoint, reopened.highWatermark]).toEqual([5, 0, 0]);
    reopened.updateHighWatermark(5);
    // The next write replaces the damaged files.
    again.write();
    expect(fs.readFileSync(path.join(root, HIGH_WATERMARKS), 'utf8')).toBe('0\n1\norders-0 5\n');
    log.close();
    reopened.close();
  });

  test('migration: a data directory with per-partition files keeps its offsets, and the old files go once the directory files hold them', async () => {
    const root = dirs.make();
    // Written by a broker before per-directory checkpoints: each partition's own files.
    const old = openIn(root, 'orders-0', undefined);
    fill(old, 5, 4);
    await old.leaderEpochs.idle();
    old.maybeFlush(Number.MAX_SAFE_INTEGER);
    const own = path.join(root, 'orders-0');
    expect(fs.readFileSync(path.join(own, 'high-watermark-checkpoint'), 'utf8')).toBe('0\n1\n4\n');
    expect(fs.readFileSync(path.join(own, RECOVERY), 'utf8')).toBe('0\n1\n5\n');
    // A crash: no clean-shutdown mark, so the recovery point read is the one that counts.
    const checkpoints = new LogDirCheckpoints(root);
    const migrated = openIn(root, 'orders-0', checkpoints);
    expect([migrated.highWatermark, migrated.recoveryPoint]).toEqual([4, 5]);
    checkpoints.write();
    expect(fs.existsSync(path.join(own, 'high-watermark-checkpoint'))).toBe(false);
    expect(fs.existsSync(path.join(own, RECOVERY))).toBe(false);
    expect(fs.readFileSync(path.join(root, HIGH_WATERMARKS), 'utf8')).toBe('0\n1\norders-0 4\n');
    const again = openIn(root, 'orders-0', new LogDirCheckpoints(root));
    expect([again.highWatermark, again.recoveryPoint]).toEqual([4, 5]);
    for (const l of [old, migrated, again]) l.close();
  });

  test('a line for offsets its directory no longer holds (the directory wiped and made again) is rewritten at once, not at the next tick', async () => {
    const root = dirs.make();
    const checkpoints = new LogDirCheckpoints(root);
    const log = openIn(root, 'orders-0', checkpoints);
    fill(log, 5, 4);
    await log.leaderEpochs.idle();
    checkpoints.write();
    log.close();
    // A topic of the same name deleted while the broker was down, created again: its directory starts empty.
    fs.rmSync(path.join(root, 'orders-0'), { recursive: true });
    const again = new LogDirCheckpoints(root);
    const fresh = openIn(root, 'orders-0', again);
    expect([fresh.highWatermark, fresh.recoveryPoint]).toEqual([0, 0]);
    expect(fs.readFileSync(path.join(root, HIGH_WATERMARKS), 'utf8')).toBe('0\n0\n');
    expect(fs.readFileSync(path.join(root, RECOVERY), 'utf8')).toBe('0\n0\n');
    fresh.close();
  });

  test('a log must live directly in the directory whose checkpoints it is given', () => {
    const root = dirs.make();
    const elsewhere = dirs.make();
    expect(() => openIn(elsewhere, 'orders-0', new LogDirCheckpoints(root))).toThrow(/is not a directory of/);
  });
});

describe('leader epochs written in the background', () => {
  test('the file follows the cache off the caller path; a close writes what is pending', async () => {
    const root = dirs.make();
    const log = openIn(root, 'p-0', new LogDirCheckpoints(root));
    const file = path.join(root, 'p-0', 'leader-epoch-checkpoint');
    log.leaderEpochs.assign(1, 0);
    log.leaderEpochs.assign(2, 0);
    await log.leaderEpochs.idle();
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n2\n1 0\n2 0\n');
    log.leaderEpochs.assign(5, 0);
    log.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n3\n1 0\n2 0\n5 0\n');
    // The background write the assignment started finds a newer file and leaves it.
    await log.leaderEpochs.idle();
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n3\n1 0\n2 0\n5 0\n');
    expect(fs.readdirSync(path.join(root, 'p-0')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a few writes at a time, the rest in line: 50 new leaders hold at most 4 temp files, not 50, and every file is written', async () => {
    const root = dirs.make();
    const checkpoints = new LogDirCheckpoints(root);
    const logs = Array.from({ length: 50 }, (_, i) => openIn(root, `p-${i}`, checkpoints));
    for (const log of logs) log.leaderEpochs.assign(1, 0);
    // Counted before anything is awaited: the writes under way have created their temp files, no more
    // (at most 4 per process; an earlier test's write still finishing may hold one of the places).
    const temps = () => logs.flatMap((l) => fs.readdirSync(l.dir).filter((f) => f.endsWith('.tmp')));
    expect(temps().length).toBeLessThanOrEqual(4);
    for (const log of logs) log.leaderEpochs.assign(2, 0);
    await Promise.all(logs.map((l) => l.leaderEpochs.idle()));
    expect(temps()).toEqual([]);
    for (const log of logs) expect(fs.readFileSync(path.join(log.dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n1 0\n2 0\n');
    for (const log of logs) log.close();
  });

  test('a deleted log leaves nothing behind, even with an epoch write under way', async () => {
    const root = dirs.make();
    const log = openIn(root, 'p-0', new LogDirCheckpoints(root));
    log.leaderEpochs.assign(1, 0);
    log.delete();
    await log.leaderEpochs.idle();
    expect(fs.existsSync(path.join(root, 'p-0'))).toBe(false);
  });

  test('after a crash before the epoch file was written, the epochs come back from the batches: the recovery point never passed them', async () => {
    const root = dirs.make();
    const checkpoints = new LogDirCheckpoints(root);
    const log = openIn(root, 'p-0', checkpoints);
    fill(log, 4, 4, 1);
    await log.leaderEpochs.idle();
    const epochTwoStart = log.logEndOffset;
    for (let i = 0; i < 4; i++) log.appendRecords([rec(i)], { leaderEpoch: 2 });
    log.roll();
    log.appendRecords([rec(9)], { leaderEpoch: 2 });
    log.flush();
    // Synchronously after the assignment: its background write cannot have finished.
    expect(log.recoveryPoint).toBe(epochTwoStart + 5);
    expect(log.checkpointOffsets().recoveryPoint).toBe(epochTwoStart);
    checkpoints.write();
    // The crash: the disk as it is now, the epoch file without epoch 2 (or any).
    const crashed = dirs.make();
    fs.cpSync(root, crashed, { recursive: true });
    fs.writeFileSync(path.join(crashed, 'p-0', 'leader-epoch-checkpoint'), '0\n1\n1 0\n');
    fs.writeFileSync(path.join(crashed, 'p-0', 'leader-epoch-checkpoint.123-4.tmp'), '0\n2\n1 0\n');
    const reopened = openIn(crashed, 'p-0', new LogDirCheckpoints(crashed));
    expect(reopened.leaderEpochs.list()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: epochTwoStart },
    ]);
    expect(reopened.leaderEpochs.endOffsetFor(1, reopened.logEndOffset)).toEqual({ epoch: 1, endOffset: epochTwoStart });
    // The torn temp file of the interrupted write is gone (and the rebuilt epochs' own write leaves none).
    expect(fs.existsSync(path.join(crashed, 'p-0', 'leader-epoch-checkpoint.123-4.tmp'))).toBe(false);
    await reopened.leaderEpochs.idle();
    expect(fs.readdirSync(path.join(crashed, 'p-0')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(fs.readFileSync(path.join(crashed, 'p-0', 'leader-epoch-checkpoint'), 'utf8')).toBe(`0\n2\n1 0\n2 ${epochTwoStart}\n`);
    log.close();
    reopened.close();
  });

  test('once the epoch file is durable the recovery point is not held back', async () => {
    const root = dirs.make();
    const log = openIn(root, 'p-0', new LogDirCheckpoints(root));
    fill(log, 4, 4, 3);
    await log.leaderEpochs.idle();
    expect(log.checkpointOffsets()).toEqual({ recoveryPoint: 4, highWatermark: 4 });
    log.close();
  });
});
