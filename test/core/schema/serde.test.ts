import fc from 'fast-check';
import { right } from 'fp-ts/Either';
import { avroSerde, bytesSerde, defineAvroSchema, fastDeserializeFrom, fastSerializeInto, jsonSerde, stringSerde, type Serde } from '../../../core/schema';

describe('plain serdes', () => {
  it('bytes pass through untouched', () => {
    const bytes = Buffer.from([0, 255, 7]);
    expect(bytesSerde().serialize(bytes)).toEqual({ _tag: 'Right', right: bytes });
    expect(bytesSerde().deserialize(bytes)).toEqual({ _tag: 'Right', right: bytes });
  });

  it('strings are UTF-8 and invalid UTF-8 is refused, with the location', () => {
    const serde = stringSerde();
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const bytes = serde.serialize(text);
        expect(bytes._tag === 'Right' && serde.deserialize(bytes.right)).toEqual({ _tag: 'Right', right: text });
      }),
    );
    const result = serde.deserialize(Buffer.from([0xc3, 0x28]), { topic: 't', partition: 1, offset: 42 });
    expect(result).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-payload' } });
    expect(result._tag === 'Left' && result.left.message).toBe('record value at topic t, partition 1, offset 42: bytes are not valid UTF-8');
  });

  it('strings: short ASCII (built without the decoder), short non-ASCII and long text all decode as the strict decoder does', () => {
    const serde = stringSerde();
    const strict = new TextDecoder('utf-8', { fatal: true });
    const samples = [
      [],
      [0x41],
      [...Buffer.from('w1a2b3c')],
      [...Buffer.from('w1a2b3c4')], // 8 bytes: the longest built in JS
      [...Buffer.from('w1a2b3c4d')], // 9: the decoder
      [0x00, 0x7f, 0x20],
      [...Buffer.from('né')],
      [0xef, 0xbb, 0xbf, 0x41], // a BOM, stripped by the decoder
      [...Buffer.from('日本')],
    ];
    for (const bytes of samples) expect(serde.deserialize(Buffer.from(bytes))).toEqual({ _tag: 'Right', right: strict.decode(Buffer.from(bytes)) });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ max: 0x7f, maxLength: 12 })), (raw) => {
        const bytes = Buffer.from(raw);
        let expected: string | undefined;
        try {
          expected = strict.decode(bytes);
        } catch {
          expected = undefined;
        }
        const result = serde.deserialize(bytes);
        if (expected === undefined) expect(result).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-payload' } });
        else expect(result).toEqual({ _tag: 'Right', right: expected });
      }),
      { numRuns: 2000 },
    );
    // Invalid UTF-8 in a short value is still refused: a lone continuation byte, a truncated sequence, an overlong form.
    for (const bad of [[0x61, 0x80], [0x61, 0xe2, 0x82], [0xc0, 0xaf], [0xff]]) {
      expect(serde.deserialize(Buffer.from(bad))).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-payload' } });
    }
  });

  it('JSON round-trips and refuses bytes that are not JSON', () => {
    const serde = jsonSerde<{ a: number[] }>();
    const bytes = serde.serialize({ a: [1, 2] });
    expect(bytes._tag === 'Right' && bytes.right.toString()).toBe('{"a":[1,2]}');
    expect(bytes._tag === 'Right' && serde.deserialize(bytes.right)).toEqual({ _tag: 'Right', right: { a: [1, 2] } });
    const bad = serde.deserialize(Buffer.from('{"a":'), { topic: 'orders', isKey: true });
    expect(bad._tag === 'Left' && bad.left.message).toMatch(/^record key at topic orders: not valid JSON/);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(jsonSerde().serialize(cyclic)).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-value' } });
  });
});

