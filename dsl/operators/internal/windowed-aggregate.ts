// count/reduce/aggregate over tumbling, hopping or sliding windows, keyed by
// (key, window) in a window store. Out-of-order records update every window
// still open (end + grace ahead of stream time); a record with no open window
// is late. Emit mode 'update' emits every change, 'final' each window once,
// when it closes.
import { rillOperator, perRecord, type RillOperator, type StoreSpec, type TaskContext } from '../../operator';
import type { KRecord, TimeWindow, Windowed } from '../../record';
import type { WindowStore } from '../../store';
import { describeWindows, isClosed, timeWindowsFor, type HoppingWindows, type SlidingWindows, type TumblingWindows } from '../../windows/windows';
import type { Aggregation, WindowedOptions } from './aggregation';
import { CloseTracker } from './close-tracker';
import { lateRecord } from './late-records';
import { streamTimeStore, windowClock } from './stream-clock';
import { defaultSerde, listSerde } from '../../serdes';
import type { Serde } from '../../../core/schema';

const DAY = 24 * 3600 * 1000;

type FixedWindows = TumblingWindows | HoppingWindows | SlidingWindows;

export function windowedAggregate<K, V, A>(
  aggregation: Aggregation<K, V, A>,
  options: WindowedOptions<K, A, FixedWindows>,
  /** Sliding windows buffer the input values: their serde (default JSON). */
  valueSerdeForBuffer?: Serde<V>,
): RillOperator<KRecord<K, V>, KRecord<Windowed<K>, A>> {
  const windows = options.window;
  const changelog = options.changelog === false ? 'none' : 'own';
  const store: StoreSpec = {
    name: options.store,
    kind: 'window',
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    changelog,
    retentionMs: options.retentionMs,
  };
  const stores = [store];
  // Sliding windows are recomputed from the records they hold, kept in a second store.
  const records: StoreSpec | undefined =
    windows.type === 'sliding'
      ? {
          name: options.store && `${options.store}-records`,
          kind: 'window',
          keySerde: options.keySerde,
          valueSerde: listSerde(valueSerdeForBuffer ?? defaultSerde<V>()),
          changelog,
        }
      : undefined;
  if (records) stores.push(records);
  const timeStore = streamTimeStore(options.store, changelog);
  stores.push(timeStore);
  const emitMode = options.emit ?? 'update';
  const deadLetter = options.lateRecords?.deadLetterTopic;
  const step = `${aggregation.kind} (${describeWindows(windows)})`;
  return rillOperator(
    {
      kind: aggregation.kind,
      keyed: true,
      stores,
      valueSerde: options.valueSerde,
      sinks: deadLetter ? [{ topic: deadLetter, role: 'dead-letter' }] : [],
      detail: `${describeWindows(windows)}, emit ${emitMode}`,
    },
    (source, task) =>
      perRecord<KRecord<K, V>, KRecord<Windowed<K>, A>>(source, (emit) => {
        const ws = task.windowStore<K, A>(store.name!);
        const buffer = records ? task.windowStore<K, V[]>(records.name!) : undefined;
        const tracker = new CloseTracker<K>();
        const retention = options.retentionMs ?? DAY;
        const span = windows.sizeMs + windows.graceMs;
        let lastExpiry = Number.NEGATIVE_INFINITY;
        const emitClosed = () => {
          for (const w of tracker.closed(clock.time)) {
            const entry = ws.get(w.key, w.start);
            if (entry) emit({ key: { key: w.key, window: entry.window }, value: entry.value, timestamp: windows.type === 'sliding' ? w.end : w.end - 1 });
          }
        };
        const clock = windowClock(task, options.closeAfterIdleMs, emitMode, () => emitClosed(), timeStore);
        // Restored state: stream time is the restored one (and at least the newest window's start). Windows still
        // open at that time have not been emitted as final yet: track them again.
        const closeAtOf = (window: TimeWindow) => (windows.type === 'sliding' ? window.end + windows.graceMs + 1 : window.end + windows.graceMs);
        let seen = Number.NEGATIVE_INFINITY;
        for (const [w] of ws.all()) seen = Math.max(seen, windows.type === 'sliding' ? w.window.end : w.window.start);
        clock.atLeast(seen);
        if (emitMode === 'final') {
          for (const [w] of ws.all()) {
            const closeAt = closeAtOf(w.window);
            if (closeAt > clock.time)
              tracker.track(`${JSON.stringify(w.key)}|${w.window.start}`, { key: w.key, start: w.window.start, end: w.window.end, closeAt });
          }
        }
        const updated = (key: K, window: TimeWindow, value: A, timestamp: number) => {
          ws.put(key, window, value);
          if (emitMode === 'update') emit({ key: { key, window }, value, timestamp });
          else {
            const closeAt = closeAtOf(window);
            tracker.track(`${JSON.stringify(key)}|${window.start}`, { key, start: window.start, end: window.end, closeAt });
          }
        };
        return {
          next(r) {
            if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
            const streamTime = clock.observe(r.timestamp);
            const ok =
              windows.type === 'sliding'
                ? slidingUpdate(task, aggregation, windows, buffer!, r, streamTime, updated)
                : fixedUpdate(task, aggregation, windows, ws, r, streamTime, updated);
            if (ok === 'late') lateRecord(task, deadLetter, step, r, streamTime);
            if (emitMode === 'final') emitClosed();
            if (streamTime - lastExpiry >= Math.max(1, retention / 4)) {
              lastExpiry = streamTime;
              ws.expireBefore(streamTime - span - retention);
              buffer?.expireBefore(streamTime - span);
            }
          },
          teardown: () => clock.stop(),
        };
      }),
  );
}

