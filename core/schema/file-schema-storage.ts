// A small append-only file of registry records: the registry's storage when
// it runs without a partition log. Each record is
//
//   length u32 BE | crc32 u32 BE (of the body) | body
//   body = keyLength i32 | key | valueLength i32 (-1: tombstone) | value
//
// Appends are fsynced. On open the file is scanned; a tail whose length runs
// past the end of the file or whose CRC does not hold (a write torn by a
// crash) is truncated away, so every record before it survives.
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';
import type { StoredRecord } from './registry-records';
import type { SchemaStorage } from './schema-storage';

const RECORD_HEADER_SIZE = 8;
/** Registry records are schemas: far below this. A larger length is damage. */
const MAX_RECORD_SIZE = 64 * 1024 * 1024;

export class FileSchemaStorage implements SchemaStorage {
  private constructor(
    private readonly fd: number,
    private readonly records: StoredRecord[],
  ) {}

  /** Opens (or creates) the file, recovering from a torn tail. */
  static open(path: string): FileSchemaStorage {
    const fd = fs.openSync(path, fs.existsSync(path) ? 'r+' : 'w+');
    const contents = fs.readFileSync(path);
    const { records, validLength } = scan(contents);
    if (validLength < contents.length) {
      fs.ftruncateSync(fd, validLength);
      fs.fsyncSync(fd);
    }
    return new FileSchemaStorage(fd, records);
  }

  append(records: readonly StoredRecord[]): void {
    const encoded = Buffer.concat(records.map(encodeRecord));
    // The file is opened without O_APPEND; write at the end explicitly.
    const position = fs.fstatSync(this.fd).size;
    let written = 0;
    while (written < encoded.length) {
      written += fs.writeSync(this.fd, encoded, written, encoded.length - written, position + written);
    }
    fs.fsyncSync(this.fd);
    this.records.push(...records);
  }

  replay(): Iterable<StoredRecord> {
    return [...this.records];
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function encodeRecord(record: StoredRecord): Buffer {
  const valueLength = record.value === null ? 0 : record.value.length;
  const bodyLength = 4 + record.key.length + 4 + valueLength;
  const out = Buffer.allocUnsafe(RECORD_HEADER_SIZE + bodyLength);
  out.writeUInt32BE(bodyLength, 0);
  let position = RECORD_HEADER_SIZE;
  out.writeInt32BE(record.key.length, position);
  position += 4;
  record.key.copy(out, position);
  position += record.key.length;
  out.writeInt32BE(record.value === null ? -1 : record.value.length, position);
  position += 4;
  if (record.value !== null) record.value.copy(out, position);
  out.writeUInt32BE(crc32(out.subarray(RECORD_HEADER_SIZE)), 4);
  return out;
}

/** Reads records up to the first damaged one. */
export function scan(contents: Buffer): { records: StoredRecord[]; validLength: number } {
  const records: StoredRecord[] = [];
  let position = 0;
  while (position + RECORD_HEADER_SIZE <= contents.length) {
    const bodyLength = contents.readUInt32BE(position);
    const bodyStart = position + RECORD_HEADER_SIZE;
    if (bodyLength < 8 || bodyLength > MAX_RECORD_SIZE || bodyStart + bodyLength > contents.length) break;
    const body = contents.subarray(bodyStart, bodyStart + bodyLength);
    if (crc32(body) !== contents.readUInt32BE(position + 4)) break;
    const record = decodeBody(body);
    if (!record) break;
    records.push(record);
    position = bodyStart + bodyLength;
  }
  return { records, validLength: position };
}

function decodeBody(body: Buffer): StoredRecord | undefined {
  const keyLength = body.readInt32BE(0);
  if (keyLength < 0 || 4 + keyLength + 4 > body.length) return undefined;
  const key = Buffer.from(body.subarray(4, 4 + keyLength));
  const valueLength = body.readInt32BE(4 + keyLength);
  const valueStart = 8 + keyLength;
  if (valueLength === -1) return valueStart === body.length ? { key, value: null } : undefined;
  if (valueLength < 0 || valueStart + valueLength !== body.length) return undefined;
  return { key, value: Buffer.from(body.subarray(valueStart)) };
}
