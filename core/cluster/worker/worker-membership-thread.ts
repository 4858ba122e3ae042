// A worker's membership run on its own thread (Kafka's heartbeat thread,
// KIP-62): the heartbeats to the controllers go on while the worker's main
// thread is busy, even inside a synchronous user function that runs longer
// than the session timeout, so a slow record never causes a rebalance.
//
// The thread runs a plain WorkerMembership. Each assignment change crosses to
// the main thread as a message, and the thread's listener resolves only once
// the main thread says it has applied it, so the thread keeps reporting the
// tasks being handed over until they are really released (the cooperative
// handover of worker-membership.ts holds across threads).
//
// A main thread that is stuck for good must still lose its tasks: it says it
// is alive every second, and when it has not for maxPollIntervalMs (Kafka's
// max.poll.interval.ms, default 5 minutes) the thread stops heartbeating, so
// the controller moves the tasks after the session timeout; once the main
// thread answers again the heartbeats resume, the controller says the worker
// was fenced, and the worker drops its tasks and rejoins.
//
// The thread loads this very file (the source module, or the bundle it was
// built into, which then starts the thread side instead of its usual work: see
// isMembershipThread). Under a runner that cannot load the source file in a
// new thread (TypeScript sources without a require hook, as under jest), the
// membership runs on the calling thread instead.
import * as Module from 'node:module';
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import * as E from 'fp-ts/Either';
import { sameAssignment, WorkerMembership, type AssignmentChange, type TaskAssignment, type WorkerMembershipOptions } from './worker-membership';

export interface ThreadedMembershipOptions extends WorkerMembershipOptions {
  /** Without a sign of life from the main thread this long, stop heartbeating (default 300 000 ms). */
  readonly maxPollIntervalMs?: number;
}

/** What the worker command needs of a membership, on whichever thread it runs. */
export interface Membership {
  readonly workerEpoch: number;
  readonly assignment: TaskAssignment;
  start(timeoutMs?: number): Promise<E.Either<string, TaskAssignment>>;
  leave(): Promise<void>;
  stop(): Promise<void>;
}

const THREAD_KIND = 'rill.worker-membership';
const ALIVE_EVERY_MS = 1000;
const DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;
const NOTHING: TaskAssignment = { workerEpoch: 0, generation: 0, active: [], standby: [] };

type PlainOptions = Omit<ThreadedMembershipOptions, 'onAssignment' | 'log'>;
type ToThread = { t: 'start'; timeoutMs: number } | { t: 'applied'; id: number } | { t: 'alive' } | { t: 'leave' } | { t: 'stop' };
type FromThread =
  | { t: 'started'; result: { ok: true; assignment: TaskAssignment } | { ok: false; error: string } }
  | { t: 'change'; id: number; change: AssignmentChange }
  | { t: 'state'; workerEpoch: number; assignment: TaskAssignment }
  | { t: 'log'; m: string }
  | { t: 'done' };

/** A membership whose heartbeats run on their own thread when this runtime can start one here, else on this thread. */
export function startableMembership(options: ThreadedMembershipOptions): Membership {
  return canLoadInThread() ? new ThreadedWorkerMembership(options) : new WorkerMembership(options);
}

/** A new thread can load this file: it is JavaScript, or TypeScript with a require hook the thread inherits. */
function canLoadInThread(): boolean {
  if (!__filename.endsWith('.ts')) return true;
  const extensions = (Module as unknown as { _extensions?: Record<string, unknown> })._extensions;
  return extensions?.['.ts'] !== undefined;
}

/** True in a thread started by ThreadedWorkerMembership (the bundle's entry point checks it before doing its own work). */
export function isMembershipThread(): boolean {
  return !isMainThread && (workerData as { kind?: string } | null)?.kind === THREAD_KIND;
}

export class ThreadedWorkerMembership implements Membership {
  private readonly thread: Worker;
  private epoch = 0;
  private latest: TaskAssignment = NOTHING;
  private readonly alive: NodeJS.Timeout;
  private started: ((r: E.Either<string, TaskAssignment>) => void) | undefined;
  private finished: (() => void) | undefined;
  private exited = false;

  constructor(private readonly options: ThreadedMembershipOptions) {
    const { onAssignment: _listener, log: _log, ...plain } = options;
    const data: { kind: string; options: PlainOptions } = { kind: THREAD_KIND, options: plain };
    this.thread = new Worker(__filename, { workerData: data });
    this.thread.on('message', (m: FromThread) => void this.onMessage(m));
    this.thread.on('error', (e) => this.log(`worker ${options.workerId}: membership thread failed: ${e.message}`));
    this.thread.on('exit', () => {
      this.exited = true;
      this.started?.(E.left(`worker ${options.workerId}: the membership thread exited`));
      this.finished?.();
    });
    // The sign of life: sent from this thread's event loop, so it stops when this thread is stuck.
    this.alive = setInterval(() => this.post({ t: 'alive' }), ALIVE_EVERY_MS);
    this.alive.unref();
  }

