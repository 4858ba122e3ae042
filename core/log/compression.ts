// Compression codecs of RecordBatch v2 (attributes bits 0-2): all four that
// Kafka defines. The broker reads a compressed batch only to validate it (the
// bytes are stored untouched); Rill's readers decode every codec, and Rill's
// producers write gzip, snappy and lz4 (and zstd where node:zlib has it, from
// Node 22.15; before that a zstd writer is refused with the alternatives).
//
// gzip is node:zlib. The others are pure-JS packages, loaded on first use so
// an uncompressed batch costs nothing more:
// - snappy (snappyjs, raw snappy blocks). Kafka's Java client and librdkafka
//   write the records in xerial's framing (a magic header, then blocks each
//   prefixed by its length), which is what Rill writes too; a batch of raw
//   snappy (some other clients) is read as well.
// - lz4 (lz4js): the LZ4 frame format, as Kafka's KafkaLZ4BlockOutputStream
//   writes it for magic v1+: independent 64 KiB blocks, which Kafka's reader
//   requires ("Dependent block stream is unsupported").
// - zstd (fzstd, decompression only), streamed so a bomb stops at the bound.
//
// Every decoder is bounded by maxBytes, as gzip's maxOutputLength bounds it.
import * as zlib from 'node:zlib';
import { Either, left, right } from 'fp-ts/Either';
import { COMPRESSION_MASK } from './batch-header';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Kafka's codec ids, as stored in the attributes' low three bits. */
export const CODEC_ID = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

const NAME_OF_ID: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The codecs a batch may name, for option parsing and help texts. */
export const COMPRESSION_NAMES: readonly CompressionName[] = NAME_OF_ID;

/**
 * Default ceiling on a batch's decompressed records. A compressed blob of a few
 * KB can inflate to gigabytes; the bound keeps one hostile batch from exhausting memory.
 */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export interface CompressionError {
  kind: 'unsupported-compression' | 'corrupt';
  message: string;
}

/** The codec named by a batch's attributes, or why it names none. */
export function compressionOf(attributes: number): Either<CompressionError, CompressionName> {
  const id = attributes & COMPRESSION_MASK;
  const name = NAME_OF_ID[id];
  return name !== undefined ? right(name) : left({ kind: 'corrupt', message: `unknown compression codec id ${id} in batch attributes` });
}

export function codecId(name: CompressionName): number {
  return CODEC_ID[name];
}

/** node:zlib's zstd, where this Node has it (22.15+). */
type NativeZstd = { zstdCompressSync?: (b: Buffer) => Buffer };
const nativeZstd = (zlib as unknown as NativeZstd).zstdCompressSync;

/** Why Rill cannot write `name` here, or undefined when it can. Checked when a producer is configured. */
export function unwritableCompression(name: string): string | undefined {
  if (!(COMPRESSION_NAMES as readonly string[]).includes(name)) return `unknown compression "${name}": use one of ${COMPRESSION_NAMES.join(', ')}`;
  if (name === 'zstd' && nativeZstd === undefined)
    return `zstd compression needs node:zlib's zstd (Node 22.15 or later; this is ${process.version}): compress with gzip, lz4 or snappy instead (Rill reads zstd batches either way)`;
  return undefined;
}

/** Compresses a batch's records section. */
export function compress(name: CompressionName, records: Buffer): Buffer {
  switch (name) {
    case 'none':
      return records;
    case 'gzip':
      return zlib.gzipSync(records);
    case 'snappy':
      return snappyXerialCompress(records);
    case 'lz4':
      return lz4FrameCompress(records);
    case 'zstd': {
      const refused = unwritableCompression(name);
      if (refused !== undefined || nativeZstd === undefined) throw new Error(refused);
      return nativeZstd(records);
    }
  }
}

/** A decoder's output past the bound. */
class TooLarge extends Error {}

/**
 * Decompresses a batch's records section, refusing output larger than maxBytes.
 * The codecs report bad data by throwing; here that is an expected outcome, so
 * it becomes a value.
 */
export function decompress(name: CompressionName, data: Buffer, maxBytes: number = MAX_DECOMPRESSED_BYTES): Either<CompressionError, Buffer> {
  if (name === 'none') return right(data);
  try {
    return right(DECODERS[name](data, maxBytes));
  } catch (e) {
    const tooBig = e instanceof TooLarge || e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    return left({
      kind: 'corrupt',
      message: tooBig
        ? `${name} records inflate to more than ${maxBytes} bytes; refusing to decompress`
        : `${name} records do not decompress: ${(e as Error).message}`,
    });
  }
}

const DECODERS: Record<Exclude<CompressionName, 'none'>, (data: Buffer, maxBytes: number) => Buffer> = {
  gzip: (data, maxBytes) => zlib.gunzipSync(data, { maxOutputLength: maxBytes }),
  snappy: snappyDecompress,
  lz4: lz4FrameDecompress,
  zstd: zstdDecompress,
};

// ---------------------------------------------------------------- snappy

interface Snappyjs {
  compress(b: Buffer): Buffer;
  uncompress(b: Buffer, maxLength?: number): Buffer;
}
let snappyjs: Snappyjs | undefined;
const snappy = (): Snappyjs => (snappyjs ??= require('snappyjs') as Snappyjs);

