// Broker.close(): every partition log closed with its fsyncs off the event
// loop, many at a time (core/log's closeLogsAsync). Each log that closes
// writes its clean-shutdown mark and reopens without recovery; a log whose
// fsync fails (injected through the file layer the log uses,
// test/core/log/disk-faults.ts) gets no mark, is named in the answer and a
// warning, and the next open recovers it with every record.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker } from '../../../core/broker';
import { encodeRecordBatch } from '../../../core/log';
import { injectDiskFault } from '../log/disk-faults';
import { ok, tempDir } from './helpers';

const CLEAN_MARK = '.clean-shutdown';
const TOPICS = ['orders', 'clicks', 'views'];
const PARTITIONS = 40;

function openBroker(dir: string, warnings: string[] = []): Broker {
  return Broker.open({ dir, scheduler: false, groupTickIntervalMs: 0, onWarning: (w) => warnings.push(w) });
}

/** 120 partitions, each with `i % 3 + 1` records: the log ends differ, so a partition read back from the wrong place shows. */
function fill(broker: Broker): void {
  for (const topic of TOPICS) {
    ok(broker.createTopic({ name: topic, partitions: PARTITIONS }));
    for (let i = 0; i < PARTITIONS; i++) {
      const records = Array.from({ length: (i % 3) + 1 }, (_, n) => ({ key: null, value: Buffer.from(`${topic}/${i}/${n}`) }));
      ok(broker.produce(topic, i, encodeRecordBatch({ records })));
    }
  }
}

function logEnds(broker: Broker): Record<string, number> {
  const ends: Record<string, number> = {};
  for (const p of broker.topics.allPartitions()) ends[`${p.topic}-${p.index}`] = p.log.logEndOffset;
  return ends;
}

const expectedEnds = (): Record<string, number> =>
  Object.fromEntries(TOPICS.flatMap((t) => Array.from({ length: PARTITIONS }, (_, i) => [`${t}-${i}`, (i % 3) + 1])));

test('a broker with 120 partitions closes every log with its mark, and reopens without recovering any', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const broker = openBroker(dir);
    fill(broker);
    const closing = broker.close();
    // A second close waits for the same logs, and gets the same answer.
    const again = broker.close();
    const report = await closing;
    expect(await again).toBe(report);
    expect(report.logs).toBe(TOPICS.length * PARTITIONS);
    expect(report.failed).toEqual([]);
    for (const t of TOPICS) for (let i = 0; i < PARTITIONS; i++) expect(fs.existsSync(path.join(dir, `${t}-${i}`, CLEAN_MARK))).toBe(true);
    const warnings: string[] = [];
    const reopened = openBroker(dir, warnings);
    try {
      expect(warnings).toEqual([]);
      expect(logEnds(reopened)).toMatchObject(expectedEnds());
      // A clean open trusts the files: the recovery point is the log end (a recovery would start from the checkpoint, 0 here).
      for (const p of reopened.topics.allPartitions()) expect(p.log.recoveryPoint).toBe(p.log.logEndOffset);
    } finally {
      await reopened.close();
    }
  } finally {
    cleanup();
  }
});

test('a partition whose fsync fails gets no mark and is reported; the others close cleanly, and the next open recovers it whole', async () => {
  const { dir, cleanup } = tempDir();
  const failing = path.join(dir, 'clicks-7');
  const disk = injectDiskFault(failing);
  try {
    const warnings: string[] = [];
    const broker = openBroker(dir, warnings);
    fill(broker);
    disk.fsyncErrno = 'EIO';
    const report = await broker.close();
    disk.fsyncErrno = undefined;
    expect(disk.failures).toBeGreaterThan(0);
    expect(report.logs).toBe(TOPICS.length * PARTITIONS);
    expect(report.failed.map((f) => f.partition)).toEqual(['clicks-7']);
    expect(report.failed[0].error.message).toMatch(/EIO/);
    expect(warnings).toEqual([expect.stringMatching(/^closing clicks-7 failed: EIO.*recovered at the next start/)]);
    expect(fs.existsSync(path.join(failing, CLEAN_MARK))).toBe(false);
    for (const t of TOPICS)
      for (let i = 0; i < PARTITIONS; i++) if (`${t}-${i}` !== 'clicks-7') expect(fs.existsSync(path.join(dir, `${t}-${i}`, CLEAN_MARK))).toBe(true);
    // The directory was released: the broker opens again, and clicks-7 is scanned from its last checkpoint with every record.
    const reopened = openBroker(dir);
    try {
      expect(logEnds(reopened)).toMatchObject(expectedEnds());
      const recovered = ok(reopened.topics.partition('clicks', 7)).log;
      expect(recovered.recoveryPoint).toBeLessThan(recovered.logEndOffset);
      const clean = ok(reopened.topics.partition('clicks', 6)).log;
      expect(clean.recoveryPoint).toBe(clean.logEndOffset);
    } finally {
      await reopened.close();
    }
  } finally {
    disk.restore();
    cleanup();
  }
});
