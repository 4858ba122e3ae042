// Bounds the block counts avsc reads for arrays and maps.
//
// Avro encodes an array as blocks, each prefixed with an item count. avsc
// trusts that count: a 7-byte hostile payload announcing 2^28 ints makes it
// fill a 2^28-slot array with values read past the end of the buffer, and
// the process dies of heap exhaustion (principle 8: bad input never kills a
// process). A count larger than the bytes left cannot be honest unless the
// items take no bytes (array<null>), so such a count is refused before
// anything is allocated; zero-width items get a fixed allowance.
//
// avsc reads blocks in ArrayType/MapType `_read` and `_skip`; the parse
// options install a typeHook that builds array and map types as subclasses
// with bounded versions of those two methods (the loops mirror avsc 5.7's
// own). Resolvers copy the reader type's `_read`, so they are bounded too.
import avro from 'avsc';

/** Items an array block may announce beyond the bytes left (zero-width items). */
const ZERO_WIDTH_ALLOWANCE = 1 << 16;

interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  skipString(): void;
}

interface Readable {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

export class BlockCountError extends Error {}

function checkBlockCount(count: number, tap: Tap): void {
  const bytesLeft = tap.buf.length - tap.pos;
  if (count > bytesLeft && count > ZERO_WIDTH_ALLOWANCE) {
    throw new BlockCountError(`block announces ${count} items but only ${Math.max(bytesLeft, 0)} bytes remain`);
  }
}

/** Reads the next block's item count; a negative count is followed by the block's byte size. */
function readBlockCount(tap: Tap): number {
  let count = tap.readLong();
  if (count < 0) {
    count = -count;
    tap.skipLong();
  }
  checkBlockCount(count, tap);
  return count;
}

function boundedArrayRead(this: { itemsType: Readable }, tap: Tap): unknown[] {
  const items = this.itemsType;
  const value: unknown[] = [];
  let count: number;
  while ((count = readBlockCount(tap))) {
    while (count--) value.push(items._read(tap));
  }
  return value;
}

function boundedMapRead(this: { valuesType: Readable }, tap: Tap): Record<string, unknown> {
  const values = this.valuesType;
  const value: Record<string, unknown> = {};
  let count: number;
  while ((count = readBlockCount(tap))) {
    while (count--) {
      const key = tap.readString();
      value[key] = values._read(tap);
    }
  }
  return value;
}

/**
 * Skips an array's or a map's blocks (`keyed`: a map, each value preceded by
 * its string key); a block whose byte size the writer gave is skipped whole.
 */
function skipBlocks(tap: Tap, items: Readable, keyed: boolean): void {
  let count: number;
  while ((count = tap.readLong())) {
    if (count < 0) {
      const size = tap.readLong();
      tap.pos += size; // the writer told us the block's size: skip it whole
      if (size < 0) tap.pos = tap.buf.length + 1;
    } else {
      checkBlockCount(count, tap);
      while (count--) {
        if (keyed) tap.skipString();
        items._skip(tap);
      }
    }
  }
}

type TypeConstructor = new (schema: unknown, opts: unknown) => avro.Type;
const { ArrayType, MapType } = (avro as unknown as { types: Record<'ArrayType' | 'MapType', TypeConstructor> }).types;

class BoundedArrayType extends ArrayType {
  _read(this: { itemsType: Readable }, tap: Tap): unknown[] {
    return boundedArrayRead.call(this, tap);
  }
  _skip(this: { itemsType: Readable }, tap: Tap): void {
    skipBlocks(tap, this.itemsType, false);
  }
}

class BoundedMapType extends MapType {
  _read(this: { valuesType: Readable }, tap: Tap): Record<string, unknown> {
    return boundedMapRead.call(this, tap);
  }
  _skip(this: { valuesType: Readable }, tap: Tap): void {
    skipBlocks(tap, this.valuesType, true);
  }
}

/** avsc `typeHook`: arrays and maps get bounded block reads. */
export function boundedBlocksTypeHook(schema: unknown, opts: unknown): avro.Type | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const { type, logicalType } = schema as { type?: unknown; logicalType?: unknown };
  if (logicalType !== undefined) return undefined; // leave logical types to avsc
  if (type === 'array') return new BoundedArrayType(schema, opts);
  if (type === 'map') return new BoundedMapType(schema, opts);
  return undefined;
}
