// Offsets of a DSL application run by `rill worker` are committed to the
// application's group (its id) by its workers, not by Kafka consumer-group
// members. While the application has registered workers, a commit to that
// group must name a registered worker incarnation: member id = worker id,
// generation = its worker epoch (as a Kafka group refuses commits from
// outside its current generation). So a worker the controller has fenced or
// unregistered (its session expired while it was paused, say) cannot move the
// offsets of tasks that already run elsewhere: its commits are refused with
// UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION, which also tells it it was fenced.
//
// The check is per worker, not per task: a worker handing a task over commits
// its last offsets for it after the controller already named the next owner
// (the cooperative handover), and the workers themselves stop committing tasks
// they gave up (core/cluster's WorkerMembership, fencePartitions).
import { ErrorCode } from '../../wire';
import type { MetadataImage } from '../metadata/image';

/**
 * How a commit of `memberId` at `generation` to `groupId` stands against this
 * image: 'worker' (from a registered worker of the application: accepted),
 * 'group' (not an application's group, or a simple commit while it has no
 * workers: Kafka's own group rules decide), a Kafka error code, or 'wait' when
 * the image may simply be behind the controller (an epoch newer than the one
 * it knows, or a worker it has not seen register yet).
 */
export function appCommitStanding(image: MetadataImage, groupId: string, memberId: string, generation: number): 'worker' | 'group' | 'wait' | number {
  const app = image.apps.get(groupId);
  if (app === undefined) return 'group';
  if (memberId === '') return app.workers.size === 0 ? 'group' : ErrorCode.UNKNOWN_MEMBER_ID;
  const worker = app.workers.get(memberId);
  if (worker === undefined) return generation > image.lastWorkerEpoch ? 'wait' : ErrorCode.UNKNOWN_MEMBER_ID;
  if (worker.workerEpoch === generation) return 'worker';
  return generation > worker.workerEpoch ? 'wait' : ErrorCode.ILLEGAL_GENERATION;
}
