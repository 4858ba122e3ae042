// A full or failing disk under one partition's log, injected (disk-faults.ts):
//   - ENOSPC on append or on a roll answers KAFKA_STORAGE_ERROR, acknowledges
//     nothing half-written, and the log goes on once space returns;
//   - EIO (a failing device) puts the partition in the failed state: it answers
//     KAFKA_STORAGE_ERROR until the broker restarts, and the restart keeps every
//     acknowledged record and cuts the partial bytes (moved aside, as any torn tail).
import * as fs from 'node:fs';
import { PartitionLog, LogError, LogWarning, decodeRecordBatches, encodeRecordBatch } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';
import { injectDiskFault } from './disk-faults';

const dirs = tempDirs('write-faults');
afterAll(() => dirs.removeAll());

const record = (value: string) => encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });

/** Every record value, segment by segment (a read stops at its segment's end). */
function values(log: PartitionLog): string[] {
  const out: string[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const read = decodeRecordBatches(log.read(offset, 1 << 20));
    if (read._tag === 'Left') throw new Error(read.left.message);
    for (const b of read.right) {
      out.push(...b.records.map((r) => r.value!.toString()));
      offset = b.baseOffset + b.records.length;
    }
  }
  return out;
}

function refusal(f: () => unknown): LogError {
  try {
    f();
  } catch (e) {
    if (e instanceof LogError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

function open(dir: string, config: Record<string, unknown> = {}): { log: PartitionLog; warnings: LogWarning[] } {
  const warnings: LogWarning[] = [];
  const log = PartitionLog.open(dir, config, { onWarning: (w) => warnings.push(w) });
  return { log, warnings };
}

test('ENOSPC on a roll: KAFKA_STORAGE_ERROR, nothing appended, and the roll succeeds once space returns', () => {
  const dir = dirs.make();
  // One batch fills a segment: the second append rolls.
  const { log } = open(dir, { 'segment.bytes': 100 });
  log.append(record('first'));
  const disk = injectDiskFault(dir);
  try {
    disk.errno = 'ENOSPC';
    const e = refusal(() => log.append(record('refused')));
    expect(e.code).toBe(56);
    expect(e.message).toMatch(/ENOSPC/);
    expect(disk.failures).toBeGreaterThan(0);
    expect([log.logEndOffset, log.failure]).toEqual([1, undefined]);
    disk.errno = undefined;
    expect(log.append(record('second')).baseOffset).toBe(1);
  } finally {
    disk.restore();
  }
  expect(values(log)).toEqual(['first', 'second']);
  log.close();
  const again = open(dir, { 'segment.bytes': 100 });
  expect(values(again.log)).toEqual(['first', 'second']);
  expect(again.warnings).toEqual([]);
  again.log.close();
});

test('ENOSPC leaves partial bytes: a clean shutdown before space returns reopens with only the acknowledged records', () => {
  const dir = dirs.make();
  const { log } = open(dir);
  log.append(record('acknowledged'));
  const disk = injectDiskFault(dir);
  try {
    disk.errno = 'ENOSPC';
    expect(refusal(() => log.append(record('half-written'))).code).toBe(56);
    disk.errno = undefined;
  } finally {
    disk.restore();
  }
  log.close();
  const again = open(dir);
  expect(values(again.log)).toEqual(['acknowledged']);
  expect(again.log.failure).toBeUndefined();
  expect(again.log.append(record('later')).baseOffset).toBe(1);
  expect(values(again.log)).toEqual(['acknowledged', 'later']);
  again.log.close();
});

test('EIO: the partition fails (one line naming the file), answers KAFKA_STORAGE_ERROR, and a restart keeps what was acknowledged', () => {
  const dir = dirs.make();
  const { log, warnings } = open(dir);
  log.append(record('acknowledged'));
  const disk = injectDiskFault(dir);
  try {
    disk.errno = 'EIO';
    expect(refusal(() => log.append(record('half-written'))).code).toBe(56);
    // The device came back, but what it holds cannot be trusted: still failed.
    disk.errno = undefined;
    expect(refusal(() => log.append(record('refused'))).code).toBe(56);
    expect(refusal(() => log.read(0, 1 << 20)).code).toBe(56);
  } finally {
    disk.restore();
  }
  expect(log.failure?.file).toMatch(/00000000000000000000\.log$/);
  const failed = warnings.filter((w) => w.kind === 'partition-failed');
  expect(failed).toHaveLength(1);
  expect(failed[0].message).toMatch(/EIO.*restart the broker/);
  log.close();
  const again = open(dir);
  expect(values(again.log)).toEqual(['acknowledged']);
  expect(again.log.failure).toBeUndefined();
  // The partial bytes of the failed write are the torn tail of an unclean stop: cut, and kept aside.
  expect(again.warnings.map((w) => w.kind)).toContain('torn-tail-truncated');
  again.log.close();
  expect(fs.readdirSync(dir).filter((n) => n.endsWith('.corrupt'))).toEqual(['00000000000000000001-unknown.corrupt']);
});
