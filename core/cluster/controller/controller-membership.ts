// Adding and removing controllers (`rill cluster add-controller` /
// `remove-controller`), one server at a time through core/raft's configuration
// changes, decided by the active controller:
// - add: the new controller's address goes into the metadata log first (so
//   every controller, restarted ones too, can reach it), then it joins as a
//   learner; the active controller promotes it to voter once it has caught up
//   (ControllerProcess's tick), and the answer waits for that, within a bound.
// - remove: the controller leaves the Raft configuration, then its address is
//   forgotten. The active controller never removes itself: it hands
//   leadership to the most caught-up voter and says NOT_CONTROLLER, so the
//   request is retried there (the client follows the hint).
// Membership is core/raft's (persisted in its log and snapshots), so restarts
// keep it.
import * as E from 'fp-ts/Either';
import type { ConfChange, ConfState, ProposalAccepted, ReplicationStatus } from '../../raft';
import type { QuorumController } from './quorum-controller';
import type { Decision } from './decision';
import { ErrorCode } from '../errors';
import { parseControllers, type ControllerAddress } from '../net/addresses';
import { readMetadataImage } from './metadata-reader';
import type { LinkSockets } from '../net/rpc';
import { ControllerClient } from './controller-client';
import { ControllerMethod, type ControllerAnswer } from './controller-protocol';

export interface AddControllerRequest {
  readonly id: number;
  readonly host: string;
  /** Its controller RPC port; Raft is on port + 1. */
  readonly port: number;
  /** How long to wait for it to catch up and become a voter before answering. */
  readonly waitMs: number;
}

export interface RemoveControllerRequest {
  readonly id: number;
}

/** The quorum after a change. */
export interface QuorumMembers {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

const MAX_WAIT_MS = 600_000;

export function checkAddController(body: unknown): E.Either<string, AddControllerRequest> {
  const b = body as Partial<AddControllerRequest> | null;
  if (b === null || typeof b !== 'object') return E.left('addController needs {id, host, port}');
  if (typeof b.id !== 'number' || typeof b.host !== 'string' || typeof b.port !== 'number')
    return E.left('addController needs a numeric id, a host and a numeric port');
  const parsed = parseControllers(`${b.id}@${b.host}:${b.port}`);
  if (E.isLeft(parsed)) return parsed;
  const waitMs = b.waitMs ?? 0;
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS)
    return E.left(`waitMs must be an integer in 0..${MAX_WAIT_MS}`);
  return E.right({ id: b.id, host: b.host, port: b.port, waitMs });
}

export function checkRemoveController(body: unknown): E.Either<string, RemoveControllerRequest> {
  const id = (body as Partial<RemoveControllerRequest> | null)?.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) return E.left('removeController needs a controller id of 1 or more');
  return E.right({ id });
}

/** What the membership flow needs from the active controller's process. */
export interface MembershipShell {
  readonly nodeId: number;
  conf(): ConfState;
  replication(): ReplicationStatus[];
  leader(): number;
  decide<R>(decide: (c: QuorumController) => Decision<R>): Promise<ControllerAnswer<R>>;
  proposeConfChange(cc: ConfChange): E.Either<string, ProposalAccepted>;
  transferLeadership(to: number): E.Either<string, void>;
  /** True once the entry is applied here while this node still leads in its term. */
  applied(p: ProposalAccepted): Promise<boolean>;
  /** True once `done()` holds; false when `ms` pass first or leadership is lost. */
  waitUntil(done: () => boolean, ms: number): Promise<boolean>;
}

const members = (conf: ConfState): QuorumMembers => ({ voters: conf.voters, learners: conf.learners });

function refused<R>(shell: MembershipShell, code: number, message: string): ControllerAnswer<R> {
  return { errorCode: code, message, leaderHint: shell.leader() };
}

const lostLeadership = <R>(shell: MembershipShell) => refused<R>(shell, ErrorCode.NOT_CONTROLLER, 'leadership changed before the change was applied; retry');

/** A change core/raft refused (another change in progress, a learner still catching up, ...), said as such. */
function proposeChange(shell: MembershipShell, cc: ConfChange): E.Either<ControllerAnswer<QuorumMembers>, ProposalAccepted> {
  const p = shell.proposeConfChange(cc);
  return E.isLeft(p)
    ? E.left(refused(shell, ErrorCode.INVALID_REQUEST, `cannot ${cc.type === 'removeNode' ? 'remove' : 'add'} controller ${cc.node}: ${p.left}`))
    : p;
}

export async function addController(shell: MembershipShell, req: AddControllerRequest): Promise<ControllerAnswer<QuorumMembers>> {
  if (shell.conf().voters.includes(req.id)) return { errorCode: 0, leaderHint: shell.leader(), response: members(shell.conf()) };
  const registered = await shell.decide((c) => c.registerController({ controllerId: req.id, host: req.host, port: req.port }));
  if (registered.errorCode !== 0) return { ...registered, response: undefined };
  if (!shell.conf().learners.includes(req.id)) {
    const p = proposeChange(shell, { type: 'addLearner', node: req.id });
    if (E.isLeft(p)) return p.left;
    if (!(await shell.applied(p.right))) return lostLeadership(shell);
  }
  // The tick promotes it once it has caught up.
  if (await shell.waitUntil(() => shell.conf().voters.includes(req.id), req.waitMs))
    return { errorCode: 0, leaderHint: shell.leader(), response: members(shell.conf()) };
  if (shell.leader() !== shell.nodeId) return lostLeadership(shell);
  const p = shell.replication().find((r) => r.id === req.id);
  const where =
    p === undefined
      ? ''
      : ` (it holds the log up to ${p.match}, ${p.lag} behind; last heard from ${p.lastAckMsAgo === null ? 'never' : `${p.lastAckMsAgo} ms ago`})`;
  return refused(
    shell,
    ErrorCode.REQUEST_TIMED_OUT,
    `controller ${req.id} joined as a learner but did not catch up within ${req.waitMs} ms${where}; it becomes a voter once it has. Is it running (rill broker --controller --join), and can this controller reach ${req.host}:${req.port + 1}?`,
  );
}