  get workerEpoch(): number {
    return this.epoch;
  }

  get assignment(): TaskAssignment {
    return this.latest;
  }

  start(timeoutMs = 15_000): Promise<E.Either<string, TaskAssignment>> {
    return new Promise((resolve) => {
      this.started = resolve;
      this.post({ t: 'start', timeoutMs });
    });
  }

  leave(): Promise<void> {
    return this.finish('leave');
  }

  stop(): Promise<void> {
    return this.finish('stop');
  }

  private async finish(how: 'leave' | 'stop'): Promise<void> {
    clearInterval(this.alive);
    if (!this.exited) {
      await new Promise<void>((resolve) => {
        this.finished = resolve;
        this.post({ t: how });
      });
    }
    this.epoch = 0;
    await this.thread.terminate();
  }

  private post(m: ToThread): void {
    if (!this.exited) this.thread.postMessage(m);
  }

  private log(m: string): void {
    this.options.log?.(m);
  }

  private async onMessage(m: FromThread): Promise<void> {
    switch (m.t) {
      case 'started':
        this.started?.(m.result.ok ? E.right(m.result.assignment) : E.left(m.result.error));
        this.started = undefined;
        return;
      case 'state':
        this.epoch = m.workerEpoch;
        this.latest = m.assignment;
        return;
      case 'change':
        try {
          await this.options.onAssignment?.(m.change);
        } finally {
          this.post({ t: 'applied', id: m.id });
        }
        return;
      case 'log':
        this.log(m.m);
        return;
      case 'done':
        this.finished?.();
        this.finished = undefined;
        return;
    }
  }
}

/** The thread side: a WorkerMembership whose listener is the main thread. */
function runMembershipThread(port: MessagePort, options: PlainOptions): void {
  const maxPollIntervalMs = options.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS;
  const post = (m: FromThread) => port.postMessage(m);
  const log = (m: string) => post({ t: 'log', m });
  const applied = new Map<number, () => void>();
  let nextChange = 1;
  const membership = new WorkerMembership({
    ...options,
    log,
    onAssignment: (change) =>
      new Promise<void>((resolve) => {
        const id = nextChange++;
        applied.set(id, resolve);
        post({ t: 'change', id, change });
      }),
  });
  let lastAlive = Date.now();
  let unresponsive = false;
  let reported: TaskAssignment | undefined;
  const watch = setInterval(
    () => {
      if (reported === undefined || !sameAssignment(membership.assignment, reported) || membership.workerEpoch !== reported.workerEpoch) {
        reported = membership.assignment;
        post({ t: 'state', workerEpoch: membership.workerEpoch, assignment: membership.assignment });
      }
      if (!unresponsive && Date.now() - lastAlive > maxPollIntervalMs) {
        unresponsive = true;
        membership.pauseHeartbeats();
        log(
          `worker ${options.workerId}: processing has not answered for ${maxPollIntervalMs} ms (max.poll.interval.ms); heartbeats stop, so its tasks move to other workers`,
        );
      }
    },
    Math.min(options.heartbeatIntervalMs ?? 500, ALIVE_EVERY_MS),
  );
  const finish = async (how: 'leave' | 'stop') => {
    clearInterval(watch);
    await (how === 'leave' ? membership.leave() : membership.stop());
    post({ t: 'done' });
  };
  port.on('message', async (m: ToThread) => {
    switch (m.t) {
      case 'start': {
        const r = await membership.start(m.timeoutMs);
        post({ t: 'state', workerEpoch: membership.workerEpoch, assignment: membership.assignment });
        post({ t: 'started', result: E.isRight(r) ? { ok: true, assignment: r.right } : { ok: false, error: r.left } });
        return;
      }
      case 'applied':
        applied.get(m.id)?.();
        applied.delete(m.id);
        return;
      case 'alive':
        lastAlive = Date.now();
        if (unresponsive) {
          unresponsive = false;
          membership.resumeHeartbeats();
          log(`worker ${options.workerId}: processing answers again; heartbeats resume (the controller may have fenced this worker meanwhile)`);
        }
        return;
      case 'leave':
      case 'stop':
        await finish(m.t);
        return;
    }
  });
}

if (isMembershipThread()) runMembershipThread(parentPort!, (workerData as { options: PlainOptions }).options);
