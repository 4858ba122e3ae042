// A worker's membership in its application, kept with the active controller:
// it joins (epoch 0), heartbeats on its own timer (never waiting for
// processing, so a slow record cannot look like a dead worker), follows
// NOT_CONTROLLER hints and retries across the controllers, and hands each
// change of its assignment to one listener, one change at a time.
//
// Task epochs matter: a task this worker owns again under a new task epoch
// was owned by someone else in between, so it is handed over as revoked and
// added (its local state is stale). When the controller fences the worker
// (its session expired: its tasks moved), or when no heartbeat has succeeded
// for a whole session timeout, the worker drops every task first and then
// rejoins; the drop is always delivered, never coalesced away.
//
// Every heartbeat reports the tasks the worker runs, including those it is
// still revoking: the controller hands a moving task to its new owner only
// once the old owner stopped reporting it (cooperative handover).
import * as E from 'fp-ts/Either';
import { ErrorCode, errorName } from '../errors';
import type { ControllerAddress } from '../net/addresses';
import { ControllerClient } from '../controller/controller-client';
import { InternalTls, type InternalTlsOptions } from '../net/internal-tls';
import { ControllerMethod } from '../controller/controller-protocol';
import type { WorkerHeartbeatRpcRequest, WorkerHeartbeatRpcResponse } from '../controller/worker-protocol';

export interface WorkerMembershipOptions {
  readonly controllers: readonly ControllerAddress[];
  /** Mutual TLS to the controllers (their internal TLS); absent: plain TCP. Loaded when the membership is made. */
  readonly internalTls?: InternalTlsOptions;
  readonly app: string;
  readonly workerId: string;
  /** The application's input topics: its tasks are their partitions. */
  readonly inputTopics: readonly string[];
  readonly numStandbyReplicas?: number;
  /** Heartbeat period (default 500 ms); keep it well under the controller's worker session timeout. */
  readonly heartbeatIntervalMs?: number;
  /**
   * Without a successful heartbeat this long, drop every task: the controllers'
   * worker session timeout, which their answers carry (this is used until the
   * first answer; default 10 000 ms).
   */
  readonly sessionTimeoutMs?: number;
  /** Deadline of one request (default 2000 ms). */
  readonly requestTimeoutMs?: number;
  /** Pause before retrying a failed request at the next controller (default 100 ms). */
  readonly retryBackoffMs?: number;
  /** Told about every assignment change; awaited before the next one is delivered. */
  readonly onAssignment?: AssignmentListener;
  readonly log?: (m: string) => void;
}

export interface ActiveTask {
  readonly task: string;
  readonly taskEpoch: number;
}

export interface TaskAssignment {
  readonly workerEpoch: number;
  readonly generation: number;
  readonly active: readonly ActiveTask[];
  readonly standby: readonly string[];
}

export interface AssignmentChange {
  /** What the worker owns from now on. */
  readonly assignment: TaskAssignment;
  /** Active tasks newly owned (or owned again under a new task epoch): restore, then process. */
  readonly added: readonly ActiveTask[];
  /** Active tasks no longer owned (or whose task epoch changed): commit if still allowed, then close. */
  readonly revoked: readonly ActiveTask[];
  /**
   * The worker lost its membership (fenced, or out of touch for a session
   * timeout): the revoked tasks already belong to others, so their work must
   * not be committed.
   */
  readonly fenced: boolean;
}

export type AssignmentListener = (change: AssignmentChange) => Promise<void> | void;

const NOTHING: TaskAssignment = { workerEpoch: 0, generation: 0, active: [], standby: [] };

type Answer = { readonly ok: true; readonly assignment: TaskAssignment } | { readonly ok: false; readonly code: number; readonly error: string };

