import { avroSerde, defineAvroSchema, orThrow, type AvroValue } from '../../../core/schema';

/** Compile-time type equality: the test fails to typecheck when the inferred type drifts. */
type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

describe('defineAvroSchema infers the record type from the schema literal', () => {
  const Click = defineAvroSchema({
    type: 'record',
    name: 'Click',
    namespace: 'rill.test',
    fields: [
      { name: 'user', type: 'string' },
      { name: 'ts', type: 'long' },
      { name: 'score', type: 'double' },
      { name: 'ok', type: 'boolean' },
      { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'BUY'] } },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'counts', type: { type: 'map', values: 'int' } },
      { name: 'referrer', type: ['null', 'string'], default: null },
      { name: 'raw', type: 'bytes' },
      { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 2 } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'geo', type: { type: 'record', name: 'Geo', fields: [{ name: 'lat', type: 'float' }] } },
    ],
  });
  type Click = AvroValue<typeof Click>;

  it('maps every Avro type to its TypeScript type', () => {
    assertType<
      Equals<
        Click,
        {
          user: string;
          ts: number;
          score: number;
          ok: boolean;
          kind: 'VIEW' | 'BUY';
          tags: string[];
          counts: Record<string, number>;
          referrer: string | null;
          raw: Buffer;
          hash: Buffer;
          at: number;
          geo: { lat: number };
        }
      >
    >();
  });

  it('round-trips a value of the inferred type', () => {
    const click: Click = {
      user: 'ada',
      ts: 1_700_000_000_000,
      score: 0.5,
      ok: true,
      kind: 'BUY',
      tags: ['a', 'b'],
      counts: { x: 1 },
      referrer: null,
      raw: Buffer.from([1, 2]),
      hash: Buffer.from([3, 4]),
      at: 1_700_000_000_001,
      geo: { lat: 1.5 },
    };
    const serde = avroSerde(Click);
    expect(orThrow(serde.deserialize(orThrow(serde.serialize(click))))).toEqual(click);
  });

  it('infers a primitive schema', () => {
    const Name = defineAvroSchema('string');
    assertType<Equals<AvroValue<typeof Name>, string>>();
    expect(orThrow(avroSerde(Name).deserialize(orThrow(avroSerde(Name).serialize('x'))))).toBe('x');
  });

  it('throws at definition time for an invalid schema literal', () => {
    expect(() => defineAvroSchema({ type: 'record', name: 'Bad', fields: [{ name: 'x', type: 'nope' }] })).toThrow(/Invalid Avro schema/);
  });
});
