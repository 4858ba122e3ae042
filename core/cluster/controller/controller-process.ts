// A controller node: core/raft's RaftNode with the metadata journal as its state
// machine, and the controller RPC for brokers. When this node is the Raft
// leader and has applied every entry before its term, it holds the active
// QuorumController; it drops it on losing leadership (or when a proposal of its
// own is lost, since the speculative image then is wrong). Answers go out only
// once the decision's entry is applied here (RaftNode matches index and term).
import { checkAlterAcls } from './acl-admin';
import { lineLog, silentLogger, type Logger } from '../../logging';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import type { DirLock } from '../../log';
import { RaftNode } from '../../raft';
import { QuorumController, DEFAULT_BROKER_DISCONNECT_GRACE_MS, DEFAULT_CONTROLLER_CONFIG, type ControllerConfig } from './quorum-controller';
import type { Decision } from './decision';
import type { AlterTopicConfigRequest } from './topic-admin';
import type { ConfigOperation } from '../../broker';
import { encodeMetadataBatch } from '../metadata/codec';
import type { MetadataRecord } from '../metadata/records';
import { ErrorCode } from '../errors';
import type { ControllerAddress } from '../net/addresses';
import { ControllerMethod, encodeFeed, type ControllerAnswer, type DescribeQuorumAnswer, type FetchMetadataRequest } from './controller-protocol';
import { addController, checkAddController, checkRemoveController, removeController, type MembershipShell } from './controller-membership';
import { lockDataDir } from '../data-dir-lock';
import { MetadataJournal } from './metadata-journal';
import { RpcServer, type LinkSockets, type RpcMessage, type RpcPeer } from '../net/rpc';
import { InternalTls, type InternalTlsOptions } from '../net/internal-tls';
import type { Registry } from '../../metrics';
import { controllerGauges } from './controller-metrics';
import { checkWorkerHeartbeat, decideWorkerHeartbeat, type WorkerHeartbeatRpcRequest } from './worker-protocol';

export interface ControllerOptions {
  readonly nodeId: number;
  readonly controllers: readonly ControllerAddress[];
  readonly dataDir: string;
  readonly host?: string;
  readonly tickMs?: number;
  readonly config?: Partial<ControllerConfig>;
  /** Where its lines go (bindings: component controller, nodeId). Default: none. */
  readonly logger?: Logger;
  /**
   * This controller joins an existing quorum (`rill cluster add-controller`
   * adds it): it starts with an empty log and waits for the active controller,
   * instead of founding a quorum of `controllers`. Ignored once its log exists.
   */
  readonly join?: boolean;
  /** Where this controller's metrics go (active, Raft term, commit index, voters' lag, offline partitions). Absent: none. */
  readonly metrics?: Registry;
  /** Test hook: which other controllers this one's Raft messages reach (a controller-to-controller partition drops the rest). */
  readonly raftLinkFilter?: (to: number) => boolean;
  /** Mutual TLS on Raft between controllers and on the port brokers, workers and admin tools call; absent: plain TCP. */
  readonly internalTls?: InternalTlsOptions;
}

const EXPIRE_EVERY_MS = 100;

function controllerLogger(options: ControllerOptions): Logger {
  return (options.logger ?? silentLogger).child({ component: 'controller', nodeId: options.nodeId });
}
const FEED_LIMIT = 256;

export class ControllerProcess {
  private controller: QuorumController | undefined;
  /** The connection each broker's accepted heartbeats last came on: its close starts the broker's disconnect grace. */
  private readonly brokerPeers = new Map<number, RpcPeer>();
  private controllerTerm = 0;
  private lastTick = Date.now();
  private readonly timer: NodeJS.Timeout;
  /** Answers waiting for the applied index to reach theirs (decisions that proposed nothing). */
  private waiting: { index: number; term: number; answer: () => void; fail: () => void }[] = [];
  private readonly config: ControllerConfig;
  /** Membership changes waiting for a condition (checked every tick), bounded by their deadline. */
  private conditions: { done: () => boolean; deadline: number; term: number; resolve: (ok: boolean) => void }[] = [];
  /** Raft addresses of the controllers added after founding, as last given to the transport. */
  private readonly addedPeers = new Map<number, string>();
  /** The data directory's lock, held until stop(). */
  lock: DirLock | undefined;

