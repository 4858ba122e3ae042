// `rill log recover`: the repair of one damaged partition in a stopped broker's
// data directory, and `log.recover.corruption` in the broker's settings.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runLog } from '../../cli/log-command';
import { applyConfig, completeSettings } from '../../cli/broker-config';
import { Broker } from '../../core/broker';
import { encodeRecordBatch } from '../../core/log';
import { tempDirs } from '../support/tmp-dir';
import { fakeIO } from './fake-io';

const dirs = tempDirs('log-command');
afterEach(() => dirs.removeAll());

async function log(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIO();
  const code = await runLog(argv, io);
  return { code, out: io.out(), err: io.err() };
}

test('rill log recover repairs a partition with a deleted middle segment and names what it did', async () => {
  const dataDir = dirs.make();
  const logDir = path.join(dataDir, 'log');
  const broker = Broker.open({ dir: logDir, scheduler: false });
  try {
    expect(broker.createTopic({ name: 'orders', partitions: 2, config: { 'segment.bytes': 300 } })._tag).toBe('Right');
    for (let i = 0; i < 20; i++)
      expect(broker.produce('orders', 0, encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`v${i}`) }] }))._tag).toBe('Right');
  } finally {
    await broker.close();
  }
  const partitionDir = path.join(logDir, 'orders-0');
  const segments = fs
    .readdirSync(partitionDir)
    .filter((n) => n.endsWith('.log'))
    .sort();
  expect(segments.length).toBeGreaterThan(2);
  fs.rmSync(path.join(partitionDir, segments[1]));

  const repaired = await log(['recover', '--data-dir', dataDir, '--topic', 'orders', '--partition', '0']);
  expect(repaired).toMatchObject({ code: 0, err: '' });
  expect(repaired.out).toMatch(/accepted a gap in the log at .*orders-0.*are missing/);
  expect(repaired.out).toContain('rill log: orders-0 repaired');
  expect((await log(['recover', '--data-dir', dataDir, '--topic', 'orders', '--partition', '0'])).out).toContain('orders-0 was intact');
  expect((await log(['recover', '--data-dir', dataDir, '--topic', 'orders', '--partition', '7'])).code).toBe(1);
  expect((await log(['recover', '--data-dir', dataDir])).code).toBe(2);
});

test('log.recover.corruption is a broker setting (false by default)', () => {
  expect(completeSettings({ dataDir: '/d' }).recoverCorruption).toBe(false);
  const s: Parameters<typeof applyConfig>[0] = { dataDir: '/d' };
  applyConfig(s, { 'log.recover.corruption': 'true' }, 'test');
  expect(completeSettings(s).recoverCorruption).toBe(true);
});
