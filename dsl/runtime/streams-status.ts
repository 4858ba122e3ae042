// A running application instance's status, read-only: its tasks (being
// restored or running) with each store's restore progress and each input
// partition's position, end offset and lag; its standby tasks with how far
// each warm store trails its changelog. Asked for by a worker's console (and
// written to the application's worker-status topic for the other consoles);
// RillStreams.status() builds it from the task manager and the standbys.
import type { LogClient, TopicPartition } from '../../core/client';
import type { Topology } from '../topology/topology';
import type { RestoreProgress } from './restore';
import type { StandbyTasks } from './standby-tasks';
import type { TaskManager } from './task-manager';

export interface InputStatus {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the task processes; null while it is restoring. */
  readonly position: number | null;
  /** The partition's end offset (high watermark) as the status was taken. */
  readonly endOffset: number;
  /** End offset minus position: records written and not yet processed here. */
  readonly lag: number | null;
}

export interface TaskStatus {
  /** The task's number: partition `task` of every input topic. */
  readonly task: number;
  readonly state: 'restoring' | 'running';
  /** Per store with a changelog: records restored of at most `total` (compaction makes the real count smaller). */
  readonly restores: readonly RestoreProgress[];
  readonly inputs: readonly InputStatus[];
}

export interface StandbyStoreStatus {
  readonly store: string;
  readonly topic: string;
  /** The next changelog offset the warm copy applies; null before its first catch-up. */
  readonly position: number | null;
  readonly endOffset: number;
  /** Changelog records the warm copy has not applied yet (what a move here would restore). */
  readonly lag: number | null;
}

export interface StreamsStatus {
  readonly app: string;
  /** created, restoring, running, stopping, stopped, failed. */
  readonly state: string;
  /** The application's number of tasks (0 before start). */
  readonly taskCount: number;
  readonly tasks: readonly TaskStatus[];
  readonly standbys: readonly { readonly task: number; readonly stores: readonly StandbyStoreStatus[] }[];
}

export interface StatusSources {
  readonly client: LogClient;
  readonly topology: Topology;
  readonly state: string;
  readonly taskCount: number;
  readonly tasks: TaskManager | undefined;
  readonly standby: StandbyTasks;
  /** The input partitions of a task. */
  readonly inputsOf: (task: number) => readonly TopicPartition[];
  /** A running task's next offset of one input partition (`start`: the log start, for a task that has read nothing). */
  readonly positionOf: (task: number, topic: string, start: number) => number | undefined;
}

export async function streamsStatus(s: StatusSources): Promise<StreamsStatus> {
  const running = s.tasks?.partitions ?? [];
  const restoring = s.tasks?.restoring ?? [];
  const ends = new EndOffsets(s.client);
  const tasks: TaskStatus[] = [];
  for (const task of [...running, ...restoring].sort((a, b) => a - b)) {
    const active = running.includes(task);
    const inputs: InputStatus[] = [];
    for (const tp of s.inputsOf(task)) {
      const range = await ends.of(tp.topic, tp.partition);
      const position = active ? (s.positionOf(task, tp.topic, range.start) ?? range.start) : null;
      inputs.push({ ...tp, position, endOffset: range.end, lag: position === null ? null : Math.max(0, range.end - position) });
    }
    tasks.push({ task, state: active ? 'running' : 'restoring', restores: s.tasks?.restoreStatus(task) ?? [], inputs });
  }
  const warmStores = s.topology.stores.filter((spec) => spec.changelog === 'own' && spec.changelogTopic);
  const standbys = [];
  for (const task of s.standby.partitions) {
    const positions = s.standby.positionsOf(task);
    const stores: StandbyStoreStatus[] = [];
    for (const spec of warmStores) {
      const topic = spec.changelogTopic!;
      const { end } = await ends.of(topic, task);
      const position = positions.get(spec.name) ?? null;
      stores.push({ store: spec.name, topic, position, endOffset: end, lag: position === null ? null : Math.max(0, end - position) });
    }
    standbys.push({ task, stores });
  }
  return { app: s.topology.applicationId, state: s.state, taskCount: s.taskCount, tasks, standbys };
}

/** Each topic's offsets asked for once per status. */
class EndOffsets {
  private readonly topics = new Map<string, Promise<{ partition: number; start: number; end: number }[]>>();

  constructor(private readonly client: LogClient) {}

  async of(topic: string, partition: number): Promise<{ start: number; end: number }> {
    let offsets = this.topics.get(topic);
    if (offsets === undefined) this.topics.set(topic, (offsets = this.client.offsets(topic)));
    return (await offsets).find((o) => o.partition === partition) ?? { start: 0, end: 0 };
  }
}
