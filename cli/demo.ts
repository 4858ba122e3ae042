// `rill demo`: the embedded log at work. Appends keyed click events in batches to a
// partition log on disk, reopens it (recovery), reads a range back by offset and by
// timestamp, and applies retention — all without a server.
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { PartitionLog, decodeRecordBatches } from '../core/log';
import { commandHelp, noMoreArguments, parseCommand, UsageError } from './args';
import { runCommand } from './command';
import type { CommandIO } from './io';

const SPEC = {
  dir: { kind: 'string', arg: 'DIR', help: 'where the log is written', defaultText: 'a new temporary directory' },
  records: { kind: 'number', help: 'click events to append', default: 100_000 },
} as const;

export const DEMO_HELP = commandHelp({
  title: 'rill demo — the embedded log at work: append, reopen (recovery), read by offset and time, retention',
  usage: ['rill demo [--dir DIR] [--records N]'],
  spec: SPEC,
});

export function runDemo(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('demo', DEMO_HELP, argv, io, async () => {
    const { flags, positional } = parseCommand(argv, SPEC);
    noMoreArguments(positional);
    const total = flags.records!;
    if (!Number.isInteger(total) || total < 1) throw new UsageError('--records must be a positive integer');
    if (flags.dir !== undefined) return demo(flags.dir, total);
    // A directory of its own is removed at the end: nothing left behind.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-demo-'));
    try {
      return await demo(dir, total);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function demo(dir: string, total: number): Promise<number> {
  const users = ['ada', 'grace', 'alan', 'edsger', 'barbara'];
  const start = Date.now() - 3_600_000;
  const config = { 'segment.bytes': 1024 * 1024, 'flush.messages': 10_000 };

  console.log(`Writing ${total} click events to the log in ${dir}`);
  let log = PartitionLog.open(dir, config);
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < total; ) {
    const batch = [];
    for (let i = 0; i < 100 && sent < total; i++, sent++) {
      const user = users[sent % users.length];
      batch.push({
        key: Buffer.from(user),
        value: Buffer.from(JSON.stringify({ user, page: `/page/${sent % 37}`, n: sent })),
        timestamp: start + Math.floor((sent / total) * 3_600_000),
      });
    }
    log.appendRecords(batch);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `  appended in ${ms.toFixed(0)} ms: offsets ${log.logStartOffset}..${log.logEndOffset - 1}, ${log.segmentCount} segments, ${(log.size / 1e6).toFixed(1)} MB`,
  );
  log.close();

  log = PartitionLog.open(dir, config);
  console.log(`Reopened: log end offset ${log.logEndOffset}, high watermark ${log.highWatermark}`);
  const middle = Math.floor(total / 2);
  const bytes = log.read(middle, 4096);
  const batches = decodeRecordBatches(bytes);
  if (batches._tag === 'Left') throw new Error(batches.left.message);
  const first = batches.right[0].records.find((r) => r.offset >= middle)!;
  console.log(`Read at offset ${middle}: ${bytes.length} bytes in ${batches.right.length} stored batch(es); record ${first.offset} = ${first.value}`);
  const halfHourAgo = start + 1_800_000;
  const found = log.offsetForTimestamp(halfHourAgo);
  console.log(`First event at or after ${new Date(halfHourAgo).toISOString()}: offset ${found?.offset}`);
  log.updateConfig({ 'retention.bytes': Math.floor(log.size / 2) });
  const deleted = log.deleteOldSegments();
  console.log(`Retention (retention.bytes = half the log) deleted ${deleted} segment(s); log start offset is now ${log.logStartOffset}`);
  log.close();
  return 0;
}
