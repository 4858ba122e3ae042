// How HTTP queries read a key from a URL with the store's key serde, and
// write answers as JSON: one case per serde kind, binary keys in base64, and
// the refusals a caller sees as 400s.
import { avroSerde, bytesSerde, defineAvroSchema, jsonSerde, stringSerde, type Serde } from '../../../core/schema';
import { decodeKey, decodePrefix, keyBytes, keyEncodingOf, toJson } from '../../../dsl/runtime/query-codec';
import type { ResolvedStore } from '../../../dsl/topology/topology';

const Id = defineAvroSchema({ type: 'record', name: 'Id', fields: [{ name: 'id', type: 'int' }] });

function storeWith(keySerde: Serde<unknown>): ResolvedStore {
  return { name: 's', kind: 'key-value', keySerde, valueSerde: jsonSerde(), changelog: 'own', changelogTopic: 's-changelog' } as ResolvedStore;
}

const str = storeWith(stringSerde() as Serde<unknown>);
const json = storeWith(jsonSerde());
const bytes = storeWith(bytesSerde() as Serde<unknown>);
const avro = storeWith(avroSerde(Id) as Serde<unknown>);

test('a text key is read as its key serde takes it', () => {
  expect(decodeKey(str, '42', 'text')).toEqual({ ok: true, value: '42' });
  expect(decodeKey(json, '42', 'text')).toEqual({ ok: true, value: 42 });
  expect(decodeKey(json, '"42"', 'text')).toEqual({ ok: true, value: '42' });
  expect(decodeKey(json, 'alpha', 'text')).toEqual({ ok: true, value: 'alpha' });
  expect(decodeKey(json, '{"a":[1,2]}', 'text')).toEqual({ ok: true, value: { a: [1, 2] } });
  expect(decodeKey(bytes, 'hé', 'text')).toEqual({ ok: true, value: Buffer.from('hé', 'utf8') });
  expect(decodeKey(avro, '{"id":7}', 'text')).toEqual({ ok: true, value: { id: 7 } });
});

test('a key the serde refuses, or bad base64, is an error naming the store and serde', () => {
  expect(decodeKey(avro, '{"id":"seven"}', 'text')).toEqual({
    ok: false,
    error: expect.stringMatching(/the key \{"id":"seven"\} does not fit store "s"'s key serde \(avro\)/),
  });
  expect(decodeKey(avro, 'seven', 'text')).toMatchObject({ ok: false });
  expect(decodeKey(str, '***', 'base64')).toEqual({ ok: false, error: 'the key "***" is not base64' });
  // Bytes that are not UTF-8 are no string key.
  expect(decodeKey(str, Buffer.from([0xff, 0xfe]).toString('base64'), 'base64')).toEqual({
    ok: false,
    error: expect.stringMatching(/does not read with store "s"'s key serde \(string\): record key: bytes are not valid UTF-8/),
  });
  expect(keyEncodingOf('hex')).toEqual({ ok: false, error: 'keyEncoding must be "text" or "base64" (got "hex")' });
  expect(keyEncodingOf(null)).toEqual({ ok: true, value: 'text' });
});

test('a base64 key is the serialized bytes, read with the key serde: any key, binary ones included', () => {
  const binary = Buffer.from([0, 1, 2, 255]);
  expect(decodeKey(bytes, binary.toString('base64'), 'base64')).toEqual({ ok: true, value: binary });
  const id = keyBytes(avro, { id: 7 });
  expect(decodeKey(avro, id.toString('base64'), 'base64')).toEqual({ ok: true, value: { id: 7 } });
  expect(decodeKey(json, Buffer.from('[1,2]').toString('base64url'), 'base64')).toEqual({ ok: true, value: [1, 2] });
  expect(decodePrefix('al', 'text')).toEqual({ ok: true, value: Buffer.from('al') });
  expect(decodePrefix(Buffer.from([0xff]).toString('base64'), 'base64')).toEqual({ ok: true, value: Buffer.from([0xff]) });
});

test('answers are JSON: binary as base64, bigints as decimal strings', () => {
  expect(JSON.parse(toJson({ key: Buffer.from([0, 255]), value: { n: 2n ** 64n, raw: new Uint8Array([1, 2]), s: 'x' } }))).toEqual({
    key: 'AP8=',
    value: { n: '18446744073709551616', raw: 'AQI=', s: 'x' },
  });
  expect(toJson(Buffer.from('hi'))).toBe('"aGk="');
});