  private readonly logger: Logger;

  private constructor(
    private readonly node: RaftNode<unknown>,
    private readonly journal: MetadataJournal,
    private rpc: RpcServer | undefined,
    private readonly options: ControllerOptions,
  ) {
    this.logger = controllerLogger(options);
    this.config = { ...DEFAULT_CONTROLLER_CONFIG, ...options.config };
    this.timer = setInterval(() => this.tick(), EXPIRE_EVERY_MS);
    journal.onApplied(() => {
      this.releaseWaiting();
      this.syncPeers();
    });
    this.syncPeers();
  }

  /** Added controllers are reached at the address the metadata log gives them (the founding ones at --controllers'). */
  private syncPeers(): void {
    for (const c of this.journal.image.controllers.values()) {
      if (c.controllerId === this.options.nodeId) continue;
      const address = `${c.host}:${c.port + 1}`;
      if (this.addedPeers.get(c.controllerId) === address) continue;
      this.addedPeers.set(c.controllerId, address);
      this.node.setPeer(c.controllerId, { host: c.host, port: c.port + 1 });
    }
  }

  static async start(options: ControllerOptions): Promise<E.Either<string, ControllerProcess>> {
    const me = options.controllers.find((c) => c.id === options.nodeId);
    if (me === undefined) return E.left(`node id ${options.nodeId} is not among the controllers [${options.controllers.map((c) => c.id)}]`);
    const logger = controllerLogger(options);
    let sockets: LinkSockets | undefined;
    try {
      sockets = options.internalTls && InternalTls.load(options.internalTls).sockets(lineLog(logger, 'warn'));
    } catch (e) {
      return E.left((e as Error).message);
    }
    const lock = lockDataDir(options.dataDir);
    if (E.isLeft(lock)) return lock;
    const journal = new MetadataJournal();
    const peers = new Map(options.controllers.filter((c) => c.id !== me.id).map((c) => [c.id, { host: c.host, port: c.raftPort }]));
    const started = await RaftNode.start<unknown>({
      id: me.id,
      dir: path.join(options.dataDir, 'metadata-raft'),
      stateMachine: journal,
      bootstrap: options.join ? undefined : options.controllers.map((c) => c.id),
      peers,
      host: options.host ?? me.host,
      port: me.raftPort,
      tickMs: options.tickMs ?? 50,
      linkFilter: options.raftLinkFilter,
      sockets,
    });
    if (E.isLeft(started)) {
      lock.right.release();
      return started;
    }
    const process = new ControllerProcess(started.right, journal, undefined, options);
    process.lock = lock.right;
    if (options.metrics) controllerGauges(options.metrics, process);
    try {
      process.rpc = await RpcServer.listen(
        me.port,
        options.host ?? me.host,
        (m, b, _blob, peer) => process.handle(m, b, peer),
        lineLog(process.logger, 'warn'),
        undefined,
        sockets,
      );
    } catch (e) {
      await process.stop();
      return E.left(`cannot listen for brokers on ${me.host}:${me.port}: ${(e as Error).message}`);
    }
    return E.right(process);
  }

  get raftStatus() {
    return this.node.status();
  }

  get image() {
    return this.journal.image;
  }

  describeQuorum(): DescribeQuorumAnswer {
    const s = this.node.status();
    const active = s.role === 'leader' && this.controller !== undefined && this.controllerTerm === s.term;
    const answer = {
      nodeId: this.options.nodeId,
      role: s.role,
      term: s.term,
      leader: s.leader,
      commitIndex: s.commit,
      appliedIndex: s.applied,
      lastIndex: s.lastIndex,
      active,
    };
    return s.role === 'leader' ? { ...answer, replication: this.node.replication() } : answer;
  }

  private log(m: string): void {
    this.logger.info(m);
  }

