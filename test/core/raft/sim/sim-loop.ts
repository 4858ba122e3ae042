// The clock and event loop of a deterministic simulation: timed events in a
// min-heap, virtual time that jumps from one event to the next, an event count
// and a bounded trace. The Raft simulation and the cluster simulation (test/)
// both run on it; each handles its own events.
import { EventQueue } from './event-queue';

export class SimLoop<T> {
  private readonly queue = new EventQueue<T>();
  private _now = 0;
  private _events = 0;
  readonly traceLines: string[] = [];

  constructor(
    private readonly tracing: boolean,
    private readonly traceLimit: number,
  ) {}

  /** Virtual time (ms since the start of the run). */
  get now(): number {
    return this._now;
  }

  /** Events handled so far. */
  get events(): number {
    return this._events;
  }

  /** Schedules `item` at virtual time `at` (ties run in scheduling order). */
  at(at: number, item: T): void {
    this.queue.push(at, item);
  }

  /** Keeps the last `traceLimit` lines, stamped with the virtual time; a function is called only when tracing. */
  trace(line: string | (() => string)): void {
    if (!this.tracing) return;
    this.traceLines.push(`${this._now} ${typeof line === 'string' ? line : line()}`);
    if (this.traceLines.length > this.traceLimit) this.traceLines.shift();
  }

  /**
   * Handles the events due up to `time` in order, each with `handle`; time then
   * stands at `time`. Stops early, before the next event, once `stop` holds
   * (checked before every event). Returns whether `stop` held.
   */
  runUntil(time: number, handle: (item: T) => void, stop?: () => boolean): boolean {
    for (;;) {
      if (stop?.()) return true;
      const next = this.queue.pop();
      if (next === undefined || next.at > time) {
        if (next) this.queue.push(next.at, next.item);
        this._now = time;
        return stop?.() ?? false;
      }
      this._now = next.at;
      this._events++;
      handle(next.item);
    }
  }
}
