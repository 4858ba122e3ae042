// Window definitions on event time. Each has a grace period: a record may
// arrive out of order and still count while its window's end plus grace is
// ahead of stream time (the largest timestamp seen). After that the window is
// closed and the record is late.
import type { TimeWindow } from '../record';

export interface TumblingWindows {
  readonly type: 'tumbling';
  readonly sizeMs: number;
  readonly graceMs: number;
}

export interface HoppingWindows {
  readonly type: 'hopping';
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
}

/** One window per record: [t - size, t] (both ends inclusive), updated by out-of-order records that fall in it. */
export interface SlidingWindows {
  readonly type: 'sliding';
  readonly sizeMs: number;
  readonly graceMs: number;
}

/** Sessions of activity separated by at least `gapMs`; window [first, last] timestamps, both inclusive. */
export interface SessionWindows {
  readonly type: 'session';
  readonly gapMs: number;
  readonly graceMs: number;
}

export type Windows = TumblingWindows | HoppingWindows | SlidingWindows | SessionWindows;

function checkPositive(what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer number of ms, not ${n}.`);
}

function checkGrace(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`grace must be a non-negative integer number of ms, not ${n}.`);
}

export function tumbling(sizeMs: number, options: { graceMs?: number } = {}): TumblingWindows {
  checkPositive('Tumbling window size', sizeMs);
  const graceMs = options.graceMs ?? 0;
  checkGrace(graceMs);
  return { type: 'tumbling', sizeMs, graceMs };
}

export function hopping(sizeMs: number, advanceMs: number, options: { graceMs?: number } = {}): HoppingWindows {
  checkPositive('Hopping window size', sizeMs);
  checkPositive('Hopping window advance', advanceMs);
  if (advanceMs > sizeMs) throw new Error(`Hopping window advance (${advanceMs} ms) must not exceed its size (${sizeMs} ms).`);
  const graceMs = options.graceMs ?? 0;
  checkGrace(graceMs);
  return { type: 'hopping', sizeMs, advanceMs, graceMs };
}

export function sliding(sizeMs: number, options: { graceMs?: number } = {}): SlidingWindows {
  checkPositive('Sliding window size', sizeMs);
  const graceMs = options.graceMs ?? 0;
  checkGrace(graceMs);
  return { type: 'sliding', sizeMs, graceMs };
}

export function session(gapMs: number, options: { graceMs?: number } = {}): SessionWindows {
  checkPositive('Session inactivity gap', gapMs);
  const graceMs = options.graceMs ?? 0;
  checkGrace(graceMs);
  return { type: 'session', gapMs, graceMs };
}

/** The fixed-size windows holding `timestamp`, oldest first (tumbling: one; hopping: size/advance). */
export function timeWindowsFor(windows: TumblingWindows | HoppingWindows, timestamp: number): TimeWindow[] {
  const advance = windows.type === 'tumbling' ? windows.sizeMs : windows.advanceMs;
  const out: TimeWindow[] = [];
  const lastStart = timestamp - (((timestamp % advance) + advance) % advance);
  for (let start = lastStart; start > timestamp - windows.sizeMs; start -= advance) {
    if (start < 0) break;
    out.push({ start, end: start + windows.sizeMs });
  }
  return out.reverse();
}

/** Whether a fixed window [start, end) is closed at this stream time. */
export function isClosed(windowEnd: number, graceMs: number, streamTime: number): boolean {
  return windowEnd + graceMs <= streamTime;
}

export function describeWindows(w: Windows): string {
  switch (w.type) {
    case 'tumbling':
      return `tumbling ${w.sizeMs} ms, grace ${w.graceMs} ms`;
    case 'hopping':
      return `hopping ${w.sizeMs} ms every ${w.advanceMs} ms, grace ${w.graceMs} ms`;
    case 'sliding':
      return `sliding ${w.sizeMs} ms, grace ${w.graceMs} ms`;
    case 'session':
      return `session gap ${w.gapMs} ms, grace ${w.graceMs} ms`;
  }
}