  /** The active controller, once this Raft leader has applied everything before its term. */
  private active(): QuorumController | undefined {
    const s = this.node.status();
    if (s.role !== 'leader') {
      if (this.controller !== undefined) this.log(`controller ${this.options.nodeId}: no longer active (term ${s.term})`);
      this.controller = undefined;
      return undefined;
    }
    if (this.controller !== undefined && this.controllerTerm === s.term) return this.controller;
    this.controller = undefined;
    if (s.applied !== s.lastIndex) return undefined;
    this.controller = new QuorumController(this.journal.image, Date.now(), this.config);
    this.controllerTerm = s.term;
    this.log(`controller ${this.options.nodeId}: active in term ${s.term}`);
    return this.controller;
  }

  private tick(): void {
    const controller = this.active();
    const now = Date.now();
    // This process did not run for half a worker session (paused, starved): heartbeats may be waiting unread; do not move every task for it.
    if (controller !== undefined && now - this.lastTick > this.config.workerSessionTimeoutMs / 2) controller.renewWorkerSessions(now);
    this.lastTick = now;
    if (controller !== undefined)
      for (const records of controller.expireSessions(now)) {
        for (const r of records)
          if (r.type === 'FenceBroker') this.log(`controller ${this.options.nodeId}: fenced broker ${r.brokerId} (epoch ${r.brokerEpoch}): its session ended`);
        void this.propose(records);
      }
    if (controller !== undefined) this.promoteCaughtUpLearner();
    this.releaseWaiting();
    this.checkConditions();
    this.warnLeaderless();
  }

  private leaderlessSince = Date.now();
  private lastLeaderlessWarning = 0;

  /** Says, every 10 s, that the quorum has no leader (a majority of the controllers is down or unreachable). */
  private warnLeaderless(): void {
    const now = Date.now();
    if (this.node.status().leader !== 0) {
      this.leaderlessSince = now;
      return;
    }
    if (now - this.leaderlessSince < 5000 || now - this.lastLeaderlessWarning < 10_000) return;
    this.lastLeaderlessWarning = now;
    const conf = this.node.conf();
    if (conf.voters.length === 0) {
      // Started with --join and not added yet: nobody sends it anything until then.
      const me = this.options.controllers.find((c) => c.id === this.options.nodeId)!;
      return this.log(
        `controller ${this.options.nodeId}: waiting to be added to the quorum for ${Math.round((now - this.leaderlessSince) / 1000)} s; run rill cluster add-controller --id ${me.id} --address ${me.host}:${me.port} --controllers <the current controllers>. Still waiting.`,
      );
    }
    const peers = this.options.controllers.filter((c) => c.id !== this.options.nodeId).map((c) => `${c.id}@${c.host}:${c.raftPort}`);
    this.log(
      `controller ${this.options.nodeId}: no quorum leader for ${Math.round((now - this.leaderlessSince) / 1000)} s; a majority of the ${this.options.controllers.length} controllers must be up and reach each other (Raft peers ${peers.join(', ')}). Still trying.`,
    );
  }

  /** A controller added as a learner becomes a voter once it holds everything committed (core/raft refuses before). */
  private promoteCaughtUpLearner(): void {
    for (const p of this.node.replication()) {
      if (!p.learner) continue;
      if (E.isRight(this.node.proposeConfChange({ type: 'addVoter', node: p.id })))
        return this.log(`controller ${this.options.nodeId}: controller ${p.id} caught up; promoting it to voter`);
    }
  }

  private checkConditions(): void {
    if (this.conditions.length === 0) return;
    const s = this.node.status();
    const now = Date.now();
    this.conditions = this.conditions.filter((c) => {
      if (c.done()) c.resolve(true);
      else if (now >= c.deadline || s.role !== 'leader' || s.term !== c.term) c.resolve(false);
      else return true;
      return false;
    });
  }

  private membershipShell(): MembershipShell {
    return {
      nodeId: this.options.nodeId,
      conf: () => this.node.conf(),
      replication: () => this.node.replication(),
      leader: () => this.node.status().leader,
      decide: (d) => this.decide(d),
      proposeConfChange: (cc) => this.node.proposeConfChange(cc),
      transferLeadership: (to) => this.node.transferLeadership(to),
      applied: (p) => new Promise((resolve) => this.waiting.push({ index: p.index, term: p.term, answer: () => resolve(true), fail: () => resolve(false) })),
      waitUntil: (done, ms) => new Promise((resolve) => this.conditions.push({ done, deadline: Date.now() + ms, term: this.node.status().term, resolve })),
    };
  }

