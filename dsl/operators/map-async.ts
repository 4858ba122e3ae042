// mapAsync(fn): a new value from asynchronous code (a lookup, an HTTP call),
// with at most `concurrency` calls in flight per task. Results keep their
// record's key and timestamp; with concurrency 1 (default) they keep the
// input order. The work is tracked by the task, so a commit waits for it and
// for the writes it causes: offsets never get ahead of async work (plain
// mergeMap over promises gives no such guarantee).
import { EMPTY, catchError, from, map, mergeMap, type OperatorFunction } from 'rxjs';
import { rillOperator } from '../operator';
import type { KRecord } from '../record';

export function mapAsync<K, V, R>(
  project: (value: V, key: K, record: KRecord<K, V>) => Promise<R>,
  options: { concurrency?: number } = {},
): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`mapAsync concurrency must be a positive integer, not ${concurrency}.`);
  return rillOperator({ kind: 'mapAsync', keepsKeySerde: true, detail: `concurrency ${concurrency}` }, (source, task) =>
    source.pipe(
      // The origin is known only while the record is pushed in; mergeMap may start the work later (concurrency).
      map((r) => ({ r, origin: task.origin })),
      mergeMap(({ r, origin }) => {
        let started: Promise<R>;
        try {
          started = Promise.resolve(project(r.value, r.key, r));
        } catch (e) {
          started = Promise.reject(e);
        }
        const work = task.track(started);
        return from(work).pipe(
          map((value): KRecord<K, R> => ({ key: r.key, value, timestamp: r.timestamp, headers: r.headers })),
          catchError((e) => {
            task.userError(e, 'mapAsync', r, origin);
            return EMPTY;
          }),
        );
      }, concurrency),
    ),
  );
}