export async function removeController(shell: MembershipShell, req: RemoveControllerRequest): Promise<ControllerAnswer<QuorumMembers>> {
  const conf = shell.conf();
  if (req.id === shell.nodeId) {
    // Hand over first: a leader that removed itself would step down with the answer unsent.
    // To the most caught-up voter; of equals, the one heard from last (a dead one would stall the handover).
    const heard = (ms: number | null) => ms ?? Number.MAX_SAFE_INTEGER;
    const to = shell
      .replication()
      .filter((p) => !p.learner && p.id !== shell.nodeId && conf.voters.includes(p.id))
      .sort((a, b) => b.match - a.match || heard(a.lastAckMsAgo) - heard(b.lastAckMsAgo))[0];
    if (to === undefined) return refused(shell, ErrorCode.INVALID_REQUEST, `controller ${req.id} is the only voter; add another controller before removing it`);
    const t = shell.transferLeadership(to.id);
    if (E.isLeft(t)) return refused(shell, ErrorCode.INVALID_REQUEST, `cannot hand leadership over before removing controller ${req.id}: ${t.left}`);
    return {
      errorCode: ErrorCode.NOT_CONTROLLER,
      message: `controller ${req.id} is active; it hands leadership to controller ${to.id}, which removes it (retry there)`,
      leaderHint: to.id,
    };
  }
  if (conf.voters.includes(req.id) || conf.learners.includes(req.id)) {
    const p = proposeChange(shell, { type: 'removeNode', node: req.id });
    if (E.isLeft(p)) return p.left;
    if (!(await shell.applied(p.right))) return lostLeadership(shell);
  }
  const forgotten = await shell.decide((c) => c.unregisterController(req.id));
  if (forgotten.errorCode !== 0) return { ...forgotten, response: undefined };
  return { errorCode: 0, leaderHint: shell.leader(), response: members(shell.conf()) };
}

/** How long reading the added controllers' addresses from one controller may take. */
const LEARN_TIMEOUT_MS = 2000;

/** Time left for the answer to arrive after the active controller stops waiting for a new controller to catch up. */
const ANSWER_MARGIN_MS = 1000;

/** Adds controller `id` (running with --join at `host:port`); answers once it votes, or when `timeoutMs` is nearly spent. */
export function requestAddController(
  controllers: readonly ControllerAddress[],
  req: Omit<AddControllerRequest, 'waitMs'>,
  timeoutMs: number,
  sockets?: LinkSockets,
): Promise<ControllerAnswer<QuorumMembers>> {
  return changeQuorum(controllers, ControllerMethod.addController, { ...req, waitMs: Math.max(0, timeoutMs - ANSWER_MARGIN_MS) }, timeoutMs, sockets);
}

export function requestRemoveController(
  controllers: readonly ControllerAddress[],
  id: number,
  timeoutMs: number,
  sockets?: LinkSockets,
): Promise<ControllerAnswer<QuorumMembers>> {
  return changeQuorum(controllers, ControllerMethod.removeController, { id }, timeoutMs, sockets);
}

/**
 * Sends a membership change to the active controller, following NOT_CONTROLLER
 * hints (and a leadership handover) until one answers otherwise or `timeoutMs`
 * passes.
 */
async function changeQuorum(
  controllers: readonly ControllerAddress[],
  method: string,
  body: unknown,
  timeoutMs: number,
  sockets: LinkSockets | undefined,
): Promise<ControllerAnswer<QuorumMembers>> {
  const client = new ControllerClient(controllers, 0, undefined, sockets);
  const deadline = Date.now() + timeoutMs;
  try {
    // The active controller may be one added since the list was written: the metadata log has its address.
    for (const c of controllers) {
      const read = await readMetadataImage(c, Math.max(1, Math.min(LEARN_TIMEOUT_MS, deadline - Date.now())), sockets);
      if (E.isRight(read)) {
        client.learn(read.right.image.controllers.values());
        break;
      }
    }
    let last: ControllerAnswer<QuorumMembers> = { errorCode: ErrorCode.NOT_CONTROLLER, message: 'no controller answered', leaderHint: 0 };
    for (let left = timeoutMs; left > 0; left = deadline - Date.now()) {
      last = await client.call<QuorumMembers>(method, body, left);
      if (last.errorCode !== ErrorCode.NOT_CONTROLLER) return last;
      // An election or a handover is under way: give it a moment.
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, deadline - Date.now()))));
    }
    return { ...last, message: `no active controller took the change within ${timeoutMs} ms (last answer: ${last.message ?? 'none'})` };
  } finally {
    client.close();
  }
}
