// An operator's view of time: stream time is the largest record timestamp it
// has seen. Optionally it also follows the wall clock while no record arrives,
// so windows of a quiet partition close (the anchors' "results that never
// appear when traffic stops").
//
// Stream time is kept in a small key-value store of its own (one entry, with a
// changelog like every store), so a restarted task goes on from the stream
// time it had, not from what its windows suggest: a window emitted as final
// before a stop is not emitted again after it, and a record late before a stop
// is late after it.
import type { Subscription } from 'rxjs';
import { jsonSerde, stringSerde } from '../../../core/schema';
import type { StoreSpec, TaskContext } from '../../operator';
import type { KeyValueStore } from '../../store';

const KEY = 'streamTime';

/** The store spec of an operator's stream time, named after its main store (generated when that has no name yet). */
export function streamTimeStore(mainStore: string | undefined, changelog: StoreSpec['changelog']): StoreSpec {
  return { name: mainStore && `${mainStore}-stream-time`, kind: 'key-value', keySerde: stringSerde(), valueSerde: jsonSerde<number>(), changelog };
}

export class StreamClock {
  time = Number.NEGATIVE_INFINITY;
  private lastRecordWall = 0;
  private timeAtLastRecord = Number.NEGATIVE_INFINITY;
  private readonly sub: Subscription | undefined;

  private readonly persisted: KeyValueStore<string, number> | undefined;

  constructor(
    private readonly task: TaskContext,
    idleMs: number | undefined,
    onAdvance: () => void,
    /** The operator's stream-time store (streamTimeStore); its restored value is where stream time starts. */
    store?: StoreSpec,
  ) {
    this.persisted = store && task.keyValueStore<string, number>(store.name!);
    const restored = this.persisted?.get(KEY);
    if (restored !== undefined) this.atLeast(restored);
    if (idleMs !== undefined) {
      this.sub = task.wallClock.subscribe((now) => {
        const idle = now - this.lastRecordWall;
        if (this.timeAtLastRecord === Number.NEGATIVE_INFINITY || idle < idleMs) return;
        const advanced = this.timeAtLastRecord + idle;
        if (advanced > this.time) {
          this.advanceTo(advanced);
          onAdvance();
        }
      });
    }
  }

  /** Observes a record's timestamp; returns the stream time after it. */
  observe(timestamp: number): number {
    if (timestamp > this.time) this.advanceTo(timestamp);
    this.lastRecordWall = this.task.now();
    this.timeAtLastRecord = this.time;
    return this.time;
  }

  /**
   * After a restart (or a pipeline rebuild) stream time is at least what the
   * restored state proves was seen.
   */
  atLeast(time: number): void {
    if (time > this.time) {
      this.time = time;
      this.timeAtLastRecord = time;
      this.lastRecordWall = this.task.now();
    }
  }

  private advanceTo(time: number): void {
    this.time = time;
    this.persisted?.put(KEY, time);
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}

/** The clock of a windowed aggregation: in emit mode 'final', windows it closes by following the wall clock are emitted. */
export function windowClock(
  task: TaskContext,
  closeAfterIdleMs: number | undefined,
  emitMode: 'update' | 'final',
  emitClosed: () => void,
  store: StoreSpec,
): StreamClock {
  return new StreamClock(task, closeAfterIdleMs, () => (emitMode === 'final' ? emitClosed() : undefined), store);
}
