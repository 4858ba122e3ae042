// A controller node: core/raft's RaftNode with the metadata journal as its state
// machine, and the controller RPC for brokers. When this node is the Raft
// leader and has applied every entry before its term, it holds the active
// QuorumController; it drops it on losing leadership (or when a proposal of its
// own is lost, since the speculative image then is wrong). Answers go out only
// once the decision's entry is applied here (RaftNode matches index and term).
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { RaftNode } from '../../raft';
import { QuorumController, DEFAULT_CONTROLLER_CONFIG, type ControllerConfig } from '../controller/quorum-controller';
import type { Decision } from '../controller/decision';
import { encodeRecordBatch } from '../metadata/codec';
import type { MetadataRecord } from '../metadata/records';
import { ClusterErrorCode } from '../errors';
import type { ControllerAddress } from './addresses';
import { ControllerMethod, encodeFeed, type ControllerAnswer, type FetchMetadataRequest } from './controller-protocol';
import { MetadataJournal } from './metadata-journal';
import { RpcServer, type RpcMessage } from './rpc';

export interface ControllerOptions {
  readonly nodeId: number;
  readonly controllers: readonly ControllerAddress[];
  readonly dataDir: string;
  readonly host?: string;
  readonly tickMs?: number;
  readonly config?: Partial<ControllerConfig>;
  readonly log?: (m: string) => void;
}

const EXPIRE_EVERY_MS = 100;
const FEED_LIMIT = 256;

export class ControllerProcess {
  private controller: QuorumController | undefined;
  private controllerTerm = 0;
  private readonly timer: NodeJS.Timeout;
  /** Answers waiting for the applied index to reach theirs (decisions that proposed nothing). */
  private waiting: { index: number; term: number; answer: () => void; fail: () => void }[] = [];
  private readonly config: ControllerConfig;

  private constructor(
    private readonly node: RaftNode<unknown>,
    private readonly journal: MetadataJournal,
    private rpc: RpcServer | undefined,
    private readonly options: ControllerOptions,
  ) {
    this.config = { ...DEFAULT_CONTROLLER_CONFIG, ...options.config };
    this.timer = setInterval(() => this.tick(), EXPIRE_EVERY_MS);
    journal.onApplied(() => this.releaseWaiting());
  }

  static async start(options: ControllerOptions): Promise<E.Either<string, ControllerProcess>> {
    const me = options.controllers.find((c) => c.id === options.nodeId);
    if (me === undefined) return E.left(`node id ${options.nodeId} is not among the controllers [${options.controllers.map((c) => c.id)}]`);
    const journal = new MetadataJournal();
    const peers = new Map(options.controllers.filter((c) => c.id !== me.id).map((c) => [c.id, { host: c.host, port: c.raftPort }]));
    const started = await RaftNode.start<unknown>({
      id: me.id,
      dir: path.join(options.dataDir, 'metadata-raft'),
      stateMachine: journal,
      bootstrap: options.controllers.map((c) => c.id),
      peers,
      host: options.host ?? me.host,
      port: me.raftPort,
      tickMs: options.tickMs ?? 50,
    });
    if (E.isLeft(started)) return started;
    const process = new ControllerProcess(started.right, journal, undefined, options);
    try {
      process.rpc = await RpcServer.listen(me.port, options.host ?? me.host, (m, b) => process.handle(m, b), (m) => process.log(m));
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

  private log(m: string): void {
    this.options.log?.(m);
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
    if (controller !== undefined) for (const records of controller.expireSessions(Date.now())) void this.propose(records);
    this.releaseWaiting();
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
    const r = await this.node.propose(encodeRecordBatch(records));
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
    if (controller === undefined) return { errorCode: ClusterErrorCode.NOT_CONTROLLER, message: `controller ${this.options.nodeId} is not active`, leaderHint };
    const d = decide(controller);
    const records = E.isRight(d) ? d.right.records : [];
    if (!(await this.propose(records))) return { errorCode: ClusterErrorCode.NOT_CONTROLLER, message: 'leadership changed before the decision committed; retry', leaderHint: this.node.status().leader };
    if (E.isLeft(d)) return { errorCode: d.left.code, message: d.left.message, leaderHint };
    return { errorCode: 0, leaderHint, response: d.right.response };
  }

  private async handle(method: string, body: unknown): Promise<RpcMessage> {
    const now = Date.now();
    const b = body as never;
    switch (method) {
      case ControllerMethod.registerBroker:
        return { body: await this.decide((c) => c.registerBroker(b, now)) };
      case ControllerMethod.brokerHeartbeat:
        return { body: await this.decide((c) => c.brokerHeartbeat(b, now)) };
      case ControllerMethod.alterPartition:
        return { body: await this.decide((c) => c.alterPartition(b)) };
      case ControllerMethod.createTopic:
        return { body: await this.decide((c) => c.createTopic(b)) };
      case ControllerMethod.fetchMetadata: {
        const from = (body as Partial<FetchMetadataRequest> | null)?.fromIndex;
        if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) throw new Error('fetchMetadata needs a non-negative integer fromIndex');
        return encodeFeed(this.journal.feed(from, this.node.status().applied, FEED_LIMIT));
      }
      default:
        throw new Error(`unknown controller method "${method}"`);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const w of this.waiting) w.fail();
    this.waiting = [];
    await this.rpc?.close();
    await this.node.stop();
  }
}
