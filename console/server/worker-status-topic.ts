// How every console sees every worker's own status (its tasks' restore
// progress and lag, its standbys), wherever the console runs: each `rill
// worker` writes its status (WorkerStatusView as JSON, key: its worker id) to
// the application's compacted `<app>-worker-status` topic every few seconds
// and a tombstone when it stops, as Kafka Connect keeps its workers' states in
// a status topic. Consoles read it through the Kafka protocol only, as they
// read everything else: no console needs the workers' addresses, nor to reach
// them over HTTP, and a broker's console shows the workers as a worker's does.
// A worker that died keeps its last status (with its time) until it restarts;
// the controllers' membership says which workers are alive.
import type { LogClient, LogProducer, TopicSpec } from '../../core/client';
import type { WorkerStatusView } from '../model';

export const workerStatusTopic = (app: string): string => `${app}-worker-status`;

const FETCH_BYTES = 1024 * 1024;
/** A reader new to a topic starts this many records before its end: every live worker wrote within them (stale claims are older). */
const TAIL_RECORDS = 2000;
/** A status larger than this is not a worker's (ignored). */
const MAX_STATUS_BYTES = 512 * 1024;

export interface PublisherOptions {
  readonly client: LogClient;
  readonly app: string;
  readonly workerId: string;
  /** The status to write, taken anew each time. */
  readonly status: () => Promise<WorkerStatusView>;
  readonly intervalMs: number;
  /** -1: the cluster's default. */
  readonly replicationFactor: number;
  /** A write that failed (said once until one succeeds again). */
  readonly warn: (line: string) => void;
}

/** Writes one worker's status to its application's worker-status topic, every intervalMs from start() to stop(). */
export class WorkerStatusPublisher {
  private producer: LogProducer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** Whether the topic exists (made if missing); writes wait for it. */
  private ensured: Promise<boolean> = Promise.resolve(false);
  private stopped = false;
  private failing = false;
  private readonly spec: TopicSpec;

  constructor(private readonly o: PublisherOptions) {
    this.spec = {
      name: workerStatusTopic(o.app),
      partitions: 1,
      replicationFactor: o.replicationFactor,
      // Small segments, so the cleaner can compact the statuses of a long-running application down to one per worker.
      config: { 'cleanup.policy': 'compact', 'segment.bytes': String(1024 * 1024) },
    };
  }

  /**
   * In the background (the worker does not wait for it): creates the topic when
   * missing, then writes a status at once and every intervalMs (a write still
   * running is not doubled). A topic that cannot be made is one warning.
   */
  start(): void {
    this.ensured = this.o.client.ensureTopics([this.spec]).then(
      () => true,
      (e: Error) => {
        this.o.warn(`worker status: cannot create ${this.spec.name} (${e.message}); consoles will not show this worker's restores and lag`);
        return false;
      },
    );
    void this.ensured.then((made) => {
      if (!made || this.stopped) return;
      void this.publish();
      this.timer = setInterval(() => {
        if (this.writing === undefined) void this.publish();
      }, this.o.intervalMs);
      this.timer.unref();
    });
  }

  /** Writes the status now, once the topic exists (one write at a time: a call during one waits for it, then writes). */
  publish(): Promise<void> {
    const write = (this.writing ?? Promise.resolve()).then(async () => {
      if ((await this.ensured) && !this.stopped) await this.write();
    });
    this.writing = write;
    void write.then(() => {
      if (this.writing === write) this.writing = undefined;
    });
    return write;
  }

  /** Stops writing and removes this worker's status (a tombstone). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.writing;
    if (await this.ensured) await this.send(null).catch((e: Error) => this.o.warn(`worker status: could not remove this worker's status: ${e.message}`));
    await this.producer?.close().catch(() => undefined);
  }

  private async write(): Promise<void> {
    try {
      await this.send(Buffer.from(JSON.stringify(await this.o.status()), 'utf8'));
      this.failing = false;
    } catch (e) {
      if (!this.failing)
        this.o.warn(
          `worker status: could not write to ${this.spec.name} (${(e as Error).message}); consoles show this worker's last status until a write succeeds`,
        );
      this.failing = true;
    }
  }

  private send(value: Buffer | null): Promise<void> {
    this.producer ??= this.o.client.producer();
    return this.producer.send(this.spec.name, { key: Buffer.from(this.o.workerId, 'utf8'), value, partition: 0, timestamp: Date.now() });
  }
}

/** The workers' latest statuses of each application, read on from where the last read stopped. */
export class WorkerStatusReader {
  private readonly apps = new Map<string, { readTo: number; statuses: Map<string, WorkerStatusView>; reading: Promise<unknown> }>();

  constructor(private readonly client: LogClient) {}

  /** Each worker's latest status (by worker id), as of the topic's end now; empty when the application has no such topic. */
  statuses(app: string): Promise<ReadonlyMap<string, WorkerStatusView>> {
    let state = this.apps.get(app);
    if (state === undefined) this.apps.set(app, (state = { readTo: -1, statuses: new Map(), reading: Promise.resolve() }));
    const s = state;
    // Reads of one application run one at a time: each goes on from where the last one stopped.
    const read = s.reading.catch(() => undefined).then(() => this.readToEnd(app, s));
    s.reading = read;
    return read;
  }

  private async readToEnd(app: string, s: { readTo: number; statuses: Map<string, WorkerStatusView> }): Promise<ReadonlyMap<string, WorkerStatusView>> {
    const topic = workerStatusTopic(app);
    if ((await this.client.partitionCount(topic)) === undefined) return new Map();
    const [range] = await this.client.offsets(topic);
    if (range === undefined) return new Map();
    if (s.readTo < range.start || s.readTo > range.end) {
      // First read (or the topic was removed and made again): the tail holds every live worker's latest status.
      s.statuses.clear();
      s.readTo = Math.max(range.start, range.end - TAIL_RECORDS);
    }
    while (s.readTo < range.end) {
      const fetched = await this.client.fetch({ topic, partition: 0 }, s.readTo, FETCH_BYTES);
      if (fetched.nextOffset <= s.readTo) break;
      for (const r of fetched.records) {
        if (r.key === null) continue;
        const workerId = r.key.toString('utf8');
        const status = r.value === null ? undefined : parseStatus(r.value);
        if (status === undefined) s.statuses.delete(workerId);
        else s.statuses.set(workerId, status);
      }
      s.readTo = fetched.nextOffset;
    }
    return new Map(s.statuses);
  }
}

/** A status as a worker writes it; anything else in the topic (written by something else) counts as none. */
function parseStatus(value: Buffer): WorkerStatusView | undefined {
  if (value.length > MAX_STATUS_BYTES) return undefined;
  try {
    const s = JSON.parse(value.toString('utf8')) as Partial<WorkerStatusView>;
    const ok = typeof s.workerId === 'string' && typeof s.at === 'number' && Array.isArray(s.tasks) && Array.isArray(s.standbys);
    return ok ? (s as WorkerStatusView) : undefined;
  } catch {
    return undefined;
  }
}
