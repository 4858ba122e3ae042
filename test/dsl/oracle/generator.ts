// fast-check arbitraries for oracle cases: a topology from the DSL's
// operators and records over several partitions. Timestamps follow the
// records' write order (10 ms apart) except for bounded out-of-order records
// (up to 60 ms behind) and late ones (200-1000 ms behind, beyond most graces);
// every timestamp of a case is distinct, so the task's merge order is defined.
import fc from 'fast-check';
import { KEYS, sourceTopics, type InputRecord, type OracleCase, type Step, type Terminal, type TopologySpec, type WindowSpec } from './spec';

const grace = fc.constantFrom(0, 10, 50, 300);

const windowSpec: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.constant<WindowSpec>({ type: 'none' }),
  fc.record({ type: fc.constant('tumbling' as const), size: fc.integer({ min: 20, max: 200 }), grace }),
  fc
    .record({ type: fc.constant('hopping' as const), size: fc.integer({ min: 20, max: 200 }), advance: fc.integer({ min: 5, max: 200 }), grace })
    .map((w) => ({ ...w, advance: Math.min(w.advance, w.size) })),
  fc.record({ type: fc.constant('sliding' as const), size: fc.integer({ min: 10, max: 150 }), grace }),
  fc.record({ type: fc.constant('session' as const), gap: fc.integer({ min: 5, max: 100 }), grace }),
);

const terminal: fc.Arbitrary<Terminal> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Terminal>({ kind: 'to' }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('aggregate' as const),
      agg: fc.constantFrom('count' as const, 'sum' as const, 'fold' as const),
      window: windowSpec,
      emit: fc.constantFrom('update' as const, 'final' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('streamTable' as const), join: fc.constantFrom('inner' as const, 'left' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('streamStream' as const),
      join: fc.constantFrom('inner' as const, 'left' as const),
      before: fc.integer({ min: 0, max: 100 }),
      after: fc.integer({ min: 0, max: 100 }),
      grace,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tableTable' as const), join: fc.constantFrom('inner' as const, 'left' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), then: fc.constantFrom('to' as const, 'count' as const) }) },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('mapValues' as const), mul: fc.integer({ min: 1, max: 7 }), add: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ op: fc.constant('filter' as const), mod: fc.integer({ min: 2, max: 5 }) }),
  fc.constant<Step>({ op: 'flatMapValues' }),
);

/** Keeps only topologies whose results the contract (compare.ts) makes deterministic. */
function admissible(t: TopologySpec): TopologySpec {
  const term = t.terminal;
  if (term.kind === 'tableTable') return { ...t, steps: [], rekey: 'none' };
  if (t.rekey === 'none') return t;
  if (term.kind !== 'aggregate') return { ...t, rekey: term.kind === 'to' ? t.rekey : 'none' };
  if (t.rekey === 'same') return t;
  // scatter: several writers per repartition partition, so only order-insensitive results.
  const window: WindowSpec = term.window.type === 'none' ? term.window : { ...term.window, grace: 10_000_000 };
  return { ...t, terminal: { ...term, agg: term.agg === 'fold' ? 'sum' : term.agg, window, emit: 'update' } };
}

const topology: fc.Arbitrary<TopologySpec> = fc
  .record({
    partitions: fc.integer({ min: 1, max: 3 }),
    steps: fc.array(step, { maxLength: 3 }),
    rekey: fc.constantFrom('none' as const, 'same' as const, 'scatter' as const),
    rekeyWith: fc.constantFrom('selectKey' as const, 'groupBy' as const),
    terminal,
  })
  .map((t) => admissible(t));

const rawRecord = fc.record({
  topic: fc.nat(3),
  key: fc.constantFrom(...KEYS),
  value: fc.option(fc.integer({ min: 0, max: 20 }), { freq: 8 }),
  kind: fc.constantFrom('in-order', 'in-order', 'in-order', 'out-of-order', 'late'),
  behind: fc.integer({ min: 1, max: 1000 }),
});

type RawRecord = typeof rawRecord extends fc.Arbitrary<infer R> ? R : never;

/**
 * The records of a case, in write order. `bulk` adds that many in-order
 * records after the generated ones, spread over the topics and keys in turn:
 * enough to fill several fetches, so the order across partitions is not
 * decided by one buffered batch.
 */
function records(t: TopologySpec, raw: RawRecord[], bulk: number): InputRecord[] {
  const topics = sourceTopics(t.terminal);
  const used = new Set<number>();
  const at = (i: number, behind: number) => {
    let ts = 10_000 + i * 10 - behind;
    while (used.has(ts)) ts++;
    used.add(ts);
    return ts;
  };
  const generated = raw.map((r, i) => {
    const behind = r.kind === 'out-of-order' ? 1 + (r.behind % 60) : r.kind === 'late' ? 200 + (r.behind % 800) : 0;
    return { topic: topics[r.topic % topics.length], key: r.key, value: r.value, timestamp: at(i, behind) };
  });
  const bulkRecords = Array.from({ length: bulk }, (_, j) => ({
    topic: topics[j % topics.length],
    key: KEYS[(j * 7 + (j >> 3)) % KEYS.length],
    value: j % 13,
    timestamp: at(raw.length + j, 0),
  }));
  return [...generated, ...bulkRecords];
}

/** `bulk` false: small cases only (no bulk records). */
export function oracleCase(maxRecords = 30, bulk = true): fc.Arbitrary<OracleCase> {
  return fc
    .record({
      topology,
      raw: fc.array(rawRecord, { minLength: 1, maxLength: maxRecords, size: 'max' }),
      bulk: bulk ? fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 600, max: 1500 }) }) : fc.constant(0),
      restartAt: fc.nat(),
    })
    .map(({ topology: t, raw, bulk: n, restartAt }) => {
      const all = records(t, raw, n);
      const cut = restartAt % (all.length + 1);
      return { topology: t, phase1: all.slice(0, cut), phase2: all.slice(cut) };
    });
}
