// RecordBatch v2 codec and CRC32C throughput, side by side with kafkajs (the peer
// codec) and with a plain Buffer copy of the same bytes (the memory-bandwidth
// ceiling). Not part of `npm test`. Run:
//
//   npx tsc -p tsconfig.json --outDir build && node build/bench/codec.bench.js
//
// Writes bench/results/codec.json.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32c, crc32cImplementation, crc32cJs } from '../core/log/crc32c';
import { checkBatch, decodeRecordBatch, encodeRecordBatch, RecordInput } from '../core/log/record-batch';

/* eslint-disable @typescript-eslint/no-require-imports */
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KafkaDecoder = require('kafkajs/src/protocol/decoder');
/* eslint-enable @typescript-eslint/no-require-imports */

interface Result {
  name: string;
  mbPerSec: number;
  opsPerSec: number;
}

/** Runs fn repeatedly for ~minMs after a warm-up; returns ops/s. */
function measure(fn: () => void, minMs = 600): number {
  for (let i = 0; i < 200; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) fn();
    ops += 50;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return ops / (elapsed / 1000);
}

async function measureAsync(fn: () => Promise<unknown>, minMs = 600): Promise<number> {
  for (let i = 0; i < 50; i++) await fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 10; i++) await fn();
    ops += 10;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return ops / (elapsed / 1000);
}

function result(name: string, opsPerSec: number, bytesPerOp: number): Result {
  const r = { name, opsPerSec: Math.round(opsPerSec), mbPerSec: Math.round((opsPerSec * bytesPerOp) / 1e6) };
  console.log(`${name.padEnd(52)} ${String(r.mbPerSec).padStart(7)} MB/s ${String(r.opsPerSec).padStart(10)} ops/s`);
  return r;
}

async function main(): Promise<void> {
  const results: Result[] = [];
  let sink = 0;

  // CRC32C on 16 KB buffers.
  const block = Buffer.alloc(16 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) & 0xff;
  const copyTarget = Buffer.alloc(block.length);
  results.push(
    result(
      'buffer copy 16 KB (cache-resident, upper bound)',
      measure(() => {
        block.copy(copyTarget);
      }),
      block.length,
    ),
  );
  results.push(
    result(
      `crc32c 16 KB (Rill, ${crc32cImplementation})`,
      measure(() => {
        sink ^= crc32c(block);
      }),
      block.length,
    ),
  );
  results.push(
    result(
      'crc32c 16 KB (Rill, slice-by-16 JS fallback)',
      measure(() => {
        sink ^= crc32cJs(block);
      }),
      block.length,
    ),
  );
  results.push(
    result(
      'crc32c 16 KB (kafkajs)',
      measure(() => {
        sink ^= kafkajsCrc32c(block);
      }),
      block.length,
    ),
  );

  // A producer-sized batch: 100 records, 16-byte keys, 100-byte values, one header.
  const records: RecordInput[] = Array.from({ length: 100 }, (_, i) => ({
    key: Buffer.from(`key-${String(i).padStart(12, '0')}`),
    value: Buffer.alloc(100, i),
    headers: [{ key: 'trace', value: Buffer.from('abc') }],
    timestamp: 1_700_000_000_000 + i,
  }));
  const batch = encodeRecordBatch({ records });
  const gzBatch = encodeRecordBatch({ records, compression: 'gzip' });
  const payload = batch.length;
  console.log(`batch: ${records.length} records, ${payload} bytes (gzip: ${gzBatch.length} bytes)`);

  results.push(
    result(
      'encodeRecordBatch none (Rill)',
      measure(() => {
        sink ^= encodeRecordBatch({ records }).length;
      }),
      payload,
    ),
  );
  const kjRecords = () =>
    records.map((r, i) => kafkajsRecord({ offsetDelta: i, timestampDelta: i, key: r.key, value: r.value, headers: { trace: Buffer.from('abc') } }));
  results.push(
    result(
      'encodeRecordBatch none (kafkajs)',
      await measureAsync(() =>
        kafkajsRecordBatch({ records: kjRecords(), firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_099, lastOffsetDelta: 99 }),
      ),
      payload,
    ),
  );
  results.push(
    result(
      'checkBatch (frame + CRC, Rill)',
      measure(() => {
        sink ^= checkBatch(batch, 0)._tag.length;
      }),
      payload,
    ),
  );
  results.push(
    result(
      'decodeRecordBatch none (Rill)',
      measure(() => {
        sink ^= decodeRecordBatch(batch)._tag.length;
      }),
      payload,
    ),
  );
  results.push(result('decodeRecordBatch none (kafkajs)', await measureAsync(() => kafkajsDecodeBatch(new KafkaDecoder(batch))), payload));
  results.push(
    result(
      'encodeRecordBatch gzip (Rill), uncompressed MB/s',
      measure(() => {
        sink ^= encodeRecordBatch({ records, compression: 'gzip' }).length;
      }, 400),
      payload,
    ),
  );
  results.push(
    result(
      'decodeRecordBatch gzip (Rill), uncompressed MB/s',
      measure(() => {
        sink ^= decodeRecordBatch(gzBatch)._tag.length;
      }, 400),
      payload,
    ),
  );

  // The ratio append cares about: sequential 16 KB writes (page cache) with and
  // without a CRC pass over each chunk. Alternated, best of three, since the first
  // passes also pay for allocating file pages.
  const file = path.join(os.tmpdir(), `rill-codec-bench-${process.pid}.dat`);
  const writeBytes = 256 * 1024 * 1024;
  const writeRun = (checksum: (b: Buffer) => number): number => {
    const fd = fs.openSync(file, 'w');
    const start = process.hrtime.bigint();
    for (let n = 0; n < writeBytes; n += block.length) {
      sink ^= checksum(block);
      fs.writeSync(fd, block);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    fs.closeSync(fd);
    return writeBytes / block.length / seconds;
  };
  const best = { raw: 0, native: 0, js: 0 };
  for (let round = 0; round < 3; round++) {
    best.raw = Math.max(
      best.raw,
      writeRun(() => 0),
    );
    best.native = Math.max(
      best.native,
      writeRun((b) => crc32c(b)),
    );
    best.js = Math.max(
      best.js,
      writeRun((b) => crc32cJs(b)),
    );
  }
  fs.unlinkSync(file);
  results.push(result('sequential write 16 KB chunks (raw)', best.raw, block.length));
  results.push(result(`sequential write + crc32c (${crc32cImplementation})`, best.native, block.length));
  results.push(result('sequential write + crc32c (JS fallback)', best.js, block.length));
  console.log(`write+crc / raw write: ${(best.native / best.raw).toFixed(2)} (${crc32cImplementation}), ${(best.js / best.raw).toFixed(2)} (JS)`);

  const out = {
    bench: 'codec',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    crc32cImplementation,
    batch: { records: records.length, bytes: payload, gzipBytes: gzBatch.length },
    results,
    sink,
  };
  const resultFile = path.join(__dirname, '..', '..', 'bench', 'results', 'codec.json');
  fs.mkdirSync(path.dirname(resultFile), { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), resultFile)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