/** xerial snappy-java's stream header: magic, version 1, compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;
/** snappy-java's default block size (uncompressed bytes per block). */
const XERIAL_BLOCK = 32 * 1024;

function snappyXerialCompress(records: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < records.length; at += XERIAL_BLOCK) {
    const block = snappy().compress(records.subarray(at, at + XERIAL_BLOCK));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** xerial-framed blocks, or one raw snappy block. */
function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  if (data.length < XERIAL_HEADER || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return snappyBlock(data, maxBytes);
  const blocks: Buffer[] = [];
  let total = 0;
  for (let at = XERIAL_HEADER; at < data.length; ) {
    if (at + 4 > data.length) throw new Error('truncated xerial block length');
    const length = data.readInt32BE(at);
    if (length < 0 || at + 4 + length > data.length) throw new Error(`xerial block of ${length} bytes runs past the records`);
    const block = snappyBlock(data.subarray(at + 4, at + 4 + length), maxBytes - total);
    total += block.length;
    blocks.push(block);
    at += 4 + length;
  }
  return Buffer.concat(blocks, total);
}

function snappyBlock(data: Buffer, maxBytes: number): Buffer {
  try {
    return snappy().uncompress(data, maxBytes);
  } catch (e) {
    // snappyjs refuses a block that declares more than maxLength before allocating it.
    if ((e as Error).message.includes('is too big')) throw new TooLarge((e as Error).message);
    throw e;
  }
}

// ---------------------------------------------------------------- lz4

interface Lz4js {
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  compressBound(n: number): number;
  decompressBound(src: Uint8Array): number;
  decompressFrame(src: Uint8Array, dst: Uint8Array): number;
}
interface Lz4Codec {
  readonly lz4: Lz4js;
  readonly xxh32: (seed: number, data: Uint8Array, from: number, length: number) => number;
}
let lz4js: Lz4Codec | undefined;
const lz4 = (): Lz4Codec =>
  (lz4js ??= {
    lz4: require('lz4js') as Lz4js,
    xxh32: (require('lz4js/xxh32') as { hash: Lz4Codec['xxh32'] }).hash,
  });

const LZ4_MAGIC = 0x184d2204;
/** FLG: version 01, block independence. */
const LZ4_FLG = 0x60;
/** BD: 64 KiB blocks (Kafka's default). */
const LZ4_BD = 4 << 4;
const LZ4_BLOCK = 64 * 1024;
const LZ4_UNCOMPRESSED = 0x80000000;

/** An LZ4 frame of independent 64 KiB blocks (a block that does not shrink is stored as is). */
function lz4FrameCompress(records: Buffer): Buffer {
  const { lz4: codec, xxh32 } = lz4();
  const out = Buffer.alloc(7 + codec.compressBound(records.length) + 4 * (Math.ceil(records.length / LZ4_BLOCK) + 1) + 16);
  out.writeUInt32LE(LZ4_MAGIC, 0);
  out[4] = LZ4_FLG;
  out[5] = LZ4_BD;
  out[6] = (xxh32(0, out, 4, 2) >>> 8) & 0xff;
  let pos = 7;
  const block = new Uint8Array(codec.compressBound(LZ4_BLOCK));
  for (let at = 0; at < records.length; at += LZ4_BLOCK) {
    const length = Math.min(LZ4_BLOCK, records.length - at);
    // A fresh hash table per block: no match reaches into the block before (independent blocks).
    const size = codec.compressBlock(records, block, at, length, new Uint32Array(1 << 16));
    if (size === 0 || size >= length) {
      out.writeUInt32LE((LZ4_UNCOMPRESSED | length) >>> 0, pos);
      records.copy(out, pos + 4, at, at + length);
      pos += 4 + length;
    } else {
      out.writeUInt32LE(size, pos);
      out.set(block.subarray(0, size), pos + 4);
      pos += 4 + size;
    }
  }
  out.writeUInt32LE(0, pos);
  return out.subarray(0, pos + 4);
}

function lz4FrameDecompress(data: Buffer, maxBytes: number): Buffer {
  const { lz4: codec } = lz4();
  // The frame's content size, else the sum of its blocks' maximum sizes: an upper bound read before allocating.
  const bound = codec.decompressBound(data);
  if (!Number.isFinite(bound) || bound < 0) throw new Error('not an LZ4 frame');
  if (bound > maxBytes) throw new TooLarge(`an LZ4 frame of up to ${bound} bytes`);
  const out = Buffer.alloc(bound);
  const size = codec.decompressFrame(data, out);
  return out.subarray(0, size);
}

// ---------------------------------------------------------------- zstd

interface Fzstd {
  Decompress: new (ondata: (chunk: Uint8Array) => void) => { push(chunk: Uint8Array, final?: boolean): void };
}
let fzstd: Fzstd | undefined;

/** Streamed, so output past maxBytes stops the decoder instead of filling memory. */
function zstdDecompress(data: Buffer, maxBytes: number): Buffer {
  fzstd ??= require('fzstd') as Fzstd;
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = new fzstd.Decompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw new TooLarge(`zstd output past ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  });
  stream.push(data, true);
  return Buffer.concat(chunks, total);
}
