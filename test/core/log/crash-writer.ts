// Child process of crash.test.ts: appends small batches with fsync on every append
// (flush.messages=1) and prints each acknowledged offset. The test kills it with
// SIGKILL at random moments. Its lifetime is bounded: it exits by itself after
// MAX_APPENDS or 30 seconds.
import { PartitionLog } from '../../../core/log';

const dir = process.argv[2];
const log = PartitionLog.open(dir, { 'flush.messages': 1, 'segment.bytes': 4096 });
const MAX_APPENDS = 100_000;
const deadline = Date.now() + 30_000;
process.stdout.write(`ready ${log.logEndOffset}\n`);

for (let i = 0; i < MAX_APPENDS && Date.now() < deadline; i++) {
  const next = log.logEndOffset;
  const count = 1 + (i % 4);
  const batch = [];
  for (let j = 0; j < count; j++) batch.push({ key: Buffer.from(`k${(next + j) % 13}`), value: Buffer.from(`v${next + j}`) });
  const { lastOffset } = log.appendRecords(batch);
  process.stdout.write(`${lastOffset}\n`);
}
log.close();
