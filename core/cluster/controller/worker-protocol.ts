// The controller RPC's worker method (ControllerMethod.workerHeartbeat): its
// body and answer, and the check of a body that came off the network. One
// method does join (epoch 0), heartbeat and leave, as Kafka's
// ConsumerGroupHeartbeat (KIP-848) does.
import * as E from 'fp-ts/Either';
import type { Accepted, Decision } from './decision';
import type { QuorumController } from './quorum-controller';

export interface WorkerHeartbeatRpcRequest {
  readonly app: string;
  readonly workerId: string;
  /** 0 to join; afterwards the epoch the join returned. */
  readonly workerEpoch: number;
  readonly inputTopics: readonly string[];
  readonly numStandbyReplicas: number;
  /** The worker shuts down: unregister it and move its tasks now. */
  readonly leave?: boolean;
  /** The tasks it runs right now, those it is still revoking included (cooperative handover). */
  readonly ownedTasks?: readonly string[];
}

/** The worker's assignment (the response of a ControllerAnswer); after a leave, epoch 0 and nothing assigned. */
export interface WorkerHeartbeatRpcResponse {
  readonly workerEpoch: number;
  readonly generation: number;
  readonly active: readonly { readonly task: string; readonly taskEpoch: number }[];
  readonly standby: readonly string[];
  /** The controllers' worker session timeout: a worker not heard from this long loses its tasks. */
  readonly sessionTimeoutMs?: number;
}

const MAX_NAME = 249;

/** What is wrong with a workerHeartbeat body, or undefined when it is well formed. */
export function checkWorkerHeartbeat(body: unknown): string | undefined {
  const b = body as Partial<WorkerHeartbeatRpcRequest> | null;
  if (b === null || typeof b !== 'object') return 'workerHeartbeat needs a body';
  if (typeof b.app !== 'string' || b.app.length === 0 || b.app.length > MAX_NAME)
    return `workerHeartbeat: app must be a non-empty string of at most ${MAX_NAME} characters`;
  if (typeof b.workerId !== 'string' || b.workerId.length === 0 || b.workerId.length > MAX_NAME)
    return `workerHeartbeat: workerId must be a non-empty string of at most ${MAX_NAME} characters`;
  if (typeof b.workerEpoch !== 'number' || !Number.isInteger(b.workerEpoch) || b.workerEpoch < 0)
    return 'workerHeartbeat: workerEpoch must be a non-negative integer (0 to join)';
  if (
    !Array.isArray(b.inputTopics) ||
    b.inputTopics.length > 1000 ||
    !b.inputTopics.every((t) => typeof t === 'string' && t.length > 0 && t.length <= MAX_NAME)
  ) {
    return 'workerHeartbeat: inputTopics must be a list of topic names';
  }
  if (typeof b.numStandbyReplicas !== 'number' || !Number.isInteger(b.numStandbyReplicas) || b.numStandbyReplicas < 0 || b.numStandbyReplicas > 100) {
    return 'workerHeartbeat: numStandbyReplicas must be an integer from 0 to 100';
  }
  if (b.leave !== undefined && typeof b.leave !== 'boolean') return 'workerHeartbeat: leave must be true or false';
  if (b.ownedTasks !== undefined && (!Array.isArray(b.ownedTasks) || b.ownedTasks.length > 100_000 || !b.ownedTasks.every((t) => typeof t === 'string'))) {
    return 'workerHeartbeat: ownedTasks must be a list of task names';
  }
  return undefined;
}

const LEFT: WorkerHeartbeatRpcResponse = { workerEpoch: 0, generation: 0, active: [], standby: [] };

/** The active controller's decision on a (checked) workerHeartbeat: a leave, or a join/heartbeat. */
export function decideWorkerHeartbeat(controller: QuorumController, req: WorkerHeartbeatRpcRequest, now: number): Decision<WorkerHeartbeatRpcResponse> {
  const { app, workerId, workerEpoch, inputTopics, numStandbyReplicas, ownedTasks } = req;
  if (req.leave) return E.map((a: Accepted<void>) => ({ records: a.records, response: LEFT }))(controller.workerLeave({ app, workerId, workerEpoch }));
  const sessionTimeoutMs = controller.config.workerSessionTimeoutMs;
  return E.map((a: Accepted<WorkerHeartbeatRpcResponse>) => ({ records: a.records, response: { ...a.response, sessionTimeoutMs } }))(
    controller.workerHeartbeat({ app, workerId, workerEpoch, inputTopics, numStandbyReplicas, ownedTasks }, now),
  );
}
