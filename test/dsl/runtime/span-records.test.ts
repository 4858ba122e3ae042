// The task reads a record the consumer left as ranges of its fetched bytes
// (SpanRecord) in place, through Serde.deserializeFrom. Whatever the bytes,
// it must do exactly what it does with the same record as views: the same
// writes, dead letters (same record, same headers), skips and committed offsets.
import fc from 'fast-check';
import { SpanRecord } from '../../../core/client';
import { jsonSerde, stringSerde } from '../../../core/schema';
import { StreamsBuilder, silentLogger, to } from '../../../dsl';
import { type RawRecord, StreamTask } from '../../../dsl/runtime/stream-task';

type Sent = [string, string | null, string | null, number, Record<string, string> | undefined];

function task(sent: Sent[]): StreamTask {
  const b = new StreamsBuilder('span-records');
  b.stream('in', { key: stringSerde(), value: jsonSerde<unknown>() }).pipe(to('out', { key: stringSerde(), value: jsonSerde<unknown>() }));
  const hex = (v: Buffer | null) => (v === null ? null : v.toString('hex'));
  const t = new StreamTask({
    topology: b.build(),
    partition: 0,
    collector: { send: (topic, key, value, timestamp, _p, headers) => void sent.push([topic, hex(key), hex(value), timestamp, headers]) },
    logger: silentLogger,
    deserializationErrors: { deadLetterTopic: 'dead' },
    processingErrors: 'fail',
    now: () => 0,
  });
  t.start();
  return t;
}

/** The record as a SpanRecord over a larger buffer (bytes around each field), as a fetched batch holds it. */
function asSpans(r: RawRecord): SpanRecord {
  const parts: Buffer[] = [Buffer.from('"x')];
  let at = 2;
  const place = (field: Buffer | null): [number, number] => {
    if (field === null) return [-1, -1];
    const start = at;
    parts.push(field, Buffer.from([0xff]));
    at += field.length + 1;
    return [start, start + field.length];
  };
  const [keyStart, keyEnd] = place(r.key);
  const [valueStart, valueEnd] = place(r.value);
  return new SpanRecord(r.topic, r.partition, r.offset, r.timestamp, Buffer.concat(parts), keyStart, keyEnd, valueStart, valueEnd, []);
}

const field = fc.option(
  fc.oneof(
    fc.string({ maxLength: 30 }).map((t) => Buffer.from(t, 'utf8')),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map((t) => Buffer.from(JSON.stringify(t), 'utf8')),
    fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v), 'utf8')),
    fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)), // invalid UTF-8 and invalid JSON included
  ),
  { nil: null },
);

test('a SpanRecord is processed exactly as the same record with views: writes, dead letters, offsets', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ key: field, value: field }), { maxLength: 12 }), (fields) => {
      const records: RawRecord[] = fields.map((f, i) => ({ topic: 'in', partition: 0, offset: 10 + i, timestamp: 1000 + i, key: f.key, value: f.value }));
      const viaViews: Sent[] = [];
      const viaSpans: Sent[] = [];
      const a = task(viaViews);
      const b = task(viaSpans);
      for (const r of records) {
        a.process(r);
        b.process(asSpans(r));
      }
      expect(viaSpans).toEqual(viaViews);
      expect([...b.consumed]).toEqual([...a.consumed]);
    }),
    { numRuns: 300 },
  );
});

test('a bad value read from a SpanRecord goes to the dead-letter topic as its original bytes, named by its offset', () => {
  const sent: Sent[] = [];
  const t = task(sent);
  const bad = Buffer.from([0x22, 0xc3, 0x28, 0x22]); // a JSON string whose bytes are not UTF-8
  t.process(asSpans({ topic: 'in', partition: 0, offset: 7, timestamp: 5, key: Buffer.from('k'), value: bad }));
  t.process(asSpans({ topic: 'in', partition: 0, offset: 8, timestamp: 6, key: Buffer.from('k'), value: Buffer.from('"ok"') }));
  expect(sent.map(([topic, key, value]) => [topic, key, value])).toEqual([
    ['dead', Buffer.from('k').toString('hex'), bad.toString('hex')],
    ['out', Buffer.from('k').toString('hex'), Buffer.from('"ok"').toString('hex')],
  ]);
  expect(sent[0][4]).toMatchObject({ 'rill.source.offset': '7', 'rill.error': expect.stringContaining('not valid UTF-8') });
  expect(t.consumed.get('in')).toBe(9);
});
