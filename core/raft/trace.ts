import { PerformanceObserver, constants, monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

// Optional latency tracing of a Raft node (RILL_RAFT_TRACE=<dir>): where a
// proposal's time goes, phase by phase, plus GC pauses and event-loop delay,
// to find where a tail comes from. Off unless asked for: the node then pays
// one `undefined` check per phase.

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'gc.minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'gc.major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'gc.incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'gc.weakcb',
};

/** Log-linear buckets: 16 per power of two of microseconds (about 4% wide), from 1 µs to ~1 h. */
const SUB_BUCKETS = 16;
const BUCKETS = 32 * SUB_BUCKETS;

export interface HistogramSummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** A fixed-size latency histogram: recording allocates nothing. */
export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private count = 0;
  private sum = 0;
  private max = 0;

  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const exp = Math.floor(Math.log2(us));
    const frac = us / 2 ** exp - 1; // in [0, 1)
    const bucket = Math.min(BUCKETS - 1, exp * SUB_BUCKETS + Math.floor(frac * SUB_BUCKETS));
    this.counts[bucket]++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The upper edge of the bucket holding quantile `q` (never above the largest value seen). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= rank) {
        const exp = Math.floor(b / SUB_BUCKETS);
        const upperUs = 2 ** exp * (1 + ((b % SUB_BUCKETS) + 1) / SUB_BUCKETS);
        return Math.min(this.max, upperUs / 1000);
      }
    }
    return this.max;
  }

  summary(): HistogramSummary {
    const r = (x: number) => +x.toFixed(3);
    return {
      count: this.count,
      meanMs: r(this.count === 0 ? 0 : this.sum / this.count),
      p50Ms: r(this.quantile(0.5)),
      p90Ms: r(this.quantile(0.9)),
      p99Ms: r(this.quantile(0.99)),
      maxMs: r(this.max),
    };
  }
}

export interface TraceReport {
  readonly phases: Record<string, HistogramSummary>;
  readonly gc: HistogramSummary & { readonly totalMs: number };
  readonly eventLoopDelay: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
}

/**
 * Per-phase histograms of one process. Phase names are free-form; the raft
 * node and server use: propose.queue, ready.save, ready.entries
 * (a count, not ms), leader.persistToApply (replication to a quorum, their
 * fsyncs and acks), propose.total, follower.appendToAck, snapshot.take,
 * snapshot.durable,
 * http.respond, http.total; and GC pauses by kind: gc.minor (scavenges),
 * gc.major (full), gc.incremental, gc.weakcb.
 */
export class RaftTrace {
  private readonly phases = new Map<string, Histogram>();
  private readonly gc = new Histogram();
  private gcTotal = 0;
  private readonly observer: PerformanceObserver;
  private readonly loopDelay: IntervalHistogram;

  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.gc.record(e.duration);
        this.gcTotal += e.duration;
        // Which kind of collection paused the longest: scavenges or full ones.
        this.record(GC_KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'gc.other', e.duration);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.loopDelay = monitorEventLoopDelay({ resolution: 1 });
    this.loopDelay.enable();
  }

  /** A trace when RILL_RAFT_TRACE is set, else undefined. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): RaftTrace | undefined {
    return env.RILL_RAFT_TRACE ? new RaftTrace() : undefined;
  }

  now(): number {
    return performance.now();
  }

  record(phase: string, value: number): void {
    let h = this.phases.get(phase);
    if (h === undefined) {
      h = new Histogram();
      this.phases.set(phase, h);
    }
    h.record(value);
  }

  /** Record the time since `since` (a `now()` reading) under `phase`. */
  since(phase: string, since: number): void {
    this.record(phase, performance.now() - since);
  }

  report(): TraceReport {
    const phases: Record<string, HistogramSummary> = {};
    for (const [name, h] of this.phases) phases[name] = h.summary();
    const ns = (x: number) => +(x / 1e6).toFixed(3);
    return {
      phases,
      gc: { ...this.gc.summary(), totalMs: +this.gcTotal.toFixed(1) },
      eventLoopDelay: { p50Ms: ns(this.loopDelay.percentile(50)), p99Ms: ns(this.loopDelay.percentile(99)), maxMs: ns(this.loopDelay.max) },
    };
  }

  stop(): void {
    this.observer.disconnect();
    this.loopDelay.disable();
  }
}
