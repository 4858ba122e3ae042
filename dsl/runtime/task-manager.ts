// The tasks one instance runs, by partition (Kafka Streams' TaskManager):
// created when their partitions are assigned (stores restored from their
// changelogs, or from a local snapshot's checkpoint, before the first record),
// closed when they are revoked. Task p owns partition p of every source and
// repartition topic and its own instance of every store.
import type { LogClient } from '../../core/client';
import type { Logger } from '../logger';
import type { Topology } from '../topology/topology';
import type { ErrorPolicy } from './error-policy';
import { loadSnapshot, snapshotPath, writeSnapshot } from './local-snapshot';
import { restoreStore, type RestoreProgress } from './restore';
import type { WarmStores } from './standby-tasks';
import { StreamTask, type RecordCollector } from './stream-task';
import type { StreamsMetrics } from './streams-metrics';

export interface TaskManagerOptions {
  readonly client: LogClient;
  readonly topology: Topology;
  readonly collector: RecordCollector;
  readonly logger: Logger;
  readonly deserializationErrors: ErrorPolicy;
  readonly processingErrors: ErrorPolicy;
  readonly now: () => number;
  /** Hand repartitioned records on in memory (only when the application has a single partition). */
  readonly repartitionLocally: boolean;
  readonly stateDir?: string;
  readonly onRestoreProgress?: (p: RestoreProgress) => void;
  /** A task's asynchronous work failed under the 'fail' policy. */
  readonly onFatal: (error: Error) => void;
  readonly metrics?: StreamsMetrics;
}

export class TaskManager {
  private readonly active = new Map<number, StreamTask>();
  /**
   * Per task, being restored or running: how far each of its stores' restores
   * got (read-only status; kept until the task closes). A task being restored
   * is here before it is active.
   */
  private readonly restores = new Map<number, Map<string, RestoreProgress>>();

  constructor(private readonly options: TaskManagerOptions) {}

  get(partition: number): StreamTask | undefined {
    return this.active.get(partition);
  }

  get tasks(): IterableIterator<StreamTask> {
    return this.active.values();
  }

  /** The partitions this instance owns, ascending. */
  get partitions(): number[] {
    return [...this.active.keys()].sort((a, b) => a - b);
  }

  /** The partitions whose tasks are being created (their stores restored), not active yet, ascending. */
  get restoring(): number[] {
    return [...this.restores.keys()].filter((p) => !this.active.has(p)).sort((a, b) => a - b);
  }

  /** How far each store of this task was restored (the stores started so far, while it is restoring). */
  restoreStatus(partition: number): readonly RestoreProgress[] {
    return [...(this.restores.get(partition)?.values() ?? [])].map((p) => ({ ...p }));
  }

  /**
   * Creates the tasks of newly assigned partitions: their positions from the
   * group's committed offsets, their stores restored; then registers and
   * starts them (a task is visible, to processing and to queries, only restored).
   */
  async create(partitions: readonly number[], warm: ReadonlyMap<number, WarmStores> = new Map()): Promise<StreamTask[]> {
    const { topology, client } = this.options;
    const fresh = [...new Set(partitions)].filter((p) => !this.active.has(p)).map((p) => new StreamTask({ ...this.options, partition: p }));
    if (fresh.length === 0) return fresh;
    for (const task of fresh) this.restores.set(task.partition, new Map());
    for (const topic of topology.sources.keys()) {
      const committed = await client.committedOffsets(topology.applicationId, topic);
      for (const task of fresh) {
        const offset = committed.get(task.partition) ?? -1;
        if (offset >= 0) task.consumed.set(topic, offset);
      }
    }
    try {
      await this.restore(fresh, warm);
    } catch (e) {
      for (const task of fresh) this.restores.delete(task.partition);
      throw e;
    }
    for (const task of fresh) {
      this.active.set(task.partition, task);
      task.start();
    }
    return fresh;
  }

  /** Closes and forgets these partitions' tasks (their work must be committed first). */
  close(partitions: readonly number[]): void {
    for (const p of partitions) {
      this.active.get(p)?.close();
      this.active.delete(p);
      this.restores.delete(p);
    }
  }

  closeAll(): void {
    this.close([...this.active.keys()]);
  }

  /** Writes a local snapshot of every store with a changelog of these tasks (default all), at the changelog's end (call after a commit). */
  async writeSnapshots(stateDir: string, partitions?: readonly number[]): Promise<void> {
    const tasks = partitions ? partitions.flatMap((p) => this.active.get(p) ?? []) : [...this.active.values()];
    const { topology, client } = this.options;
    for (const spec of topology.stores) {
      if (spec.changelog !== 'own' || !spec.changelogTopic) continue;
      const offsets = await client.offsets(spec.changelogTopic);
      for (const task of tasks) {
        const end = offsets.find((o) => o.partition === task.partition)?.end ?? 0;
        writeSnapshot(snapshotPath(stateDir, topology.applicationId, task.partition, spec.name), task.stores.get(spec.name)!, end);
      }
    }
  }

  /** Restores the tasks' stores; a standby's warm stores are taken over and only the changelog after their position is read. */
  private async restore(tasks: readonly StreamTask[], warm: ReadonlyMap<number, WarmStores>): Promise<void> {
    const { topology, client, stateDir, logger: log } = this.options;
    for (const spec of topology.stores) {
      if (!spec.changelogTopic) continue;
      const offsets = await client.offsets(spec.changelogTopic);
      // A table read from a source topic is its own changelog: restored up to what the application committed.
      const committed = spec.changelog === 'source' ? await client.committedOffsets(topology.applicationId, spec.changelogTopic) : undefined;
      for (const task of tasks) {
        let store = task.stores.get(spec.name)!;
        const range = offsets.find((o) => o.partition === task.partition);
        if (!range) continue;
        let from = range.start;
        let to = range.end;
        const standby = warm.get(task.partition);
        const position = standby?.positions.get(spec.name);
        if (committed) to = Math.max(0, committed.get(task.partition) ?? -1);
        else if (standby && position !== undefined && position >= range.start && position <= range.end) {
          task.stores.set(spec.name, standby.stores.get(spec.name)!);
          store = standby.stores.get(spec.name)!;
          from = position;
          log.info(`store ${spec.name} partition ${task.partition}: taken over from a standby (${store.size} entries) at changelog offset ${position}`);
        } else if (stateDir) {
          const checkpoint = loadSnapshot(snapshotPath(stateDir, topology.applicationId, task.partition, spec.name), store);
          if (checkpoint !== undefined && checkpoint <= range.end && checkpoint >= range.start) {
            from = checkpoint;
            log.info(`store ${spec.name} partition ${task.partition}: loaded local snapshot (${store.size} entries) at changelog offset ${checkpoint}`);
          } else if (checkpoint !== undefined) {
            store.clear();
            log.warn(
              `store ${spec.name} partition ${task.partition}: local snapshot checkpoint ${checkpoint} is outside the changelog [${range.start}, ${range.end}]; restoring from the start.`,
            );
          }
        }
        const metrics = this.options.metrics;
        const status = {
          store: spec.name,
          topic: spec.changelogTopic,
          partition: task.partition,
          restored: 0,
          total: Math.max(0, to - from),
          done: from >= to,
        };
        this.restores.get(task.partition)?.set(spec.name, status);
        const counted = (records: number, remaining: number) => {
          status.restored += records;
          metrics?.restoring(spec.name, task.partition, records, remaining);
        };
        await restoreStore(client, store, spec.changelogTopic, task.partition, from, to, log, this.options.onRestoreProgress, counted);
        status.done = true;
      }
    }
  }
}
