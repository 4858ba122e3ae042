// Restoring a store from its changelog: read one partition from an offset up
// to a target (the changelog's end, or a table source's committed offset),
// applying each record, with progress reported as it goes.
import type { LogClient } from '../../core/client';
import type { Logger } from '../logger';
import type { StateStore } from '../state/state-store';

export interface RestoreProgress {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  readonly restored: number;
  /** Upper bound: target offset minus start offset (compaction makes the real count smaller). */
  readonly total: number;
  readonly done: boolean;
}

const PROGRESS_EVERY = 100_000;
const FETCH_BYTES = 4 * 1024 * 1024;

export async function restoreStore(
  client: LogClient,
  store: StateStore,
  topic: string,
  partition: number,
  from: number,
  to: number,
  log: Logger,
  onProgress?: (p: RestoreProgress) => void,
  /** After each fetched batch: records applied in it, and how many may remain (metrics). */
  onBatch?: (records: number, remaining: number) => void,
): Promise<number> {
  if (from >= to) return 0;
  const tp = { topic, partition };
  let restored = 0;
  let skipped = 0;
  const total = to - from;
  const report = (done: boolean) => {
    const p = { store: store.name, topic, partition, restored, total, done };
    onProgress?.(p);
    log.info(`restoring store ${store.name} from ${topic}-${partition}: ${restored} of up to ${total} records${done ? ' (done)' : ''}`);
  };
  // A first report as the restore starts (restored 0): progress is visible from the beginning.
  report(false);
  onBatch?.(0, total);
  let offset = from;
  let nextReport = PROGRESS_EVERY;
  while (offset < to) {
    const fetched = await client.fetch(tp, offset, FETCH_BYTES);
    // Compaction may have removed the last records before `to`: nextOffset still moves past them.
    if (fetched.nextOffset <= offset) break;
    const before = restored;
    for (const r of fetched.records) {
      if (r.offset >= to) break;
      if (r.key === null) continue;
      const error = store.restore(r.key, r.value);
      if (error) {
        skipped++;
        if (skipped <= 10)
          log.warn(`restoring store ${store.name}: skipped the record at topic ${topic}, partition ${partition}, offset ${r.offset}: ${error.message}`);
      }
      restored++;
    }
    onBatch?.(restored - before, to - fetched.nextOffset);
    offset = fetched.nextOffset;
    if (restored >= nextReport) {
      report(false);
      nextReport = restored + PROGRESS_EVERY;
    }
  }
  report(true);
  onBatch?.(0, 0);
  return restored;
}
