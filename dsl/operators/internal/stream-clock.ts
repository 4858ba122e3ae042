// An operator's view of time: stream time is the largest record timestamp it
// has seen. Optionally it also follows the wall clock while no record arrives,
// so windows of a quiet partition close (the anchors' "results that never
// appear when traffic stops").
import type { Subscription } from 'rxjs';
import type { TaskContext } from '../../operator';

export class StreamClock {
  time = Number.NEGATIVE_INFINITY;
  private lastRecordWall = 0;
  private timeAtLastRecord = Number.NEGATIVE_INFINITY;
  private readonly sub: Subscription | undefined;

  constructor(private readonly task: TaskContext, idleMs: number | undefined, onAdvance: () => void) {
    if (idleMs !== undefined) {
      this.sub = task.wallClock.subscribe((now) => {
        const idle = now - this.lastRecordWall;
        if (this.timeAtLastRecord === Number.NEGATIVE_INFINITY || idle < idleMs) return;
        const advanced = this.timeAtLastRecord + idle;
        if (advanced > this.time) {
          this.time = advanced;
          onAdvance();
        }
      });
    }
  }

  /** Observes a record's timestamp; returns the stream time after it. */
  observe(timestamp: number): number {
    if (timestamp > this.time) this.time = timestamp;
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

  stop(): void {
    this.sub?.unsubscribe();
  }
}
