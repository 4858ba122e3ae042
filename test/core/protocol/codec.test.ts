// The primitive codec and the generic schema walker: round trips at every
// version, the exact bytes of classic and flexible encodings, and bounded reads.
import fc from 'fast-check';
import { DecodeError, Reader, Writer, array, decodeMessage, encodeMessage, field, message } from '../../../core/protocol';
import { APIS } from '../../../core/protocol';

const hex = (b: Buffer) => b.toString('hex');

describe('primitives', () => {
  test('classic and compact strings, bytes and arrays have Kafka byte layouts', () => {
    const w = new Writer();
    w.string('ab', false)
      .string(null, false)
      .string('ab', true)
      .string(null, true)
      .bytes(Buffer.from([1]), false)
      .arrayLength(2, true)
      .arrayLength(null, false);
    expect(hex(w.toBuffer())).toBe(['0002' + '6162', 'ffff', '03' + '6162', '00', '00000001' + '01', '03', 'ffffffff'].join(''));
  });

  test('int64 and varints round-trip through core/log codecs', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), fc.integer(), fc.nat(), (long, int, uint) => {
        const b = new Writer().int64(long).varlong(long).varint(int).unsignedVarint(uint).toBuffer();
        const r = new Reader(b);
        expect([r.int64(), r.varlong(), r.varint(), r.unsignedVarint(), r.remaining]).toEqual([long, long, int, uint, 0]);
      }),
    );
  });

  test('a length that runs past the frame is refused before allocating', () => {
    expect(() => new Reader(Buffer.from('7fffffff', 'hex')).bytes(false)).toThrow(DecodeError);
    expect(() => new Reader(Buffer.from('7fffffff00', 'hex')).arrayLength(false, 4)).toThrow(/cannot fit/);
    expect(() => new Reader(Buffer.from('ffffffff0f', 'hex')).arrayLength(true, 1)).toThrow(/cannot fit/);
    expect(() => new Reader(Buffer.from('0005', 'hex')).string(false)).toThrow(/needs 5 bytes/);
  });

  test('big byte payloads are passed as chunks, not copied', () => {
    const records = Buffer.alloc(4096, 7);
    const chunks = new Writer().int32(1).bytes(records, false).int8(0).chunksOut();
    expect(chunks).toContain(records);
  });
});

describe('schemas', () => {
  const schema = message('3+', [
    field('name', 'string', '0+'),
    field('since1', 'int32', '1+', { default: -1 }),
    field('items', array([field('id', 'int16', '0+'), field('note', 'string', '2+', { nullable: '2+', default: null })]), '0+', { nullable: '1+' }),
    field('extra', 'string', '3+', { tag: 0, default: '' }),
  ]);

  test('fields exist only in their versions; absent ones read as defaults', () => {
    const v0 = encodeMessage(schema, 0, { name: 'x', since1: 5, items: [{ id: 1, note: 'n' }] }, new Writer()).toBuffer();
    expect(hex(v0)).toBe('0001' + '78' + '00000001' + '0001');
    expect(decodeMessage(schema, 0, new Reader(v0))).toEqual({ name: 'x', since1: -1, items: [{ id: 1, note: null }], extra: '' });
  });

  test('flexible versions use compact forms, tag buffers per struct, and tagged fields', () => {
    const value = { name: 'x', since1: 5, items: [{ id: 1, note: null }], extra: 'hi' };
    const v3 = encodeMessage(schema, 3, value, new Writer()).toBuffer();
    // name(02 78) since1 items(02 [0001 00 00]) tags(01 [tag 00 size 03 [03 6869]])
    expect(hex(v3)).toBe('0278' + '00000005' + '02' + '0001' + '00' + '00' + '01' + '00' + '03' + '036869');
    expect(decodeMessage(schema, 3, new Reader(v3))).toEqual(value);
    // Without the tagged value, the tag buffer is empty.
    expect(hex(encodeMessage(schema, 3, { ...value, extra: '' }, new Writer()).toBuffer()).endsWith('000000')).toBe(true);
  });

  test('unknown tagged fields are skipped', () => {
    const bytes = Buffer.from('0278' + '00000005' + '01' + '00' + '02' + '07' + '02' + 'abcd', 'hex');
    expect(decodeMessage(schema, 3, new Reader(bytes))).toEqual({ name: 'x', since1: 5, items: [], extra: '' });
  });

  test('every request and response schema of every served version round-trips its defaults', () => {
    for (const api of APIS) {
      for (let v = api.versions.min; v <= api.versions.max; v++) {
        for (const schema of [api.request, api.response]) {
          const first = decodeMessage(schema, v, new Reader(encodeMessage(schema, v, {}, new Writer()).toBuffer()));
          const again = encodeMessage(schema, v, first, new Writer()).toBuffer();
          expect(hex(again)).toBe(hex(encodeMessage(schema, v, {}, new Writer()).toBuffer()));
        }
      }
    }
  });
});

describe('byte fixtures', () => {
  test('librdkafka ApiVersions v3 request (header v2 + compact body) decodes', () => {
    const apiVersions = APIS.find((a) => a.key === 18)!;
    // client_software_name "librdkafka", client_software_version "2.0.2", tags
    const body = Buffer.from('0b' + Buffer.from('librdkafka').toString('hex') + '06' + Buffer.from('2.0.2').toString('hex') + '00', 'hex');
    expect(decodeMessage(apiVersions.request, 3, new Reader(body))).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
  });

  test('Produce v3 request as kafkajs frames it', () => {
    const produce = APIS.find((a) => a.key === 0)!;
    const batch = Buffer.alloc(70, 1);
    const bytes = Buffer.from('ffff' + 'ffff' + '00007530' + '00000001' + '0001' + '74' + '00000001' + '00000000' + '00000046' + hex(batch), 'hex');
    const req = decodeMessage(produce.request, 3, new Reader(bytes)) as any;
    expect(req).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
    expect(req.topicData[0].name).toBe('t');
    expect(req.topicData[0].partitionData[0].records.equals(batch)).toBe(true);
  });
});