type Updated<K, A> = (key: K, window: TimeWindow, value: A, timestamp: number) => void;

function fixedUpdate<K, V, A>(
  task: TaskContext,
  aggregation: Aggregation<K, V, A>,
  windows: TumblingWindows | HoppingWindows,
  ws: WindowStore<K, A>,
  r: KRecord<K, V>,
  streamTime: number,
  updated: Updated<K, A>,
): 'ok' | 'late' | 'skipped' {
  let any = false;
  for (const window of timeWindowsFor(windows, r.timestamp)) {
    if (isClosed(window.end, windows.graceMs, streamTime)) continue;
    any = true;
    let value: A;
    try {
      value = aggregation.add(r.key, r.value, ws.get(r.key, window.start)?.value ?? aggregation.init?.());
    } catch (e) {
      task.userError(e, aggregation.kind, r);
      return 'skipped';
    }
    updated(r.key, window, value, r.timestamp);
  }
  return any ? 'ok' : 'late';
}

/**
 * Sliding: the record's own window [t - size, t] while open, plus every open
 * window of a later record that now contains it, recomputed from the buffered
 * records.
 */
function slidingUpdate<K, V, A>(
  task: TaskContext,
  aggregation: Aggregation<K, V, A>,
  windows: SlidingWindows,
  buffer: WindowStore<K, V[]>,
  r: KRecord<K, V>,
  streamTime: number,
  updated: Updated<K, A>,
): 'ok' | 'late' | 'skipped' {
  const t = r.timestamp;
  // As Kafka Streams' sliding windows: late only when every window that could hold t (ends in [t, t + size]) is
  // closed. A record whose own window closed still counts in the open windows of later records that hold it.
  if (t + windows.sizeMs + windows.graceMs < streamTime) return 'late';
  const at = buffer.get(r.key, t);
  buffer.put(r.key, { start: t, end: t }, [...(at?.value ?? []), r.value]);
  const ends = new Set<number>(t + windows.graceMs >= streamTime ? [t] : []);
  for (const e of buffer.fetch(r.key, t + 1, t + windows.sizeMs)) if (e.window.start + windows.graceMs >= streamTime) ends.add(e.window.start);
  for (const end of [...ends].sort((a, b) => a - b)) {
    let value: A | undefined = aggregation.init?.();
    try {
      for (const e of buffer.fetch(r.key, end - windows.sizeMs, end)) for (const v of e.value) value = aggregation.add(r.key, v, value);
    } catch (e) {
      task.userError(e, aggregation.kind, r);
      return 'skipped';
    }
    updated(r.key, { start: end - windows.sizeMs, end }, value as A, Math.max(t, end));
  }
  return 'ok';
}
