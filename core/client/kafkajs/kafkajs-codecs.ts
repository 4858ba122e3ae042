// kafkajs reads and writes gzip only; its snappy, lz4 and zstd codecs throw
// "not implemented" until an application registers packages of its own. The
// kafkajs LogClient registers Rill's codecs in their place (never over one the
// application registered), so pipelines on an external Kafka read topics that
// other clients compress, and may write snappy and lz4 themselves.
import type * as Kafkajs from 'kafkajs';
import { compressBatchRecords, decompressBatchRecords, MAX_DECOMPRESSED_BYTES, type CompressionName } from '../../log';

function codec(name: CompressionName): { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> } {
  return {
    async compress(encoder) {
      return compressBatchRecords(name, encoder.buffer);
    },
    async decompress(buffer) {
      const r = decompressBatchRecords(name, buffer, MAX_DECOMPRESSED_BYTES);
      if (r._tag === 'Left') throw new Error(r.left.message);
      return r.right;
    },
  };
}

/** Puts Rill's snappy, lz4 and zstd codecs where kafkajs has none. */
export function registerRillCodecs(kafkajs: typeof Kafkajs): void {
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  const rill: [Kafkajs.CompressionTypes.Snappy | Kafkajs.CompressionTypes.LZ4 | Kafkajs.CompressionTypes.ZSTD, CompressionName][] = [
    [CompressionTypes.Snappy, 'snappy'],
    [CompressionTypes.LZ4, 'lz4'],
    [CompressionTypes.ZSTD, 'zstd'],
  ];
  for (const [type, name] of rill) {
    try {
      CompressionCodecs[type]();
    } catch {
      // kafkajs's placeholder throws: nothing registered yet.
      CompressionCodecs[type] = () => codec(name);
    }
  }
}
