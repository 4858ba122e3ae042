import fc from 'fast-check';
import { avroSerde, bytesSerde, defineAvroSchema, jsonSerde, stringSerde } from '../../../core/schema';

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
