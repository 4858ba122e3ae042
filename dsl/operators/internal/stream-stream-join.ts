// Stream-stream join within a time window: a record of either side joins the
// other side's records of the same key whose timestamps are within the window
// (this side's record at t meets the other's in [t - before, t + after]).
// Both sides are buffered in window stores with changelogs for before + after
// + grace behind stream time (Kafka Streams' retention of join windows); a
// record older than that is late. A left join emits (value, null) for a left record
// that found no partner, once its window closes (Kafka Streams 3.1+ semantics:
// no premature null results).
import { merge, map, type Observable, type OperatorFunction } from 'rxjs';
import type { DeclaredStream } from '../../declared';
import { perRecord, rillOperator, type StoreSpec } from '../../operator';
import type { KRecord } from '../../record';
import { defaultSerde } from '../../serdes';
import { CloseTracker } from './close-tracker';
import { lateRecord } from './late-records';
import { StreamClock, streamTimeStore } from './stream-clock';

export interface JoinWindow {
  /** How far before a left record a right record may be (default: afterMs). */
  beforeMs: number;
  /** How far after a left record a right record may be (default: beforeMs). */
  afterMs?: number;
  graceMs?: number;
}

export interface StreamJoinOptions {
  window: JoinWindow;
  /** Names of the two buffer stores (default generated). */
  stores?: { left?: string; right?: string };
  lateRecords?: { deadLetterTopic: string };
  closeAfterIdleMs?: number;
}

interface Buffered<V> {
  value: V;
  matched: boolean;
}

type Tagged<V, V2> = { side: 'left'; record: KRecord<unknown, V> } | { side: 'right'; record: KRecord<unknown, V2> };