  private releaseWaiting(): void {
    if (this.waiting.length === 0) return;
    const s = this.node.status();
    const still: typeof this.waiting = [];
    for (const w of this.waiting) {
      if (s.term !== w.term || s.role !== 'leader') w.fail();
      else if (s.applied >= w.index) w.answer();
      else still.push(w);
    }
    this.waiting = still;
  }

  /** Proposes one decision's records as one entry; true once it is applied here in this leader's term. */
  private async propose(records: readonly MetadataRecord[]): Promise<boolean> {
    if (records.length === 0) {
      // A decision made on the speculative image answers only once everything before it is committed.
      const s = this.node.status();
      return new Promise((resolve) => this.waiting.push({ index: s.lastIndex, term: s.term, answer: () => resolve(true), fail: () => resolve(false) }));
    }
    const r = await this.node.propose(encodeMetadataBatch(records));
    if (E.isLeft(r)) {
      // The speculative image assumed this entry: rebuild it from the committed one.
      this.controller = undefined;
      return false;
    }
    return true;
  }

  private async decide<R>(decide: (c: QuorumController) => Decision<R>): Promise<ControllerAnswer<R>> {
    const controller = this.active();
    const leaderHint = this.node.status().leader;
    if (controller === undefined) return { errorCode: ErrorCode.NOT_CONTROLLER, message: `controller ${this.options.nodeId} is not active`, leaderHint };
    const d = decide(controller);
    const records = E.isRight(d) ? d.right.records : [];
    if (!(await this.propose(records)))
      return { errorCode: ErrorCode.NOT_CONTROLLER, message: 'leadership changed before the decision committed; retry', leaderHint: this.node.status().leader };
    if (E.isLeft(d)) return { errorCode: d.left.code, message: d.left.message, leaderHint };
    return { errorCode: 0, leaderHint, response: d.right.response };
  }

  /** Ties broker `brokerId`'s session to `peer`: when that connection closes, the active controller fences it after the disconnect grace unless it heartbeats again. */
  private watchBrokerConnection(brokerId: number, peer: RpcPeer): void {
    if (this.brokerPeers.get(brokerId) === peer) return;
    this.brokerPeers.set(brokerId, peer);
    peer.onClose(() => {
      if (this.brokerPeers.get(brokerId) !== peer) return;
      this.brokerPeers.delete(brokerId);
      const controller = this.active();
      if (controller === undefined || controller.image.brokers.get(brokerId)?.fenced !== false) return;
      controller.brokerDisconnected(brokerId, Date.now());
      const grace = this.config.brokerDisconnectGraceMs ?? DEFAULT_BROKER_DISCONNECT_GRACE_MS;
      this.log(`controller ${this.options.nodeId}: broker ${brokerId}'s connection closed; it is fenced in ${grace} ms unless it heartbeats again`);
    });
  }

  /** A broker's accepted registration or heartbeat ties its session to the connection it came on. */
  private watchedBroker<R>(body: unknown, peer: RpcPeer | undefined, answer: ControllerAnswer<R>): ControllerAnswer<R> {
    const brokerId = (body as { brokerId?: unknown }).brokerId;
    if (answer.errorCode === 0 && peer !== undefined && typeof brokerId === 'number') this.watchBrokerConnection(brokerId, peer);
    return answer;
  }

