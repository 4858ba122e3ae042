// Workers of a DSL application joining, heartbeating and expiring. The tasks of
// an application are the partitions of its input topics ("topic-partition");
// whenever the live workers or the tasks change, the controller writes a new
// TaskAssignment (generation + 1). Heartbeats are their own requests, apart from
// processing, so a slow record never looks like a dead worker.
import * as E from 'fp-ts/Either';
import { ErrorCode, refusal } from '../errors';
import type { MetadataImage } from '../metadata/image';
import type { MetadataRecord, TaskAssignmentRecord, TaskOwnership } from '../metadata/records';
import { accept, imageAfter, type Decision } from './decision';
import { assignTasks, sameAssignment } from './task-assignor';

export interface WorkerHeartbeatRequest {
  readonly app: string;
  readonly workerId: string;
  /** 0 to join; afterwards the epoch the join returned. */
  readonly workerEpoch: number;
  readonly inputTopics: readonly string[];
  readonly numStandbyReplicas: number;
  /**
   * The tasks the worker runs right now, those it is still revoking included.
   * Soft state for the active controller (QuorumController): a task moving to
   * another worker is handed to it only once its previous owner no longer
   * reports it (cooperative handover). Not part of any record.
   */
  readonly ownedTasks?: readonly string[];
}

export interface WorkerAssignment {
  readonly workerEpoch: number;
  readonly generation: number;
  readonly active: readonly { task: string; taskEpoch: number }[];
  readonly standby: readonly string[];
}

export function workerHeartbeat(image: MetadataImage, req: WorkerHeartbeatRequest): Decision<WorkerAssignment> {
  const registered = image.apps.get(req.app)?.workers.get(req.workerId);
  let records: MetadataRecord[] = [];
  let workerEpoch = req.workerEpoch;
  if (req.workerEpoch === 0) {
    workerEpoch = image.lastWorkerEpoch + 1;
    records.push({
      type: 'RegisterWorker',
      app: req.app,
      workerId: req.workerId,
      workerEpoch,
      inputTopics: [...req.inputTopics],
      numStandbyReplicas: req.numStandbyReplicas,
    });
  } else if (registered?.workerEpoch !== req.workerEpoch) {
    return E.left(
      refusal(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `Worker ${req.workerId} of ${req.app}: epoch ${req.workerEpoch} is not the registered one (${registered?.workerEpoch ?? 'none'}); its tasks moved. Rejoin with epoch 0.`,
      ),
    );
  }
  const after = imageAfter(image, records);
  const reassignment = rebalance(after, req.app);
  if (reassignment) records = [...records, reassignment];
  const final = reassignment ? imageAfter(after, [reassignment]) : after;
  return accept(records, assignmentOf(final, req.app, req.workerId, workerEpoch));
}

/** The worker's session expired (or it left): unregister it and move its tasks. */
export function expireWorker(image: MetadataImage, app: string, workerId: string, workerEpoch: number): Decision<void> {
  if (image.apps.get(app)?.workers.get(workerId)?.workerEpoch !== workerEpoch) {
    return E.left(refusal(ErrorCode.FENCED_MEMBER_EPOCH, `Worker ${workerId} of ${app} epoch ${workerEpoch} is not registered.`));
  }
  const unregister: MetadataRecord = { type: 'UnregisterWorker', app, workerId, workerEpoch };
  const reassignment = rebalance(imageAfter(image, [unregister]), app);
  return accept(reassignment ? [unregister, reassignment] : [unregister], undefined);
}

/** The tasks of `app`: every partition of every input topic that exists. */
export function tasksOf(image: MetadataImage, app: string): string[] {
  const topics = new Set<string>();
  for (const w of image.apps.get(app)?.workers.values() ?? []) for (const t of w.inputTopics) topics.add(t);
  const tasks: string[] = [];
  for (const name of [...topics].sort()) {
    const topic = image.topicByName(name);
    if (topic) for (const p of [...topic.partitions.keys()].sort((a, b) => a - b)) tasks.push(`${name}-${p}`);
  }
  return tasks;
}

/** A new assignment for `app` if its workers or tasks changed, else undefined. */
export function rebalance(image: MetadataImage, app: string): TaskAssignmentRecord | undefined {
  const appImage = image.apps.get(app);
  if (appImage === undefined) return undefined;
  const workers = [...appImage.workers.values()];
  const standbys = Math.max(0, ...workers.map((w) => w.numStandbyReplicas));
  const tasks = assignTasks(
    tasksOf(image, app),
    workers.map((w) => w.workerId),
    appImage.tasks,
    standbys,
  );
  if (sameAssignment(tasks, appImage.tasks)) return undefined;
  return { type: 'TaskAssignment', app, generation: appImage.generation + 1, tasks };
}

function assignmentOf(image: MetadataImage, app: string, workerId: string, workerEpoch: number): WorkerAssignment {
  const a = image.apps.get(app);
  const tasks: TaskOwnership[] = [...(a?.tasks.values() ?? [])];
  return {
    workerEpoch,
    generation: a?.generation ?? 0,
    active: tasks.filter((t) => t.owner === workerId).map((t) => ({ task: t.task, taskEpoch: t.taskEpoch })),
    standby: tasks.filter((t) => t.standbys.includes(workerId)).map((t) => t.task),
  };
}