export function streamStreamJoin<K, V, V2, R>(
  other: DeclaredStream<K, V2>,
  joiner: (value: V, otherValue: V2 | null, key: K) => R,
  type: 'inner' | 'left',
  options: StreamJoinOptions,
): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  if (other.node.keyChanged)
    throw new Error(`The other stream of a stream-stream join changed its key: pipe it through groupByKey() first so it is repartitioned by the join key.`);
  const before = options.window.beforeMs;
  const after = options.window.afterMs ?? before;
  const grace = options.window.graceMs ?? 0;
  if (before < 0 || after < 0 || grace < 0) throw new Error('Join window bounds and grace must not be negative.');
  const kind = type === 'inner' ? 'join' : 'leftJoin';
  const leftStore: StoreSpec = { name: options.stores?.left, kind: 'window', valueSerde: defaultSerde<Buffered<V>[]>(), changelog: 'own' };
  const rightStore: StoreSpec = { name: options.stores?.right, kind: 'window', valueSerde: defaultSerde<Buffered<V2>[]>(), changelog: 'own' };
  const timeStore = streamTimeStore(options.stores?.left, 'own');
  const deadLetter = options.lateRecords?.deadLetterTopic;
  // As Kafka Streams: both buffers keep a record for before + after + grace (the join window's size plus grace),
  // judged on the join's stream time. A record older than that is late (Kafka Streams would not buffer it); a
  // partner older than that is not seen even if expiry has not removed it yet, so results do not depend on when
  // expiry runs.
  const retention = before + after + grace;
  return rillOperator(
    {
      kind,
      keyed: true,
      inputs: [other],
      stores: [leftStore, rightStore, timeStore],
      keepsKeySerde: true,
      sinks: deadLetter ? [{ topic: deadLetter, role: 'dead-letter' }] : [],
      detail: `stream-stream within -${before}/+${after} ms, grace ${grace} ms`,
    },
    (source, task) => {
      const tagged: Observable<Tagged<V, V2>> = merge(
        source.pipe(map((record) => ({ side: 'left' as const, record }))),
        task.observe<KRecord<K, V2>>(other).pipe(map((record) => ({ side: 'right' as const, record }))),
      );
      return perRecord<Tagged<V, V2>, KRecord<K, R>>(tagged, (emit) => {
        const lefts = task.windowStore<K, Buffered<V>[]>(leftStore.name!);
        const rights = task.windowStore<K, Buffered<V2>[]>(rightStore.name!);
        const unmatched = new CloseTracker<K>();
        let lastExpiry = Number.NEGATIVE_INFINITY;
        const emitUnmatched = () => {
          if (type !== 'left') return;
          for (const w of unmatched.closed(clock.time)) {
            for (const b of lefts.get(w.key, w.start)?.value ?? []) {
              if (b.matched) continue;
              b.matched = true;
              const out = safeJoin(b.value, null, w.key, { key: w.key, value: b.value, timestamp: w.start });
              if (out !== SKIP) emit({ key: w.key, value: out, timestamp: w.start });
            }
          }
        };
        const clock = new StreamClock(task, options.closeAfterIdleMs, emitUnmatched, timeStore);
        const SKIP = Symbol('skip');
        const safeJoin = (l: V, r: V2 | null, key: K, rec: KRecord<unknown, unknown>): R | typeof SKIP => {
          try {
            return joiner(l, r, key);
          } catch (e) {
            task.userError(e, kind, rec);
            return SKIP;
          }
        };
        // Restored buffers: stream time was at least the newest buffered record; unmatched left records whose
        // window could still be open are tracked again, so a left join still emits their null result.
        let seen = Number.NEGATIVE_INFINITY;
        for (const [w] of lefts.all()) seen = Math.max(seen, w.window.start);
        for (const [w] of rights.all()) seen = Math.max(seen, w.window.start);
        clock.atLeast(seen);
        if (type === 'left') {
          for (const [w, buffered] of lefts.all()) {
            const closeAt = w.window.start + after + grace + 1;
            if (closeAt > clock.time && buffered.some((b) => !b.matched))
              unmatched.track(`${JSON.stringify(w.key)}|${w.window.start}`, { key: w.key, start: w.window.start, end: w.window.start, closeAt });
          }
        }
        return {
          next(t) {
            const r = t.record as KRecord<K, unknown>;
            if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
            const streamTime = clock.observe(r.timestamp);
            if (r.timestamp + retention < streamTime) {
              lateRecord(task, deadLetter, `${kind} (stream-stream)`, r, streamTime);
              return;
            }
            const ts = r.timestamp;
            if (t.side === 'left') {
              const value = t.record.value as V;
              const mine: Buffered<V> = { value, matched: false };
              for (const e of rights.fetch(r.key, Math.max(ts - before, streamTime - retention), ts + after)) {
                for (const b of e.value) {
                  mine.matched = true;
                  const out = safeJoin(value, b.value, r.key, r);
                  if (out !== SKIP) emit({ key: r.key, value: out, timestamp: Math.max(ts, e.window.start) });
                }
              }
              lefts.put(r.key, { start: ts, end: ts }, [...(lefts.get(r.key, ts)?.value ?? []), mine]);
              if (type === 'left' && !mine.matched)
                unmatched.track(`${JSON.stringify(r.key)}|${ts}`, { key: r.key, start: ts, end: ts, closeAt: ts + after + grace + 1 });
            } else {
              const value = t.record.value as V2;
              for (const e of lefts.fetch(r.key, Math.max(ts - after, streamTime - retention), ts + before)) {
                let changed = false;
                for (const b of e.value) {
                  if (!b.matched) changed = true;
                  b.matched = true;
                  const out = safeJoin(b.value, value, r.key, r);
                  if (out !== SKIP) emit({ key: r.key, value: out, timestamp: Math.max(ts, e.window.start) });
                }
                if (changed) lefts.put(r.key, e.window, e.value);
              }
              rights.put(r.key, { start: ts, end: ts }, [...(rights.get(r.key, ts)?.value ?? []), { value, matched: true }]);
            }
            emitUnmatched();
            if (streamTime - lastExpiry >= Math.max(1, retention / 4)) {
              lastExpiry = streamTime;
              lefts.expireBefore(streamTime - retention);
              rights.expireBefore(streamTime - retention);
            }
          },
          teardown: () => clock.stop(),
        };
      });
    },
  );
}
