// Encode and decode throughput of a realistic record (10 fields: a nested
// record, an array, a union, an enum) with Rill's Confluent-framed serde,
// side by side with raw avsc (the peer: Rill's serde must add at most 20%)
// and JSON.stringify/parse, in one run. Not part of `npm test`.
//
//   npm run bench:schema      -> bench/results/schema.json
//   (node --expose-gc -r ./test/support/register-ts.js bench/schema.bench.ts)
import * as avro from 'avsc';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { confluentAvroSerde, defineAvroSchema, EphemeralSchemaStorage, SchemaRegistry, type AvroValue } from '../core/schema';

const PageView = defineAvroSchema({
  type: 'record',
  name: 'PageView',
  namespace: 'rill.bench',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'userId', type: 'long' },
    { name: 'timestamp', type: 'long' },
    { name: 'url', type: 'string' },
    { name: 'referrer', type: ['null', 'string'], default: null },
    { name: 'durationMs', type: 'int' },
    { name: 'score', type: 'double' },
    {
      name: 'device',
      type: {
        type: 'record',
        name: 'Device',
        fields: [
          { name: 'os', type: 'string' },
          { name: 'browser', type: 'string' },
          { name: 'mobile', type: 'boolean' },
        ],
      },
    },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'country', type: { type: 'enum', name: 'Country', symbols: ['NZ', 'FR', 'US', 'JP', 'BR'] } },
  ],
});
type PageView = AvroValue<typeof PageView>;

const COUNTRIES = ['NZ', 'FR', 'US', 'JP', 'BR'] as const;

function sampleRecords(count: number): PageView[] {
  const records: PageView[] = [];
  for (let i = 0; i < count; i++) {
    records.push({
      id: `pv-${i.toString(36)}-${(i * 7919).toString(16)}`,
      userId: 1_000_000 + ((i * 31) % 50_000),
      timestamp: 1_764_000_000_000 + i * 37,
      url: `https://example.com/products/${i % 977}?ref=home`,
      referrer: i % 3 === 0 ? null : `https://search.example.org/?q=item${i % 101}`,
      durationMs: (i * 13) % 60_000,
      score: (i % 1000) / 7,
      device: { os: i % 2 ? 'android' : 'ios', browser: i % 5 ? 'chrome' : 'safari', mobile: i % 4 !== 0 },
      tags: i % 4 === 0 ? [] : ['promo', `cat-${i % 17}`, 'new'].slice(0, 1 + (i % 3)),
      country: COUNTRIES[i % COUNTRIES.length],
    });
  }
  return records;
}

interface Codec {
  encode(value: PageView): Buffer;
  decode(bytes: Buffer): unknown;
}

function unwrap<T>(result: { _tag: 'Left'; left: { message: string } } | { _tag: 'Right'; right: T }): T {
  if (result._tag === 'Left') throw new Error(result.left.message);
  return result.right;
}

const rawAvro = avro.Type.forSchema(PageView.definition as avro.Schema);
const registry = SchemaRegistry.open(new EphemeralSchemaStorage());
const serde = confluentAvroSerde({ registry, schema: PageView, topic: 'page-views' });

// How @kafkajs/confluent-schema-registry frames avsc output (its wire encoder/decoder, synchronous parts).
/* eslint-disable @typescript-eslint/no-require-imports */
const { encode: kafkajsFrame } = require('@kafkajs/confluent-schema-registry/dist/wireEncoder') as {
  encode: (id: number, payload: Buffer) => Buffer;
};
const kafkajsUnframe = (require('@kafkajs/confluent-schema-registry/dist/wireDecoder') as { default: (b: Buffer) => { payload: Buffer } }).default;
/* eslint-enable @typescript-eslint/no-require-imports */

const codecs: Record<string, Codec> = {
  avsc: { encode: (value) => rawAvro.toBuffer(value), decode: (bytes) => rawAvro.fromBuffer(bytes) },
  'avsc+kafkajs-framing': {
    encode: (value) => kafkajsFrame(1, rawAvro.toBuffer(value)),
    decode: (bytes) => rawAvro.fromBuffer(kafkajsUnframe(bytes).payload),
  },
  rill: { encode: (value) => unwrap(serde.serialize(value)), decode: (bytes) => unwrap(serde.deserialize(bytes)) },
  json: { encode: (value) => Buffer.from(JSON.stringify(value)), decode: (bytes) => JSON.parse(bytes.toString('utf8')) },
};

const SAMPLES = 1000;
const OPS_PER_ROUND = 100_000;
const ROUNDS = 15;

let sink = 0;

/** Collects garbage between rounds (node --expose-gc) so no codec pays for another's. */
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Records per second of one round of OPS_PER_ROUND operations. */
function round(run: (i: number) => unknown): number {
  collectGarbage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS_PER_ROUND; i++) if (run(i)) sink++;
  return OPS_PER_ROUND / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const OPERATIONS = ['encode', 'decode'] as const;

function main(): void {
  const records = sampleRecords(SAMPLES);
  const names = Object.keys(codecs);
  const encoded = Object.fromEntries(names.map((name) => [name, records.map((record) => codecs[name].encode(record))]));
  const runs = (name: string) => ({
    encode: (i: number) => codecs[name].encode(records[i % SAMPLES]),
    decode: (i: number) => codecs[name].decode(encoded[name][i % SAMPLES]),
  });
  const rates = Object.fromEntries(names.map((name) => [name, { encode: [] as number[], decode: [] as number[] }]));
  // Each round measures one operation for every codec back to back (the first
  // round is warm-up), so load from other processes hits all codecs alike;
  // ratios are taken per round, then the median.
  for (let r = 0; r <= ROUNDS; r++) {
    for (const operation of OPERATIONS) {
      for (const name of names) {
        const rate = round(runs(name)[operation]);
        if (r > 0) rates[name][operation].push(rate);
      }
    }
  }
  if (sink < 0) console.log(sink);
  const results: Record<string, { encodePerSec: number; decodePerSec: number; meanBytes: number }> = {};
  for (const name of names) {
    const meanBytes = encoded[name].reduce((sum, bytes) => sum + bytes.length, 0) / SAMPLES;
    results[name] = {
      encodePerSec: Math.round(median(rates[name].encode)),
      decodePerSec: Math.round(median(rates[name].decode)),
      meanBytes: Math.round(meanBytes * 10) / 10,
    };
  }
  /** Median over rounds of (baseline rate / codec rate): time per record relative to the baseline. */
  const timeRatio = (codec: string, baseline: string) =>
    Object.fromEntries(
      OPERATIONS.map((operation) => {
        const perRound = rates[codec][operation].map((rate, i) => rates[baseline][operation][i] / rate);
        return [operation, Math.round(median(perRound) * 1000) / 1000];
      }),
    );
  const report = {
    benchmark: 'schema serde: realistic 10-field record (nested record, array, union, enum)',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    opsPerRound: OPS_PER_ROUND,
    rounds: ROUNDS,
    results,
    // Time per record relative to raw avsc (toBuffer/fromBuffer): 1.10 means Rill
    // takes 10% longer. Target <= 1.20. avsc's toBuffer allocates a zero-filled,
    // unpooled Buffer per record; Rill encodes into a scratch buffer and copies
    // into a pooled one, which is why its encode can beat the baseline.
    rillTimeVsAvsc: timeRatio('rill', 'avsc'),
    rillTimeVsAvscWithKafkajsFraming: timeRatio('rill', 'avsc+kafkajs-framing'),
    jsonTimeVsAvsc: timeRatio('json', 'avsc'),
  };
  const out = path.join(__dirname, 'results', 'schema.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

main();
