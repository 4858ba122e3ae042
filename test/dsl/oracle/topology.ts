// Builds a Rill topology from a TopologySpec. Sources: streams A and B, tables
// T and U (string keys, JSON numbers); the result goes to topic "out", late
// records to "dlq"; the terminal's store is "agg" (aggregations) or "tt"
// (table-table joins).
import { filter, type OperatorFunction } from 'rxjs';
import { jsonSerde, stringSerde, type Serde } from '../../../core/schema';
import {
  StreamsBuilder,
  aggregate,
  count,
  flatMapValues,
  groupBy,
  hopping,
  join,
  leftJoin,
  mapValues,
  merge,
  reduce,
  selectKey,
  session,
  sliding,
  to,
  tumbling,
  windowedSerde,
  type KRecord,
  type Topology,
} from '../../../dsl';
import { rekeyed, type Step, type TopologySpec, type WindowSpec } from './spec';

export const keySerde = stringSerde();
export const valueSerde = jsonSerde<unknown>();
const num = jsonSerde<number | null>();

/** The serde of the output topic's keys: windowed after a windowed aggregation. */
export function outputKeySerde(spec: TopologySpec): Serde<unknown> {
  return (spec.terminal.kind === 'aggregate' && spec.terminal.window.type !== 'none' ? windowedSerde(keySerde) : keySerde) as Serde<unknown>;
}

/** Stores whose final contents the oracle compares (join buffers are internal and expire on their own schedule). */
export function comparedStores(spec: TopologySpec): { name: string; kind: 'key-value' | 'window' }[] {
  const t = spec.terminal;
  if (t.kind === 'aggregate') return [{ name: 'agg', kind: t.window.type === 'none' ? 'key-value' : 'window' }];
  if (t.kind === 'merge' && t.then === 'count') return [{ name: 'agg', kind: 'key-value' }];
  if (t.kind === 'tableTable')
    return [
      { name: 'tt', kind: 'key-value' },
      { name: 'T-table', kind: 'key-value' },
      { name: 'U-table', kind: 'key-value' },
    ];
  if (t.kind === 'streamTable') return [{ name: 'T-table', kind: 'key-value' }];
  return [];
}

type Rec = KRecord<string, number | null>;
type Op = OperatorFunction<any, any>;

function stepOp(s: Step): Op {
  switch (s.op) {
    case 'mapValues':
      return mapValues((v: number | null) => (v === null ? null : (v * s.mul + s.add) % 97));
    case 'filter':
      return filter((r: Rec) => r.value === null || r.value % s.mod !== 0);
    case 'flatMapValues':
      return flatMapValues((v: number | null) => [v, v === null ? null : v + 1]);
  }
}

function windows(w: WindowSpec) {
  switch (w.type) {
    case 'tumbling':
      return tumbling(w.size, { graceMs: w.grace });
    case 'hopping':
      return hopping(w.size, w.advance, { graceMs: w.grace });
    case 'sliding':
      return sliding(w.size, { graceMs: w.grace });
    case 'session':
      return session(w.gap, { graceMs: w.grace });
    case 'none':
      return undefined;
  }
}

function aggregation(agg: 'count' | 'sum' | 'fold', w: WindowSpec, emit: 'update' | 'final', dlq: string): Op {
  const win = windows(w);
  const opts: any = { store: 'agg', keySerde, ...(win ? { window: win, emit, lateRecords: { deadLetterTopic: dlq } } : {}) };
  if (agg === 'count') return count(opts);
  if (agg === 'sum') return reduce((a: number, b: number) => a + b, { ...opts, valueSerde: num });
  return aggregate(
    () => 1,
    (_k: string, v: number, a: number) => (a * 31 + v) % 1009,
    { ...opts, valueSerde: num, merger: (_k: string, a: number, b: number) => (a * 7 + b) % 1009 },
  );
}

/** `prefix` goes before every topic name (so many cases can share one log). */
export function buildTopology(appId: string, spec: TopologySpec, prefix = ''): Topology {
  const b = new StreamsBuilder(appId);
  const topic = (name: string) => prefix + name;
  const serdes = { key: keySerde, value: num };
  const t = spec.terminal;
  const out = to(topic('out'), { key: outputKeySerde(spec), value: valueSerde });
  if (t.kind === 'tableTable') {
    const left = b.table<string, number>(topic('T'), { ...(serdes as { key: Serde<string>; value: Serde<number> }), store: 'T-table' });
    const right = b.table<string, number>(topic('U'), { ...(serdes as { key: Serde<string>; value: Serde<number> }), store: 'U-table' });
    const joiner = (l: number, r: number | null) => `${l}|${r}`;
    const joined =
      t.join === 'inner'
        ? left.join(right, joiner, { store: 'tt', valueSerde: valueSerde as Serde<string> })
        : left.leftJoin(right, joiner, { store: 'tt', valueSerde: valueSerde as Serde<string> });
    joined.toStream().pipe(out);
    return b.build();
  }
  const ops: Op[] = spec.steps.map(stepOp);
  if (spec.rekey !== 'none') {
    const mode = spec.rekey;
    const byKey = (r: Rec) => rekeyed(r.key, mode, spec.partitions);
    ops.push(spec.rekeyWith === 'groupBy' ? groupBy(byKey, { keySerde }) : selectKey(byKey, { keySerde }));
  }
  const joiner = (v: number, o: number | null) => `${v}|${o}`;
  switch (t.kind) {
    case 'to':
      break;
    case 'aggregate':
      ops.push(aggregation(t.agg, t.window, t.emit, topic('dlq')));
      break;
    case 'streamTable': {
      const table = b.table<string, number>(topic('T'), { ...(serdes as { key: Serde<string>; value: Serde<number> }), store: 'T-table' });
      ops.push(t.join === 'inner' ? join(table, joiner) : leftJoin(table, joiner));
      break;
    }
    case 'streamStream': {
      const other = b.stream<string, number>(topic('B'), serdes as { key: Serde<string>; value: Serde<number> });
      const options = { window: { beforeMs: t.before, afterMs: t.after, graceMs: t.grace }, lateRecords: { deadLetterTopic: topic('dlq') } };
      ops.push(t.join === 'inner' ? join(other, joiner, options) : leftJoin(other, joiner, options));
      break;
    }
    case 'merge':
      ops.push(merge(b.stream(topic('B'), serdes) as any));
      if (t.then === 'count') ops.push(count({ store: 'agg', keySerde }));
      break;
  }
  ops.push(out);
  let stream: any = b.stream(topic('A'), serdes);
  for (const op of ops) stream = stream.pipe(op);
  return b.build();
}
