// The active controller (KRaft's QuorumController), still pure: it holds the
// image as it will be once its own proposals commit (committed image + pending
// decisions) and the heartbeat sessions. Each call returns the records to
// propose as one Raft entry; the shell proposes them and answers the request
// once they commit. It must be created only when the node's Raft leader has
// applied every entry before its own term, and dropped when leadership is lost.
import * as E from 'fp-ts/Either';
import type { MetadataImage } from '../metadata/image';
import type { MetadataRecord } from '../metadata/records';
import { alterAcls, type AlterAclsRequest } from './acl-admin';
import { alterPartition, type AlterPartitionRequest, type AlterPartitionResponse } from './alter-partition';
import {
  brokerHeartbeat,
  fenceBroker,
  registerBroker,
  type BrokerHeartbeatRequest,
  type BrokerHeartbeatResponse,
  type RegisterBrokerRequest,
} from './broker-lifecycle';
import type { Decision } from './decision';
import { registerController, unregisterController, type RegisterControllerRequest } from './controller-registration';
import { HeartbeatSessions } from './sessions';
import { alterScramCredentials } from './scram-credentials';
import {
  alterTopicConfig,
  createPartitions,
  createTopic,
  deleteTopic,
  type AlterTopicConfigRequest,
  type CreatePartitionsRequest,
  type CreateTopicRequest,
} from './topic-admin';
import { expireWorker, workerHeartbeat, type WorkerAssignment, type WorkerHeartbeatRequest } from './worker-lifecycle';

export interface ControllerConfig {
  /** broker.session.timeout.ms */
  readonly brokerSessionTimeoutMs: number;
  /** How long a worker may go without a heartbeat before its tasks move. */
  readonly workerSessionTimeoutMs: number;
  /**
   * How long after the connection a broker heartbeats on closes it is fenced,
   * unless it heartbeats again first (default 500 ms: two of its 250 ms
   * heartbeat intervals to reconnect). A killed broker's partitions get new
   * leaders after this grace instead of the whole session timeout.
   */
  readonly brokerDisconnectGraceMs?: number;
  /** max.broker.partitions: replicas one broker may host, all topics together (default 100,000, as a single broker). */
  readonly maxBrokerPartitions?: number;
}

export const DEFAULT_BROKER_DISCONNECT_GRACE_MS = 500;

export const DEFAULT_CONTROLLER_CONFIG: ControllerConfig = {
  brokerSessionTimeoutMs: 9000,
  workerSessionTimeoutMs: 10000,
  brokerDisconnectGraceMs: DEFAULT_BROKER_DISCONNECT_GRACE_MS,
};

type WorkerKey = string;
const workerKey = (app: string, workerId: string): WorkerKey => JSON.stringify([app, workerId]);

export class QuorumController {
  private readonly brokerSessions: HeartbeatSessions<number>;
  private readonly workerSessions: HeartbeatSessions<WorkerKey>;
  /** What each worker last reported running (soft state, like the sessions): tasks it has not released yet. */
  private readonly workerHolds = new Map<WorkerKey, ReadonlySet<string>>();
  /** The active tasks each worker was last told it owns: it may have started them before it reports them. */
  private readonly workerGiven = new Map<WorkerKey, ReadonlySet<string>>();
  private readonly _image: MetadataImage;
  /** Brokers in controlled shutdown, with the broker epoch that asked (soft state, like the sessions). */
  private readonly shuttingDown = new Map<number, number>();

  constructor(
    committed: MetadataImage,
    now: number,
    readonly config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG,
  ) {
    this._image = committed.clone();
    this.brokerSessions = new HeartbeatSessions(config.brokerSessionTimeoutMs);
    this.workerSessions = new HeartbeatSessions(config.workerSessionTimeoutMs);
    for (const b of this._image.brokers.values()) this.brokerSessions.touch(b.brokerId, now);
    for (const app of this._image.apps.values()) for (const w of app.workers.values()) this.workerSessions.touch(workerKey(w.app, w.workerId), now);
  }

  /** The image including this controller's not yet committed decisions. */
  get image(): MetadataImage {
    return this._image;
  }

  registerBroker(req: RegisterBrokerRequest, now: number): Decision<{ brokerEpoch: number }> {
    const d = this.commit(registerBroker(this._image, req));
    if (E.isRight(d)) {
      this.brokerSessions.touch(req.brokerId, now);
      this.shuttingDown.delete(req.brokerId);
    }
    return d;
  }

  brokerHeartbeat(req: BrokerHeartbeatRequest, now: number): Decision<BrokerHeartbeatResponse> {
    // A broker in controlled shutdown stays fenced until it registers again (as in
    // KRaft): a heartbeat it sent before asking to be fenced may arrive after.
    const shutting = this.shuttingDown.get(req.brokerId) === req.brokerEpoch;
    const d = this.commit(brokerHeartbeat(this._image, shutting ? { ...req, wantFence: true } : req));
    if (E.isRight(d)) {
      this.brokerSessions.touch(req.brokerId, now);
      if (req.wantFence) this.shuttingDown.set(req.brokerId, req.brokerEpoch);
    }
    return d;
  }

  /** The connection broker `brokerId` heartbeats on closed: it is fenced after the grace unless it heartbeats again. */
  brokerDisconnected(brokerId: number, now: number): void {
    this.brokerSessions.disconnected(brokerId, now, this.config.brokerDisconnectGraceMs ?? DEFAULT_BROKER_DISCONNECT_GRACE_MS);
  }

  registerController(req: RegisterControllerRequest): Decision<void> {
    return this.commit(registerController(this._image, req));
  }

