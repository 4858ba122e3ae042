// The contract the oracle holds RillStreams to, against TopologyTestDriver.
//
// What is deterministic (every input is written before the app starts, every
// timestamp in a case is distinct):
// 1. A task processes its input partitions (partition p of every source
//    topic) in timestamp order of their heads: the next record is the first
//    unprocessed record of the partition whose first unprocessed record has
//    the lowest timestamp (Kafka Streams' PartitionGroup, max.task.idle.ms).
//    The test driver of task p is fed exactly that sequence, phase 1 then
//    phase 2 (the restart in between must not show).
// 2. A repartition topic's partition q is read in the order it was written.
//    With one writer per partition (rekey 'same': new keys stay in their
//    partition, and the downstream step reads nothing else) that is the order
//    the upstream step emitted them, which is what the driver does (a
//    repartitioned record is processed right after the record that caused
//    it). With several writers (rekey 'scatter') the interleaving of the
//    writers is not promised: those cases use commutative aggregations (count,
//    sum) whose grace covers the whole input, so only final values are
//    compared, and one driver is fed every record.
// 3. Output records of one output key come from one task, in its processing
//    order: outputs and dead letters are compared as a sequence per key
//    (value, timestamp; dead letters also their reason). Across keys (and so
//    across partitions of the output topic) there is no order.
// 4. Stores compared (aggregates, table-table results, source tables) hold
//    the same entries at the end, in the running app and once more after a
//    further restart restored them from their changelogs. Join buffers are
//    not compared: they are internal and expire on a stream-time schedule of
//    their own.
import type { Observed, OutRecord } from './runner';
import type { OracleCase } from './spec';

const clip = (line: string) => (line.length > 600 ? `${line.slice(0, 600)}... (${line.length} chars)` : line);

function perKey(records: OutRecord[], line: (r: OutRecord) => string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of records) m.set(r.key, [...(m.get(r.key) ?? []), line(r)]);
  return m;
}

function latest(records: OutRecord[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) {
    if (r.value === 'null') m.delete(r.key);
    else m.set(r.key, r.value);
  }
  return m;
}

function sortedEntries<V>(m: Map<string, V>): [string, V][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The differences between what the driver and the runtime produced, as readable lines (empty: equal). */
export function differences(c: OracleCase, driver: Observed, runtime: Observed): string[] {
  const diffs: string[] = [];
  const diffMaps = <V>(what: string, a: Map<string, V>, b: Map<string, V>) => {
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      const x = JSON.stringify(a.get(key) ?? null);
      const y = JSON.stringify(b.get(key) ?? null);
      if (x !== y) diffs.push(clip(`${what} ${key}: driver ${x}, runtime ${y}`));
    }
  };
  const valueAt = (r: OutRecord) => `${r.value}@${r.timestamp}`;
  const deadLetter = (r: OutRecord) => `${r.value}@${r.timestamp} (${r.error})`;
  if (c.topology.rekey === 'scatter') {
    diffMaps('final output of key', new Map(sortedEntries(latest(driver.out))), new Map(sortedEntries(latest(runtime.out))));
  } else {
    diffMaps('output of key', perKey(driver.out, valueAt), perKey(runtime.out, valueAt));
  }
  diffMaps('dead letters of key', perKey(driver.dlq, deadLetter), perKey(runtime.dlq, deadLetter));
  const storeDiffs = (what: string, theirs: string[]) => {
    const a = new Set(driver.stores);
    const b = new Set(theirs);
    for (const l of driver.stores) if (!b.has(l)) diffs.push(clip(`store entry only in the driver (${what}): ${l}`));
    for (const l of theirs) if (!a.has(l)) diffs.push(clip(`store entry only in the runtime (${what}): ${l}`));
  };
  storeDiffs('running', runtime.stores);
  if (runtime.restored) storeDiffs('restored from the changelogs', runtime.restored);
  return diffs;
}

/** A case as a reproduction: the topology and the records of each phase, one per line. */
export function describeCase(c: OracleCase): string {
  const rec = (r: OracleCase['phase1'][number]) => `  ${r.topic} ${r.key}=${r.value === null ? 'null' : r.value} @${r.timestamp}`;
  return [
    `topology: ${JSON.stringify(c.topology)}`,
    'phase 1 (before the first start):',
    ...c.phase1.map(rec),
    'phase 2 (after the stop, before the restart):',
    ...c.phase2.map(rec),
  ].join('\n');
}