const sameTask = (a: ActiveTask, b: ActiveTask) => a.task === b.task && a.taskEpoch === b.taskEpoch;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WorkerMembership {
  private readonly client: ControllerClient;
  private epoch = 0;
  private latest: TaskAssignment = NOTHING;
  /** What the listener was last given. */
  private delivered: TaskAssignment = NOTHING;
  /** Tasks this worker runs now (reported with each heartbeat): a change's old and new tasks until its listener is done. */
  private holding: readonly string[] = [];
  /** A drop of every task is owed to the listener (fencing): delivered before anything newer. */
  private dropOwed = false;
  private delivering: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private paused = false;
  private closed = false;
  private lastSuccess = 0;
  /** Tasks were released: tell the controller at once, their next owner is waiting. */
  private releaseOwed = false;
  private readonly interval: number;
  private sessionTimeout: number;
  private readonly requestTimeout: number;
  private readonly backoff: number;
  private settledWaiters: (() => void)[] = [];

  constructor(private readonly options: WorkerMembershipOptions) {
    if (options.controllers.length === 0) throw new Error('WorkerMembership needs at least one controller');
    // A bad file throws here, before the worker joins.
    const sockets = options.internalTls && InternalTls.load(options.internalTls).sockets((m) => options.log?.(m));
    this.client = new ControllerClient(options.controllers, 0, undefined, sockets);
    this.interval = options.heartbeatIntervalMs ?? 500;
    this.sessionTimeout = options.sessionTimeoutMs ?? 10_000;
    this.requestTimeout = options.requestTimeoutMs ?? 2000;
    this.backoff = options.retryBackoffMs ?? 100;
  }

  /** The assignment as the controller last stated it. */
  get assignment(): TaskAssignment {
    return this.latest;
  }

  /** This worker's epoch (0: not a member). */
  get workerEpoch(): number {
    return this.epoch;
  }

  /**
   * Joins, retrying across the controllers until `timeoutMs` passes, then
   * heartbeats until leave() or stop(). Left: no controller accepted the join
   * in time (the sentence names the controllers and the last error).
   */
  async start(timeoutMs = 15_000): Promise<E.Either<string, TaskAssignment>> {
    if (this.running || this.closed) throw new Error('WorkerMembership.start() is called once');
    const deadline = Date.now() + timeoutMs;
    let lastError = 'no answer';
    while (!this.closed) {
      const a = await this.request({ leave: false }, Math.max(1, Math.min(this.requestTimeout, deadline - Date.now())));
      if (a.ok) {
        this.accept(a.assignment);
        this.running = true;
        this.schedule(this.interval);
        return E.right(a.assignment);
      }
      lastError = a.error;
      // A refusal other than "not the controller" or an unreachable one will not go away by retrying.
      if (a.code !== ErrorCode.NOT_CONTROLLER) break;
      if (Date.now() + this.backoff >= deadline) break;
      await pause(this.backoff);
    }
    this.client.close();
    this.closed = true;
    const where = this.options.controllers.map((c) => `${c.id}@${c.host}:${c.port}`).join(',');
    return E.left(
      `worker ${this.options.workerId} of ${this.options.app} could not join through the controllers ${where} within ${timeoutMs} ms: ${lastError}`,
    );
  }

  /** Resolves once the listener has been given the assignment the controller last stated. */
  async settled(): Promise<void> {
    while (this.delivering || this.dropOwed || !sameAssignment(this.delivered, this.latest)) {
      await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    }
  }

  /** Stops heartbeating for a while (its session may expire meanwhile); for tests and maintenance. */
  pauseHeartbeats(): void {
    this.paused = true;
  }

  resumeHeartbeats(): void {
    this.paused = false;
  }

  /**
   * Graceful exit: stops heartbeating and tells the controller, so the tasks
   * move at once (their work should be committed before). Bounded by the
   * request timeout; a controller that cannot be reached leaves it to expiry.
   */
  async leave(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    await this.inFlight;
    if (this.epoch > 0) {
      const deadline = Date.now() + this.requestTimeout;
      for (;;) {
        const a = await this.request({ leave: true }, Math.max(1, deadline - Date.now()));
        if (a.ok || a.code !== ErrorCode.NOT_CONTROLLER || Date.now() + this.backoff >= deadline) {
          if (!a.ok && a.code === ErrorCode.FENCED_MEMBER_EPOCH) this.log(`worker ${this.options.workerId}: had already lost its membership (${a.error})`);
          else if (!a.ok) this.log(`worker ${this.options.workerId}: leave not confirmed (${a.error}); its tasks move when its session expires`);
          break;
        }
        await pause(this.backoff);
      }
    }
    this.epoch = 0;
    this.client.close();
    await this.delivering;
  }

  /** Stops heartbeating without leaving (as a crash would): the tasks move when the session expires. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    await this.inFlight;
    this.client.close();
    await this.delivering;
  }

  // ------------------------------------------------------------ internals

  private log(m: string): void {
    this.options.log?.(m);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.beat().finally(() => (this.inFlight = undefined));
    }, ms);
  }

  /** One heartbeat round; schedules the next. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    if (this.paused) return this.schedule(this.interval);
    this.releaseOwed = false;
    const a = await this.request({ leave: false }, this.requestTimeout);
    if (this.closed) return;
    if (a.ok) {
      this.accept(a.assignment);
      return this.schedule(this.releaseOwed ? 0 : this.interval);
    }
    if (a.code === ErrorCode.FENCED_MEMBER_EPOCH) {
      this.log(`worker ${this.options.workerId} of ${this.options.app}: fenced (${a.error}); dropping its tasks and rejoining`);
      this.fence();
      return this.schedule(0);
    }
    if (Date.now() - this.lastSuccess > this.sessionTimeout && (this.latest.active.length > 0 || this.latest.standby.length > 0)) {
      this.log(
        `worker ${this.options.workerId} of ${this.options.app}: no heartbeat answered for ${this.sessionTimeout} ms (${a.error}); dropping its tasks until it is back`,
      );
      this.fence();
    }
    this.schedule(a.code === ErrorCode.NOT_CONTROLLER ? this.backoff : this.interval);
  }

  private fence(): void {
    this.epoch = 0;
    this.latest = NOTHING;
    this.dropOwed = true;
    this.deliver();
  }

  private async request(extra: { leave: boolean }, timeoutMs: number): Promise<Answer> {
    const body: WorkerHeartbeatRpcRequest = {
      app: this.options.app,
      workerId: this.options.workerId,
      workerEpoch: this.epoch,
      inputTopics: this.options.inputTopics,
      numStandbyReplicas: this.options.numStandbyReplicas ?? 0,
      ownedTasks: this.holding,
      ...(extra.leave ? { leave: true } : {}),
    };
    const answer = await this.client.call<WorkerHeartbeatRpcResponse>(ControllerMethod.workerHeartbeat, body, timeoutMs);
    if (answer.errorCode !== 0 || answer.response === undefined) {
      const name = errorName(answer.errorCode) ?? `error ${answer.errorCode}`;
      return { ok: false, code: answer.errorCode, error: `${name}${answer.message ? `: ${answer.message}` : ''}` };
    }
    this.lastSuccess = Date.now();
    const { sessionTimeoutMs, ...assignment } = answer.response;
    if (typeof sessionTimeoutMs === 'number' && sessionTimeoutMs > 0) this.sessionTimeout = sessionTimeoutMs;
    return { ok: true, assignment };
  }

  private accept(a: TaskAssignment): void {
    this.epoch = a.workerEpoch;
    const changed = !sameAssignment(a, this.latest);
    this.latest = a;
    if (changed) this.deliver();
  }

  /** Hands the listener what changed, one change at a time, the owed drop first. */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = (async () => {
      for (;;) {
        const fenced = this.dropOwed;
        const target = fenced ? NOTHING : this.latest;
        this.dropOwed = false;
        if (!fenced && sameAssignment(target, this.delivered)) break;
        const before = this.delivered;
        const added = target.active.filter((t) => !before.active.some((b) => sameTask(b, t)));
        const revoked = before.active.filter((b) => !target.active.some((t) => sameTask(b, t)));
        this.delivered = target;
        if (fenced && before.active.length === 0 && before.standby.length === 0) continue;
        this.holding = [...new Set([...before.active, ...target.active].map((t) => t.task))].sort();
        try {
          await this.options.onAssignment?.({ assignment: target, added, revoked, fenced });
        } catch (e) {
          this.log(`worker ${this.options.workerId} of ${this.options.app}: the assignment listener failed: ${(e as Error).message}`);
        }
        this.holding = target.active.map((t) => t.task).sort();
        if (revoked.length > 0 && this.running && !this.closed) {
          this.releaseOwed = true;
          if (this.inFlight === undefined) this.schedule(0);
        }
      }
    })().finally(() => {
      this.delivering = undefined;
      // A change that arrived between the loop's last check and here.
      if (this.dropOwed || !sameAssignment(this.delivered, this.latest)) this.deliver();
      this.settledWaiters.splice(0).forEach((w) => w());
    });
  }
}

/** Same tasks under the same task epochs, same standbys (the generation alone does not matter to a worker). */
export function sameAssignment(a: TaskAssignment, b: TaskAssignment): boolean {
  const key = (x: TaskAssignment) => JSON.stringify([x.active.map((t) => `${t.task}@${t.taskEpoch}`).sort(), [...x.standby].sort()]);
  return key(a) === key(b);
}

/** The partition number of a task ("topic-partition"), or undefined when the name has none. */
export function taskPartition(task: string): number | undefined {
  const m = /-(\d+)$/.exec(task);
  return m === null ? undefined : Number(m[1]);
}