  unregisterController(controllerId: number): Decision<void> {
    return this.commit(unregisterController(this._image, controllerId));
  }

  createTopic(req: CreateTopicRequest): Decision<{ topicId: number }> {
    return this.commit(createTopic(this._image, req, this.config.maxBrokerPartitions));
  }

  deleteTopic(name: string): Decision<{ topicId: number }> {
    return this.commit(deleteTopic(this._image, name));
  }

  createPartitions(req: CreatePartitionsRequest): Decision<{ topicId: number }> {
    return this.commit(createPartitions(this._image, req, this.config.maxBrokerPartitions));
  }

  alterTopicConfig(req: AlterTopicConfigRequest): Decision<{ topicId: number; config: Record<string, string> }> {
    return this.commit(alterTopicConfig(this._image, req));
  }

  alterAcls(req: AlterAclsRequest): Decision<AlterAclsRequest> {
    return this.commit(alterAcls(this._image, req));
  }

  alterScramCredentials(body: unknown): Decision<{ changes: number }> {
    return this.commit(alterScramCredentials(this._image, body));
  }

  alterPartition(req: AlterPartitionRequest): Decision<AlterPartitionResponse> {
    return this.commit(alterPartition(this._image, req));
  }

  /**
   * Join or heartbeat. The answer leaves out, for now, the tasks another live
   * worker still reports running (it was told to give them up and is
   * committing their work): the worker gets them once they are released, so
   * a task never runs in two places while its handover is in progress. A
   * worker holds what it reported and what it was last told it owns (it may
   * have started that before reporting it). A registered worker this
   * controller has not heard from yet (it just became active) may hold
   * anything: until every worker has reported (or expired), no task is handed
   * to a worker that does not already run it.
   */
  workerHeartbeat(req: WorkerHeartbeatRequest, now: number): Decision<WorkerAssignment> {
    const d = this.commit(workerHeartbeat(this._image, req));
    if (E.isLeft(d)) return d;
    const key = workerKey(req.app, req.workerId);
    this.workerSessions.touch(key, now);
    const mine = new Set(req.ownedTasks ?? []);
    this.workerHolds.set(key, mine);
    const held = this.heldElsewhere(req.app, req.workerId);
    const response = d.right.response;
    // What it runs already stays its own; the rest waits while anyone else may hold it.
    const active = response.active.filter((t) => mine.has(t.task) || (held !== 'anything' && !held.has(t.task)));
    this.workerGiven.set(key, new Set(active.map((t) => t.task)));
    if (active.length === response.active.length) return d;
    return E.right({ records: d.right.records, response: { ...response, active } });
  }

  /** Tasks registered workers of `app` other than `workerId` may still run ('anything' while one has not reported yet). */
  private heldElsewhere(app: string, workerId: string): Set<string> | 'anything' {
    const held = new Set<string>();
    for (const w of this._image.apps.get(app)?.workers.values() ?? []) {
      if (w.workerId === workerId) continue;
      const reported = this.workerHolds.get(workerKey(app, w.workerId));
      if (reported === undefined) return 'anything';
      for (const t of reported) held.add(t);
      for (const t of this.workerGiven.get(workerKey(app, w.workerId)) ?? []) held.add(t);
    }
    return held;
  }

  /** A worker leaves (graceful shutdown): it is unregistered and its tasks move now, not after its session times out. */
  workerLeave(req: { app: string; workerId: string; workerEpoch: number }): Decision<void> {
    const d = this.commit(expireWorker(this._image, req.app, req.workerId, req.workerEpoch));
    if (E.isRight(d)) {
      this.workerSessions.forget(workerKey(req.app, req.workerId));
      this.workerHolds.delete(workerKey(req.app, req.workerId));
      this.workerGiven.delete(workerKey(req.app, req.workerId));
    }
    return d;
  }

  /**
   * Every registered worker gets a fresh session: for a shell that finds it
   * was not running for a while (paused or starved), when the workers'
   * heartbeats may be waiting unread in its sockets.
   */
  renewWorkerSessions(now: number): void {
    for (const app of this._image.apps.values()) for (const w of app.workers.values()) this.workerSessions.touch(workerKey(w.app, w.workerId), now);
  }

  /**
   * Fences brokers and unregisters workers whose sessions expired by `now`:
   * one decision (one Raft entry) each, so each is atomic on its own.
   */
  expireSessions(now: number): (readonly MetadataRecord[])[] {
    const decisions: (readonly MetadataRecord[])[] = [];
    for (const brokerId of this.brokerSessions.expired(now)) {
      this.brokerSessions.forget(brokerId);
      const b = this._image.brokers.get(brokerId);
      if (b === undefined || b.fenced) continue;
      const d = this.commit(fenceBroker(this._image, brokerId, b.brokerEpoch));
      if (E.isRight(d) && d.right.records.length > 0) decisions.push(d.right.records);
    }
    for (const key of this.workerSessions.expired(now)) {
      this.workerSessions.forget(key);
      this.workerHolds.delete(key);
      this.workerGiven.delete(key);
      const [app, workerId] = JSON.parse(key) as [string, string];
      const w = this._image.apps.get(app)?.workers.get(workerId);
      if (w === undefined) continue;
      const d = this.commit(expireWorker(this._image, app, workerId, w.workerEpoch));
      if (E.isRight(d) && d.right.records.length > 0) decisions.push(d.right.records);
    }
    return decisions;
  }

  /** Accepted decisions take effect on the speculative image at once, so the next one builds on them. */
  private commit<R>(d: Decision<R>): Decision<R> {
    if (E.isRight(d)) this._image.applyAll(d.right.records);
    return d;
  }
}