describe('the fast paths for short text', () => {
  // Strings made of the characters at each edge of the fast paths: printable ASCII, the
  // quote and backslash JSON escapes, control characters, DEL, non-ASCII and a lone surrogate.
  const edgy = fc.string({
    unit: fc.constantFrom('a', 'Z', '0', ' ', '~', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u0080', 'é', '日', '\ud800', '😀'),
    maxLength: 40,
  });
  const sizes = ['', 'a', 'w1a2b3c4', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(33), 'y'.repeat(200)];

  it('stringSerde writes the bytes Buffer.from writes, for short ASCII (written in JS) and everything else', () => {
    const serde = stringSerde();
    for (const text of sizes) expect(serde.serialize(text)).toEqual({ _tag: 'Right', right: Buffer.from(text, 'utf8') });
    fc.assert(
      fc.property(edgy, (text) => {
        expect(serde.serialize(text)).toEqual({ _tag: 'Right', right: Buffer.from(text, 'utf8') });
      }),
      { numRuns: 2000 },
    );
  });

  it('jsonSerde writes a string as JSON.stringify does and reads back what JSON.parse reads', () => {
    const serde = jsonSerde<string>();
    for (const text of sizes) {
      const bytes = serde.serialize(text);
      expect(bytes).toEqual({ _tag: 'Right', right: Buffer.from(JSON.stringify(text), 'utf8') });
      expect(bytes._tag === 'Right' && serde.deserialize(bytes.right)).toEqual({ _tag: 'Right', right: text });
    }
    fc.assert(
      fc.property(edgy, (text) => {
        const bytes = serde.serialize(text);
        expect(bytes).toEqual({ _tag: 'Right', right: Buffer.from(JSON.stringify(text), 'utf8') });
        expect(bytes._tag === 'Right' && serde.deserialize(bytes.right)).toEqual({ _tag: 'Right', right: JSON.parse(JSON.stringify(text)) });
      }),
      { numRuns: 2000 },
    );
  });

  it('jsonSerde reads any bytes as the strict decoder and JSON.parse do: quoted text read without them, the rest with them', () => {
    const serde = jsonSerde();
    const strict = new TextDecoder('utf-8', { fatal: true });
    const expected = (bytes: Buffer) => {
      try {
        return { _tag: 'Right', right: JSON.parse(strict.decode(bytes)) };
      } catch {
        return undefined;
      }
    };
    const quotedBytes = fc.uint8Array({ maxLength: 40 }).chain((inner) => fc.constant(Buffer.concat([Buffer.from('"'), Buffer.from(inner), Buffer.from('"')])));
    const quotedAscii = fc.string({ maxLength: 40 }).map((t) => Buffer.from(`"${t}"`, 'utf8'));
    const samples = ['""', '"w1"', '"a\\"b"', '"\\u0041"', '"tab\there"', ' "x"', '"x" ', '"', '"x', 'x"', '12', '"é"', '"\u007f"'];
    for (const text of samples) {
      const bytes = Buffer.from(text, 'utf8');
      const want = expected(bytes);
      if (want === undefined) expect(serde.deserialize(bytes)).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-payload' } });
      else expect(serde.deserialize(bytes)).toEqual(want);
    }
    fc.assert(
      fc.property(fc.oneof(quotedBytes, quotedAscii), (bytes) => {
        const want = expected(bytes);
        if (want === undefined) expect(serde.deserialize(bytes)).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-payload' } });
        else expect(serde.deserialize(bytes)).toEqual(want);
      }),
      { numRuns: 3000 },
    );
    // Invalid UTF-8 between the quotes is still refused.
    expect(serde.deserialize(Buffer.from([0x22, 0x61, 0x80, 0x22]))).toMatchObject({
      _tag: 'Left',
      left: { kind: 'invalid-payload', message: expect.stringMatching(/UTF-8/) },
    });
  });
});

describe('serializeInto: the bytes serialize() gives, written in place', () => {
  /** serializeInto's bytes at `at` in a buffer of `room` bytes after it (prefilled, so bytes it did not write show), or -1. */
  function into<T>(serde: { serializeInto?: (v: T, out: Buffer, at: number) => number }, value: T, at: number, room: number): Buffer | -1 {
    const out = Buffer.alloc(at + room, 0xaa);
    const end = serde.serializeInto!(value, out, at);
    expect(out.subarray(0, at).every((b) => b === 0xaa)).toBe(true);
    if (end < 0) return -1; // what it wrote past `at` then is scratch the caller ignores
    expect(out.subarray(end).every((b) => b === 0xaa)).toBe(true);
    return out.subarray(at, end);
  }
  const texts = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }), // lone surrogates included
    fc.string({ unit: fc.constantFrom('a', 'Z', '"', '\\', '\n', '\u007f', ' '), maxLength: 40 }),
  );

  it('stringSerde: byte for byte what serialize() gives, for any text, or -1 when it might not fit', () => {
    const serde = stringSerde();
    fc.assert(
      fc.property(texts, fc.nat(20), fc.nat(200), (text, at, room) => {
        const bytes = into(serde, text, at, room);
        const want = serde.serialize(text);
        if (want._tag === 'Left') throw new Error('a string always serializes');
        if (bytes === -1) expect(text.length * 3).toBeGreaterThan(room);
        else expect(bytes.equals(want.right)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    // Room for the bytes is enough for short ASCII; other text needs room for its worst case.
    expect(into(serde, 'word', 0, 4)).toEqual(Buffer.from('word'));
    expect(into(serde, 'word', 0, 3)).toBe(-1);
    expect(into(serde, 'é', 0, 3)).toEqual(Buffer.from('é'));
    expect(into(serde, 'é', 0, 2)).toBe(-1);
  });

  it('jsonSerde: short plain strings as JSON.stringify writes them; any other value -1 (serialize() then writes or refuses it)', () => {
    const serde = jsonSerde<unknown>();
    fc.assert(
      fc.property(fc.oneof(texts, fc.jsonValue(), fc.constant(undefined)), fc.nat(20), (value, at) => {
        const bytes = into(serde, value, at, 100);
        if (bytes === -1) return;
        expect(typeof value).toBe('string');
        const want = serde.serialize(value);
        expect(want._tag === 'Right' && bytes.equals(want.right)).toBe(true);
        expect(bytes.equals(Buffer.from(JSON.stringify(value), 'utf8'))).toBe(true);
      }),
      { numRuns: 3000 },
    );
    expect(into(serde, 'w1', 0, 4)).toEqual(Buffer.from('"w1"'));
    expect(into(serde, 'w1', 0, 3)).toBe(-1);
    expect(into(serde, 'a"b', 0, 50)).toBe(-1);
    expect(into(serde, 'x'.repeat(33), 0, 50)).toBe(-1);
    expect(into(serde, 42, 0, 50)).toBe(-1);
  });

  it('a serde spread into one with its own serialize does not keep the fast path (it would bypass that serialize)', () => {
    for (const serde of [stringSerde(), jsonSerde<string>(), bytesSerde() as never]) {
      expect(serde.serializeInto).toBeDefined();
      expect({ ...(serde as object) }).not.toHaveProperty('serializeInto');
    }
  });

  it('a serialize replaced in place (Object.assign, assignment) turns the built-in fast path off; a user serde keeps its own', () => {
    const shout = (v: string) => right(Buffer.from(v.toUpperCase()));
    const assigned = Object.assign(stringSerde(), { serialize: shout });
    const reassigned = stringSerde();
    reassigned.serialize = shout;
    for (const serde of [assigned, reassigned]) {
      expect(serde.serializeInto).toBeDefined();
      expect(fastSerializeInto(serde)).toBeUndefined();
    }
    const untouched = jsonSerde<string>();
    expect(fastSerializeInto(untouched)).toBe(untouched.serializeInto);
    // Copied with the serialize it was built with, the fast path still writes its bytes.
    expect(fastSerializeInto({ ...untouched, serializeInto: untouched.serializeInto })).toBe(untouched.serializeInto);
    const own: Serde<string> = { ...stringSerde(), serialize: shout, serializeInto: (v, out, at) => at + out.write(v.toUpperCase(), at, 'latin1') };
    expect(fastSerializeInto(own)).toBe(own.serializeInto);
    expect(fastSerializeInto({ ...stringSerde() })).toBeUndefined();
  });

  it("a built-in read fast path is used only while its deserialize is the serde's own", () => {
    const lower = (bytes: Buffer) => right(bytes.toString('latin1').toLowerCase());
    const assigned = Object.assign(stringSerde(), { deserialize: lower });
    const set = stringSerde();
    set.deserialize = lower;
    for (const serde of [assigned, set]) {
      expect(serde.deserializeFrom).toBeDefined();
      expect(fastDeserializeFrom(serde)).toBeUndefined();
    }
    const untouched = stringSerde();
    expect(fastDeserializeFrom(untouched)).toBe(untouched.deserializeFrom);
    const own: Serde<string> = { ...stringSerde(), deserialize: lower, deserializeFrom: (b, s, e) => b.toString('latin1', s, e).toLowerCase() };
    expect(fastDeserializeFrom(own)).toBe(own.deserializeFrom);
    expect(fastDeserializeFrom({ ...stringSerde() })).toBeUndefined();
    // A user may replace a built-in fast path too: it is theirs then, and used.
    const replaced = stringSerde();
    const mine = (b: Buffer, start: number, end: number) => b.toString('latin1', start, end);
    replaced.deserializeFrom = mine;
    expect(fastDeserializeFrom(replaced)).toBe(mine);
    const both = Object.assign(stringSerde(), { serialize: (v: string) => right(Buffer.from(v)), serializeInto: () => -1 });
    expect(fastSerializeInto(both)).toBe(both.serializeInto);
  });

  it('bytesSerde copies a Buffer when it fits; anything else is -1', () => {
    const serde = bytesSerde();
    expect(into(serde, Buffer.from([1, 2, 3]), 2, 3)).toEqual(Buffer.from([1, 2, 3]));
    expect(into(serde, Buffer.from([1, 2, 3]), 2, 2)).toBe(-1);
    expect(into(serde, 'text' as unknown as Buffer, 0, 10)).toBe(-1);
  });
});

describe('plain Avro serde', () => {
  const Point = defineAvroSchema({
    type: 'record',
    name: 'Point',
    fields: [
      { name: 'x', type: 'int' },
      { name: 'label', type: 'string' },
    ],
  });

  it('names the fields of a value that does not match the schema', () => {
    const result = avroSerde(Point).serialize({ x: 1.5, label: 3 } as never);
    expect(result).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-value', paths: ['x', 'label'] } });
  });

  it('refuses truncated bytes and trailing bytes', () => {
    const serde = avroSerde(Point);
    const bytes = serde.serialize({ x: 1, label: 'hello' });
    if (bytes._tag === 'Left') throw new Error('encode failed');
    expect(serde.deserialize(bytes.right.subarray(0, 3))).toMatchObject({ _tag: 'Left', left: { kind: 'invalid-payload' } });
    const trailing = serde.deserialize(Buffer.concat([bytes.right, Buffer.from([1])]));
    expect(trailing._tag === 'Left' && trailing.left.message).toMatch(/1 bytes left after the value/);
  });

  it('encodes values larger than the scratch buffer', () => {
    const Blob = defineAvroSchema({ type: 'record', name: 'Blob', fields: [{ name: 'data', type: 'string' }] });
    const data = 'x'.repeat(100_000);
    const serde = avroSerde(Blob);
    const bytes = serde.serialize({ data });
    expect(bytes._tag === 'Right' && serde.deserialize(bytes.right)).toEqual({ _tag: 'Right', right: { data } });
  });
});

describe('deserializeFrom: the value deserialize() gives, read in place', () => {
  // Bytes at a random place inside a larger buffer, so a read past either end would show.
  const placed = (inner: Uint8Array, before: number, after: number) => {
    const buf = Buffer.concat([Buffer.alloc(before, 0x22), Buffer.from(inner), Buffer.alloc(after, 0xff)]);
    return { buf, start: before, end: before + inner.length, view: buf.subarray(before, before + inner.length) };
  };
  const texts = fc.oneof(
    fc.string({ maxLength: 60 }).map((t) => Buffer.from(t, 'utf8')),
    fc.string({ unit: 'grapheme', maxLength: 60 }).map((t) => Buffer.from(t, 'utf8')),
    fc.string({ unit: fc.constantFrom('a', 'Z', '"', '\\', '\n', '\u007f', ' '), maxLength: 40 }).map((t) => Buffer.from(`"${t}"`, 'utf8')),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v), 'utf8')),
    fc.uint8Array({ maxLength: 40 }), // invalid UTF-8 included
  );

  it.each([
    ['string', stringSerde()],
    ['json', jsonSerde()],
  ] as const)('%s: undefined (deserialize decides) or exactly what deserialize gives; never a value for bytes deserialize refuses', (_name, serde) => {
    const from = serde.deserializeFrom!;
    expect(from).toBeDefined();
    fc.assert(
      fc.property(texts, fc.nat(8), fc.nat(8), (inner, before, after) => {
        const { buf, start, end, view } = placed(inner, before, after);
        const read = from(buf, start, end);
        if (read === undefined) return;
        expect(serde.deserialize(view)).toEqual({ _tag: 'Right', right: read });
      }),
    );
  });

  it("reads the repartition path's words and plain JSON strings itself; leaves non-ASCII and other JSON to deserialize", () => {
    const text = stringSerde().deserializeFrom!;
    const json = jsonSerde().deserializeFrom!;
    const at = (s: string) => [Buffer.from(`xx${s}yy`, 'latin1'), 2, 2 + Buffer.byteLength(s, 'latin1')] as const;
    expect(text(...at('word'))).toBe('word');
    expect(text(...at('a longer line of plain ASCII text'))).toBe('a longer line of plain ASCII text');
    expect(text(...at(''))).toBe('');
    expect(text(...at('\u00e9'))).toBeUndefined();
    expect(json(...at('"word"'))).toBe('word');
    expect(json(...at('"a\\"b"'))).toBeUndefined();
    expect(json(...at('{"a":1}'))).toBeUndefined();
    expect(json(...at('"'))).toBeUndefined();
  });

  it('a serde spread into one with its own deserialize does not keep the fast path; bytes and Avro serdes have none', () => {
    for (const serde of [stringSerde(), jsonSerde<string>()]) expect({ ...(serde as object) }).not.toHaveProperty('deserializeFrom');
    expect(bytesSerde().deserializeFrom).toBeUndefined();
  });
});
