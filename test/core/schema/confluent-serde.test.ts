import fc from 'fast-check';
import * as avro from 'avsc';
import {
  confluentAvroDeserializer,
  confluentAvroSerde,
  defineAvroSchema,
  EphemeralSchemaStorage,
  frame,
  orThrow,
  recordNameStrategy,
  SchemaRegistry,
  type SerdeError,
} from '../../../core/schema';
import { UserV1, UserV2 } from './user-schemas';

const newRegistry = () => SchemaRegistry.open(new EphemeralSchemaStorage());

function leftOf<T>(result: { _tag: 'Left'; left: SerdeError } | { _tag: 'Right'; right: T }): SerdeError {
  if (result._tag === 'Right') throw new Error(`expected a decode error, got ${JSON.stringify(result.right)}`);
  return result.left;
}

describe('Confluent-framed Avro serde', () => {
  it('writes magic byte 0, the 4-byte big-endian schema id, then the Avro binary', () => {
    const registry = newRegistry();
    registry.register('other-value', '"string"'); // take id 1 so the user schema gets 2
    const serde = confluentAvroSerde({ registry, schema: UserV1, topic: 'clicks' });
    const bytes = orThrow(serde.serialize({ user: 'ada', ts: 7 }));
    const id = registry.version('clicks-value', 'latest');
    expect(id).toMatchObject({ _tag: 'Right', right: { id: 2, version: 1 } });
    expect(bytes.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 2]));
    expect(bytes.subarray(5)).toEqual(avro.Type.forSchema(UserV1.definition as avro.Schema).toBuffer({ user: 'ada', ts: 7 }));
    expect(orThrow(serde.deserialize(bytes))).toEqual({ user: 'ada', ts: 7 });
  });

  it('registers under <topic>-key for keys and under the record name with recordNameStrategy', () => {
    const registry = newRegistry();
    orThrow(confluentAvroSerde({ registry, schema: UserV1, topic: 'clicks', isKey: true }).serialize({ user: 'a', ts: 1 }));
    orThrow(confluentAvroSerde({ registry, schema: UserV1, topic: 'clicks', subjectNameStrategy: recordNameStrategy }).serialize({ user: 'a', ts: 1 }));
    expect(registry.subjects()).toEqual(['clicks-key', 'rill.test.User']);
  });

  it('reads records written with an older schema into the reader schema (evolution)', () => {
    const registry = newRegistry();
    const v1Bytes = orThrow(confluentAvroSerde({ registry, schema: UserV1, topic: 'users' }).serialize({ user: 'ada', ts: 1 }));
    const v2 = confluentAvroSerde({ registry, schema: UserV2, topic: 'users' });
    const v2Bytes = orThrow(v2.serialize({ user: 'bob', ts: 2, country: 'NZ' }));
    expect(orThrow(v2.deserialize(v1Bytes))).toEqual({ user: 'ada', ts: 1, country: 'unknown' });
    // and an old reader reads new data, dropping the field it does not know
    const v1Reader = confluentAvroSerde({ registry, schema: UserV1, topic: 'users' });
    expect(orThrow(v1Reader.deserialize(v2Bytes))).toEqual({ user: 'bob', ts: 2 });
  });

  it('decodes with the writer schema when there is no reader schema', () => {
    const registry = newRegistry();
    const bytes = orThrow(confluentAvroSerde({ registry, schema: UserV2, topic: 'users' }).serialize({ user: 'ada', ts: 1, country: 'NZ' }));
    const generic = confluentAvroDeserializer({ registry, topic: 'users' });
    expect(orThrow(generic.deserialize(bytes))).toEqual({ schemaId: 1, value: { user: 'ada', ts: 1, country: 'NZ' } });
    const error = leftOf(generic.deserialize(frame(7, Buffer.alloc(0)), { offset: 9 }));
    expect(error.message).toBe('record value at topic users, offset 9: unknown schema id 7: the registry has no such schema');
  });

  it('reports the value paths that do not match the schema', () => {
    const serde = confluentAvroSerde({ registry: newRegistry(), schema: UserV1, topic: 'users' });
    const error = leftOf(serde.serialize({ user: 'x', ts: 'soon' } as never));
    expect(error).toMatchObject({ kind: 'invalid-value', paths: ['ts'] });
  });

  it('refuses the serde when autoRegister is off and the schema is not registered', () => {
    const serde = confluentAvroSerde({ registry: newRegistry(), schema: UserV1, topic: 'users', autoRegister: false });
    expect(leftOf(serde.serialize({ user: 'x', ts: 1 })).message).toMatch(
      /could not find its schema under subject "users-value": Subject "users-value" not found/,
    );
  });

  describe('bad input gives a typed error naming the record, never a crash or a garbage object', () => {
    const registry = newRegistry();
    const serde = confluentAvroSerde({ registry, schema: UserV1, topic: 'users' });
    const good = orThrow(serde.serialize({ user: 'ada', ts: 1 }));
    const at = { partition: 3, offset: 1234 };

    it('truncated frame', () => {
      const error = leftOf(serde.deserialize(Buffer.from([0, 0, 0]), at));
      expect(error.kind).toBe('truncated-frame');
      expect(error.message).toBe(
        'record value at topic users, partition 3, offset 1234: truncated Confluent frame: 3 bytes, the header alone needs 5 (magic byte + 4-byte schema id)',
      );
    });

    it('wrong magic byte', () => {
      const error = leftOf(serde.deserialize(Buffer.from('{"user":"ada"}'), at));
      expect(error.kind).toBe('wrong-magic-byte');
      expect(error.message).toMatch(/offset 1234: wrong magic byte 123/);
    });

    it('unknown schema id', () => {
      const error = leftOf(serde.deserialize(frame(99, Buffer.from([2, 0x61, 2])), at));
      expect(error).toMatchObject({ kind: 'unknown-schema-id', schemaId: 99 });
      expect(error.message).toMatch(/partition 3, offset 1234: unknown schema id 99/);
    });

    it('payload truncated after the header', () => {
      const error = leftOf(serde.deserialize(good.subarray(0, good.length - 1), at));
      expect(error.kind).toBe('invalid-payload');
      expect(error.message).toMatch(/topic users, partition 3, offset 1234: schema id \d+: not valid Avro for the writer schema: the payload ends/);
    });

    it('a writer schema the reader cannot read', () => {
      const Other = defineAvroSchema({ type: 'record', name: 'Other', fields: [{ name: 'n', type: 'int' }] });
      const otherBytes = orThrow(confluentAvroSerde({ registry, schema: Other, topic: 'others' }).serialize({ n: 1 }));
      const error = leftOf(serde.deserialize(otherBytes, at));
      expect(error.kind).toBe('incompatible-writer-schema');
      expect(error.message).toMatch(/record Other cannot be read as record rill.test.User/);
    });

    it('a hostile array count does not exhaust the heap', () => {
      const Tagged = defineAvroSchema({ type: 'record', name: 'Tagged', fields: [{ name: 'tags', type: { type: 'array', items: 'int' } }] });
      const tagged = confluentAvroSerde({ registry, schema: Tagged, topic: 'tagged' });
      const header = orThrow(tagged.serialize({ tags: [] })).subarray(0, 5);
      const hostileCount = avro.Type.forSchema('long').toBuffer(2 ** 40);
      const error = leftOf(tagged.deserialize(Buffer.concat([header, hostileCount, Buffer.from([2, 4])]), at));
      expect(error.message).toMatch(/block announces 1099511627776 items but only 2 bytes remain/);
      // A reader without the field skips it: the skip path is bounded too.
      const Untagged = defineAvroSchema({ type: 'record', name: 'Tagged', fields: [{ name: 'n', type: 'int', default: 0 }] });
      const untagged = confluentAvroSerde({ registry, schema: Untagged, topic: 'tagged', autoRegister: false });
      const skipped = leftOf(untagged.deserialize(Buffer.concat([header, hostileCount, Buffer.from([2, 4])]), at));
      expect(skipped.message).toMatch(/block announces 1099511627776 items/);
    });

    it('random mutations of a valid frame decode to a valid value or a typed error', () => {
      const Rich = defineAvroSchema({
        type: 'record',
        name: 'Rich',
        fields: [
          { name: 's', type: 'string' },
          { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] } },
          { name: 'u', type: ['null', 'long', { type: 'record', name: 'N', fields: [{ name: 'x', type: 'int' }] }] },
          { name: 'a', type: { type: 'array', items: 'string' } },
          { name: 'm', type: { type: 'map', values: 'double' } },
        ],
      });
      const rich = confluentAvroSerde({ registry, schema: Rich, topic: 'rich' });
      const valid = orThrow(rich.serialize({ s: 'hello', e: 'B', u: { x: 4 }, a: ['x', 'y'], m: { k: 1.5 } }));
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          fc.nat(valid.length),
          (edits, cut) => {
            const bytes = Buffer.from(valid);
            for (const [position, byte] of edits) bytes[position] = byte;
            const result = rich.deserialize(bytes.subarray(0, Math.max(cut, 5)), at);
            if (result._tag === 'Right') expect(Rich.avroType.isValid(result.right)).toBe(true);
            else expect(result.left.message).toMatch(/^record value at topic rich, partition 3, offset 1234: /);
          },
        ),
        { numRuns: 3000 },
      );
    });
  });
});
