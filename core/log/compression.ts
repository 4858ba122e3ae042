// Compression codecs of RecordBatch v2 (attributes bits 0-2). Rill reads and writes
// none and gzip (node:zlib, the codec every Kafka client has built in); the other
// codecs Kafka defines are refused by name, so a producer configured for them gets
// an error that says what to change instead of a corrupt-looking batch.

import * as zlib from 'node:zlib';
import { Either, left, right } from 'fp-ts/Either';
import { COMPRESSION_MASK } from './batch-header';

export type CompressionName = 'none' | 'gzip';

/** Kafka's codec ids, as stored in the attributes' low three bits. */
export const CODEC_ID = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

const UNSUPPORTED_NAMES: Record<number, string> = {
  [CODEC_ID.snappy]: 'snappy',
  [CODEC_ID.lz4]: 'lz4',
  [CODEC_ID.zstd]: 'zstd',
};

/**
 * Default ceiling on a batch's decompressed records. A gzip blob of a few KB can
 * inflate to gigabytes; the bound keeps one hostile batch from exhausting memory.
 */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export interface CompressionError {
  kind: 'unsupported-compression' | 'corrupt';
  message: string;
}

/** The codec named by a batch's attributes, or why Rill cannot read it. */
export function compressionOf(attributes: number): Either<CompressionError, CompressionName> {
  const id = attributes & COMPRESSION_MASK;
  if (id === CODEC_ID.none) return right('none');
  if (id === CODEC_ID.gzip) return right('gzip');
  const name = UNSUPPORTED_NAMES[id];
  if (name !== undefined) {
    return left({
      kind: 'unsupported-compression',
      message: `${name} compression (codec id ${id}) is not supported by Rill; ` + `configure the producer with compression none or gzip`,
    });
  }
  return left({ kind: 'corrupt', message: `unknown compression codec id ${id} in batch attributes` });
}

export function codecId(name: CompressionName): number {
  return CODEC_ID[name];
}

/** Compresses a batch's records section. */
export function compress(name: CompressionName, records: Buffer): Buffer {
  return name === 'gzip' ? zlib.gzipSync(records) : records;
}

/**
 * Decompresses a batch's records section, refusing output larger than maxBytes.
 * zlib reports bad data by throwing; here that is an expected outcome, so it
 * becomes a value.
 */
export function decompress(name: CompressionName, data: Buffer, maxBytes: number = MAX_DECOMPRESSED_BYTES): Either<CompressionError, Buffer> {
  if (name === 'none') return right(data);
  try {
    return right(zlib.gunzipSync(data, { maxOutputLength: maxBytes }));
  } catch (e) {
    const tooBig = e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    return left({
      kind: 'corrupt',
      message: tooBig
        ? `gzip records inflate to more than ${maxBytes} bytes; refusing to decompress`
        : `gzip records do not decompress: ${(e as Error).message}`,
    });
  }
}
