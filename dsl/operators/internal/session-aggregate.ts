// count/reduce/aggregate over session windows. A record joins every session of
// its key within the inactivity gap, merging them into one; the merged-away
// sessions are deleted (emit 'update' sends a null for each, as Kafka Streams
// does). A session is closed once stream time passes its end + gap + grace; a
// record is late when the session it merges into (not its own [t, t]) is
// closed, as in Kafka Streams' KStreamSessionWindowAggregate.
import { rillOperator, perRecord, type RillOperator, type StoreSpec } from '../../operator';
import type { KRecord, Windowed } from '../../record';
import { describeWindows, type SessionWindows } from '../../windows/windows';
import type { Aggregation, WindowedOptions } from './aggregation';
import { CloseTracker } from './close-tracker';
import { lateRecord } from './late-records';
import { streamTimeStore, windowClock } from './stream-clock';

const DAY = 24 * 3600 * 1000;

export function sessionAggregate<K, V, A>(
  aggregation: Aggregation<K, V, A>,
  options: WindowedOptions<K, A, SessionWindows>,
): RillOperator<KRecord<K, V>, KRecord<Windowed<K>, A | null>> {
  const windows = options.window;
  const merge = aggregation.merge;
  if (!merge) throw new Error(`${aggregation.kind}() over session windows needs a merger: sessions that grow into each other are merged.`);
  const store: StoreSpec = {
    name: options.store,
    kind: 'window',
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    changelog: options.changelog === false ? 'none' : 'own',
    retentionMs: options.retentionMs,
  };
  const timeStore = streamTimeStore(options.store, store.changelog);
  const emitMode = options.emit ?? 'update';
  const deadLetter = options.lateRecords?.deadLetterTopic;
  const step = `${aggregation.kind} (${describeWindows(windows)})`;
  const reach = windows.gapMs + windows.graceMs;
  return rillOperator(
    {
      kind: aggregation.kind,
      keyed: true,
      stores: [store, timeStore],
      valueSerde: options.valueSerde,
      sinks: deadLetter ? [{ topic: deadLetter, role: 'dead-letter' }] : [],
      detail: `${describeWindows(windows)}, emit ${emitMode}`,
    },
    (source, task) =>
      perRecord<KRecord<K, V>, KRecord<Windowed<K>, A | null>>(source, (emit) => {
        const ws = task.windowStore<K, A>(store.name!);
        const tracker = new CloseTracker<K>();
        const retention = options.retentionMs ?? DAY;
        let lastExpiry = Number.NEGATIVE_INFINITY;
        const id = (key: K, start: number) => `${JSON.stringify(key)}|${start}`;
        const emitClosed = () => {
          for (const w of tracker.closed(clock.time)) {
            const entry = ws.get(w.key, w.start);
            if (entry) emit({ key: { key: w.key, window: entry.window }, value: entry.value, timestamp: entry.window.end });
          }
        };
        const clock = windowClock(task, options.closeAfterIdleMs, emitMode, () => emitClosed(), timeStore);
        // Restored state: stream time is the restored one (and at least the newest session end); sessions still open then
        // have not been emitted as final yet.
        let seen = Number.NEGATIVE_INFINITY;
        for (const [w] of ws.all()) seen = Math.max(seen, w.window.end);
        clock.atLeast(seen);
        if (emitMode === 'final') {
          for (const [w] of ws.all()) {
            const closeAt = w.window.end + reach + 1;
            if (closeAt > clock.time) tracker.track(id(w.key, w.window.start), { key: w.key, start: w.window.start, end: w.window.end, closeAt });
          }
        }
        return {
          next(r) {
            if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
            const streamTime = clock.observe(r.timestamp);
            const t = r.timestamp;
            // Sessions that could touch t start no earlier than t - gap - (longest session); fetch all of the key's and filter.
            const overlapping = ws
              .fetch(r.key, Number.NEGATIVE_INFINITY, t + windows.gapMs)
              .filter((e) => e.window.end + windows.gapMs >= t && e.window.start - windows.gapMs <= t);
            let start = t;
            let end = t;
            for (const e of overlapping) {
              start = Math.min(start, e.window.start);
              end = Math.max(end, e.window.end);
            }
            // As Kafka Streams: late when the merged session is closed (its end + gap + grace behind stream time). A
            // record inside the gap of an open session merges into it even if its own [t, t] would be closed.
            if (end + reach < streamTime) {
              lateRecord(task, deadLetter, step, r, streamTime);
              return;
            }
            let value: A;
            try {
              let merged: A | undefined;
              for (const e of overlapping) merged = merged === undefined ? e.value : merge(r.key, merged, e.value);
              value = aggregation.add(r.key, r.value, merged ?? aggregation.init?.());
            } catch (e) {
              task.userError(e, aggregation.kind, r);
              return;
            }
            const window = { start, end };
            // Merged-away sessions are deleted, unless the result is [t, t] itself: then it is updated in place.
            const inPlace = start === t && end === t;
            for (const e of inPlace ? [] : overlapping) {
              ws.remove(r.key, e.window.start);
              tracker.forget(id(r.key, e.window.start));
              if (emitMode === 'update') emit({ key: { key: r.key, window: e.window }, value: null, timestamp: t });
            }
            ws.put(r.key, window, value);
            if (emitMode === 'update') emit({ key: { key: r.key, window }, value, timestamp: t });
            else {
              tracker.track(id(r.key, start), { key: r.key, start, end, closeAt: end + reach + 1 });
              emitClosed();
            }
            if (streamTime - lastExpiry >= Math.max(1, retention / 4)) {
              lastExpiry = streamTime;
              ws.expireBefore(streamTime - reach - retention);
            }
          },
          teardown: () => clock.stop(),
        };
      }),
  );
}