  private async handle(method: string, body: unknown, peer?: RpcPeer): Promise<RpcMessage> {
    const now = Date.now();
    const b = body as never;
    switch (method) {
      case ControllerMethod.registerBroker:
        return { body: this.watchedBroker(body, peer, await this.decide((c) => c.registerBroker(b, now))) };
      case ControllerMethod.brokerHeartbeat:
        return { body: this.watchedBroker(body, peer, await this.decide((c) => c.brokerHeartbeat(b, now))) };
      case ControllerMethod.alterPartition:
        return { body: await this.decide((c) => c.alterPartition(b)) };
      case ControllerMethod.createTopic:
        return { body: await this.decide((c) => c.createTopic(b)) };
      case ControllerMethod.deleteTopic:
        return { body: await this.decide((c) => c.deleteTopic(topicName(body))) };
      case ControllerMethod.createPartitions:
        return { body: await this.decide((c) => c.createPartitions(b)) };
      case ControllerMethod.alterTopicConfig:
        return { body: await this.decide((c) => c.alterTopicConfig(alterTopicConfigRequest(body))) };
      case ControllerMethod.alterAcls: {
        const req = checkAlterAcls(body);
        if ('code' in req) return { body: { errorCode: req.code, message: req.message, leaderHint: this.node.status().leader } };
        return { body: await this.decide((c) => c.alterAcls(req)) };
      }
      case ControllerMethod.alterScramCredentials:
        return { body: await this.decide((c) => c.alterScramCredentials(body)) };
      case ControllerMethod.fetchMetadata: {
        const from = (body as Partial<FetchMetadataRequest> | null)?.fromIndex;
        if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) throw new Error('fetchMetadata needs a non-negative integer fromIndex');
        return encodeFeed(this.journal.feed(from, this.node.status().applied, FEED_LIMIT));
      }
      case ControllerMethod.workerHeartbeat: {
        const bad = checkWorkerHeartbeat(body);
        if (bad !== undefined) return { body: { errorCode: ErrorCode.INVALID_REQUEST, message: bad, leaderHint: this.node.status().leader } };
        return { body: await this.decide((c) => decideWorkerHeartbeat(c, body as WorkerHeartbeatRpcRequest, now)) };
      }
      case ControllerMethod.describeQuorum:
        return { body: this.describeQuorum() };
      case ControllerMethod.addController:
      case ControllerMethod.removeController: {
        const leaderHint = this.node.status().leader;
        if (this.active() === undefined)
          return { body: { errorCode: ErrorCode.NOT_CONTROLLER, message: `controller ${this.options.nodeId} is not active`, leaderHint } };
        if (method === ControllerMethod.addController) {
          const req = checkAddController(body);
          return {
            body: E.isLeft(req)
              ? { errorCode: ErrorCode.INVALID_REQUEST, message: req.left, leaderHint }
              : await addController(this.membershipShell(), req.right),
          };
        }
        const req = checkRemoveController(body);
        return {
          body: E.isLeft(req)
            ? { errorCode: ErrorCode.INVALID_REQUEST, message: req.left, leaderHint }
            : await removeController(this.membershipShell(), req.right),
        };
      }
      default:
        throw new Error(`unknown controller method "${method}"`);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const w of this.waiting) w.fail();
    this.waiting = [];
    for (const c of this.conditions) c.resolve(false);
    this.conditions = [];
    await this.rpc?.close();
    await this.node.stop();
    this.lock?.release();
  }
}

/** The topic name of a request naming one (a malformed body is answered as an error, not decided on). */
function topicName(body: unknown): string {
  const name = (body as { name?: unknown } | null)?.name;
  if (typeof name !== 'string') throw new Error('the request needs a topic name');
  return name;
}

/** alterTopicConfig's body: the new overrides (`config`) or operations on them (`ops`, IncrementalAlterConfigs). */
function alterTopicConfigRequest(body: unknown): AlterTopicConfigRequest {
  const name = topicName(body);
  const ops = (body as { ops?: unknown }).ops;
  if (ops === undefined) return { name, config: stringMap((body as { config?: unknown }).config) };
  const valid = (o: unknown): o is ConfigOperation => {
    const x = o as Partial<ConfigOperation> | null;
    return x !== null && typeof x === 'object' && typeof x.name === 'string' && Number.isInteger(x.op) && (x.value === null || typeof x.value === 'string');
  };
  if (!Array.isArray(ops) || !ops.every(valid)) throw new Error('the request needs config operations as { name, op, value } (value a string or null)');
  return { name, ops };
}

/** A config map of a request: string keys to string values (anything else is answered as an error, not decided on). */
function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Object.values(value).some((v) => typeof v !== 'string'))
    throw new Error('the request needs a config of string values');
  return value as Record<string, string>;
}
