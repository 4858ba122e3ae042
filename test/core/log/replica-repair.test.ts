// A replica's repair (recoverCorruption: 'refetch'): a gap between segments is
// not accepted, as the single node's repair does, but cut: the segment after
// it and every later one are moved aside (.corrupt, kept on disk), and the log
// ends where the gap begins, so the replica fetches the missing offsets and
// everything after them again from its leader instead of keeping a hole.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog, LogWarning, encodeRecordBatch } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('replica-repair');
afterAll(() => dirs.removeAll());

const CONFIG = { 'segment.bytes': 1000 };

test('a deleted middle segment: the repair for a replica cuts at the gap, moves the later segments aside, and the log takes the offsets again', () => {
  const dir = dirs.make();
  const log = PartitionLog.open(dir, CONFIG);
  for (let i = 0; i < 50; i++) log.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`value ${i}`) }] }));
  const bases = log.segmentBaseOffsets;
  log.close();
  expect(bases.length).toBeGreaterThanOrEqual(4);
  const name = (base: number, suffix: string) => path.join(dir, String(base).padStart(20, '0') + suffix);
  fs.rmSync(name(bases[2], '.log'));

  const warnings: LogWarning[] = [];
  const repaired = PartitionLog.open(dir, CONFIG, { recoverCorruption: 'refetch', onWarning: (w) => warnings.push(w) });
  expect(repaired.failure).toBeUndefined();
  expect(repaired.logEndOffset).toBe(bases[2]);
  expect(warnings.map((w) => w.kind)).toContain('corruption-moved-aside');
  expect(warnings.map((w) => w.kind)).not.toContain('gap-accepted');
  for (const base of bases.slice(3)) expect(fs.existsSync(name(base, '.log.corrupt'))).toBe(true);
  // What the leader sends next lands where the gap began.
  const refetched = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('again') }], baseOffset: bases[2] });
  expect(repaired.append(refetched, { assignOffsets: false }).baseOffset).toBe(bases[2]);
  repaired.close();
});
