// Transactions in the cluster simulation: a transaction coordinator on the
// leader of the simulated `__transaction_state` partition and a transactional
// producer. The coordinator is a synchronous shell (the simulation runs without
// promises) over core/broker's pure decisions (transaction-state.ts), with
// Kafka's `__transaction_state` records: each state change is appended with
// acks=all to the state partition's replicated log and counts once that append
// completes; markers go to each partition's leader, which appends them with
// PartitionReplica.appendMarkerAsLeader. A broker that comes to lead the state
// partition replays its log and finishes the PrepareCommit/PrepareAbort it
// finds (coordinator failover); it aborts Ongoing transactions on their timeout.
//
// One transactional id (so requests do not name it). The producer runs
// transactions one after another: AddPartitionsToTxn of some
// data partitions and the offsets partition (its "offset commit"), one
// transactional record to each, then EndTxn, commit or abort. A failure before
// EndTxn abandons the transaction (a new InitProducerId fences and aborts it);
// EndTxn is retried through the current coordinator, and after too many
// failures its outcome is unknown.
//
// The invariant (checked once the cluster has healed and every transaction
// ended): read as read_committed consumers do, each transaction is visible on
// all its partitions or on none; a committed one is visible, an aborted or
// abandoned one is not.
import { decodeRecordBatches, encodeRecordBatch, type TxnMarkerFields } from '../../../../core/log';
import { ErrorCode, decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, txnDecisions, type TxnMetadata } from '../../../../core/broker';
import { committedValues } from '../../../compat/partition-view';
import { ClusterInvariantViolation } from './invariants';

export const TXN_CLIENT = 'txn-producer';
const TRANSACTIONAL_ID = 'sim-txn';
/** transaction.timeout.ms of the producer and transaction.max.timeout.ms of the coordinator, in virtual ms. */
const TXN_TIMEOUT = 400;
const MAX_TXN_TIMEOUT = 2000;
const REQUEST_TIMEOUT = 150;
/** A marker not answered this long is sent again (longer than an acks=all append takes without faults, so repeats stay few). */
const MARKER_RETRY = 250;
const RETRIABLE = new Set<number>([
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.REQUEST_TIMED_OUT,
]);
/** EndTxn attempts before its outcome is given up as unknown. */
const END_ATTEMPTS = 20;

export type TxnRequest =
  | { readonly op: 'init'; readonly timeoutMs: number }
  | { readonly op: 'add'; readonly producerId: number; readonly producerEpoch: number; readonly partitions: readonly number[] }
  | { readonly op: 'end'; readonly producerId: number; readonly producerEpoch: number; readonly commit: boolean };

export interface TxnResponse {
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** What the coordinator needs of the broker it runs on. */
export interface CoordinatorHost {
  now(): number;
  /** Appends one record to the state partition as its leader with acks=all; `done` gets 0 once it is replicated, else an error code. */
  appendState(key: Buffer, value: Buffer | null, done: (errorCode: number) => void): void;
  /** Sends a marker to the current leader of `partition`; its answer comes back through markerAnswered. */
  sendMarker(partition: number, marker: TxnMarkerFields): void;
  newProducerId(): number;
  trace(line: string): void;
}

interface Completion {
  readonly prepare: TxnMetadata;
  readonly unmarked: Set<number>;
  lastSent: number;
}

export class SimTxnCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** Ids with a state append in flight: their requests answer CONCURRENT_TRANSACTIONS meanwhile. */
  private readonly busy = new Set<string>();
  private readonly completing = new Map<string, Completion>();
  private closed = false;

  constructor(
    private readonly host: CoordinatorHost,
    readonly leaderEpoch: number,
    private readonly topic: string,
    stateRecords: Iterable<{ key: Buffer | null; value: Buffer | null }>,
  ) {
    for (const { key, value } of stateRecords) {
      if (key === null) continue;
      const id = decodeTxnKey(key);
      if (id._tag === 'Left') throw new ClusterInvariantViolation(`undecodable __transaction_state key: ${id.left}`);
      if (value === null) {
        this.txns.delete(id.right);
        continue;
      }
      const m = decodeTxnValue(id.right, value);
      if (m._tag === 'Left') throw new ClusterInvariantViolation(`undecodable __transaction_state value: ${m.left}`);
      this.txns.set(id.right, m.right);
    }
    for (const m of this.txns.values()) if (txnDecisions.isCompleting(m)) this.completing.set(m.transactionalId, this.completionOf(m));
  }

  /** This broker no longer leads the state partition: nothing it has in flight may count any more. */
  close(): void {
    this.closed = true;
  }

  handle(req: TxnRequest, answer: (r: TxnResponse) => void): void {
    const id = TRANSACTIONAL_ID;
    const current = this.txns.get(id);
    const now = this.host.now();
    const fail = (errorCode: number) => answer({ errorCode, producerId: -1, producerEpoch: -1 });
    if (this.busy.has(id)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    switch (req.op) {
      case 'init': {
        const plan = txnDecisions.planInit(
          current,
          { transactionalId: id, timeoutMs: req.timeoutMs, producerId: -1, producerEpoch: -1 },
          now,
          MAX_TXN_TIMEOUT,
          () => this.host.newProducerId(),
        );
        if (plan.kind === 'abort-first') {
          // The open transaction is aborted under a bumped epoch; the producer asks again once that is done.
          this.startCompletion(
            txnDecisions.fenceAndAbort(plan.fenced, now, () => this.host.newProducerId(), true),
            () => {},
          );
          return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
        }
        if (!plan.decision.ok) return fail(plan.decision.code);
        const next = plan.decision.next;
        return this.store(next, (code) => (code === 0 ? answer({ errorCode: 0, producerId: next.producerId, producerEpoch: next.producerEpoch }) : fail(code)));
      }
      case 'add': {
        const partitions = req.partitions.map((partition) => ({ topic: this.topic, partition }));
        const d = txnDecisions.addPartitions(current, id, req.producerId, req.producerEpoch, partitions, now);
        if (!d.ok) return fail(d.code);
        if (d.next === current) return answer({ errorCode: 0, producerId: req.producerId, producerEpoch: req.producerEpoch });
        return this.store(d.next, (code) => answer({ errorCode: code, producerId: req.producerId, producerEpoch: req.producerEpoch }));
      }
      case 'end': {
        const d = txnDecisions.endTxn(current, id, req.producerId, req.producerEpoch, req.commit, now);
        if (!d.ok) return fail(d.code);
        if (d.next === current) return answer({ errorCode: 0, producerId: req.producerId, producerEpoch: req.producerEpoch });
        // Answered once PrepareCommit/PrepareAbort is durable, as Kafka does; the markers follow.
        return this.startCompletion(d.next, (code) => answer({ errorCode: code, producerId: req.producerId, producerEpoch: req.producerEpoch }));
      }
    }
  }

  /** Every broker tick: markers sent again, completions stored, timed-out transactions aborted. */
  tick(): void {
    const now = this.host.now();
    for (const [id, c] of this.completing) {
      if (this.busy.has(id)) continue;
      if (c.unmarked.size === 0) this.finish(id, c);
      else if (now - c.lastSent >= MARKER_RETRY) this.sendMarkers(c);
    }
    for (const [id, m] of this.txns) {
      if (this.busy.has(id) || this.completing.has(id) || !txnDecisions.expired(m, now)) continue;
      this.host.trace(`coordinator: transaction of producer ${m.producerId} epoch ${m.producerEpoch} timed out: aborting`);
      this.startCompletion(
        txnDecisions.fenceAndAbort(m, now, () => this.host.newProducerId()),
        () => {},
      );
    }
  }

  markerAnswered(producerId: number, producerEpoch: number, partition: number, errorCode: number): void {
    const c = this.completing.get(TRANSACTIONAL_ID);
    if (c === undefined || c.prepare.producerId !== producerId || c.prepare.producerEpoch !== producerEpoch || errorCode !== 0) return;
    c.unmarked.delete(partition);
    if (c.unmarked.size === 0 && !this.busy.has(TRANSACTIONAL_ID)) this.finish(TRANSACTIONAL_ID, c);
  }

  /** No transaction open or completing here, and no state record in flight. */
  get settled(): boolean {
    return this.completing.size === 0 && this.busy.size === 0 && [...this.txns.values()].every((m) => m.state !== txnDecisions.TxnStatus.Ongoing);
  }

  private completionOf(prepare: TxnMetadata): Completion {
    return { prepare, unmarked: new Set(prepare.partitions.map((p) => p.partition)), lastSent: -Infinity };
  }

  private startCompletion(prepare: TxnMetadata, answer: (errorCode: number) => void): void {
    this.store(prepare, (code) => {
      answer(code);
      if (code !== 0) return;
      const c = this.completionOf(prepare);
      this.completing.set(prepare.transactionalId, c);
      this.sendMarkers(c);
    });
  }

  private sendMarkers(c: Completion): void {
    c.lastSent = this.host.now();
    const marker = {
      producerId: c.prepare.producerId,
      producerEpoch: c.prepare.producerEpoch,
      coordinatorEpoch: this.leaderEpoch,
      commit: c.prepare.state === txnDecisions.TxnStatus.PrepareCommit,
    };
    for (const partition of c.unmarked) this.host.sendMarker(partition, marker);
  }

  private finish(id: string, c: Completion): void {
    this.store(txnDecisions.completed(c.prepare, this.host.now()), (code) => {
      if (code === 0 && this.completing.get(id) === c) this.completing.delete(id);
    });
  }

  /** Appends the new metadata; it becomes current once the append completes. */
  private store(m: TxnMetadata, done: (errorCode: number) => void): void {
    const id = m.transactionalId;
    this.busy.add(id);
    this.host.appendState(encodeTxnKey(id), encodeTxnValue(m), (code) => {
      this.busy.delete(id);
      if (this.closed) return done(ErrorCode.NOT_COORDINATOR);
      if (code === 0) {
        this.txns.set(id, m);
        this.host.trace(
          `coordinator: producer ${m.producerId} epoch ${m.producerEpoch} ${txnDecisions.stateName(m.state)} [${m.partitions.map((p) => p.partition)}]`,
        );
      }
      done(code === 0 ? 0 : ErrorCode.NOT_COORDINATOR);
    });
  }
}

// ---- the transactional producer ------------------------------------------------------

export interface ProducerHost {
  now(): number;
  /** Sends a request to broker `broker`; the answer comes back through answered/produced with the same id. */
  sendTxn(broker: number, id: number, req: TxnRequest): void;
  produce(broker: number, id: number, partition: number, batch: Buffer): void;
  /** The leader of each partition as the producer last learned it (refreshed when asked). */
  leader(partition: number): number | undefined;
  refreshLeaders(): void;
  nextRequestId(): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  trace(line: string): void;
}

type Outcome = 'open' | 'committed' | 'aborted' | 'unknown';

interface Transaction {
  readonly no: number;
  readonly producerId: number;
  /** Partition -> the value written there. */
  readonly values: Map<number, string>;
  outcome: Outcome;
}

type Step =
  | { kind: 'init' }
  | { kind: 'ready' }
  | { kind: 'adding'; txn: Transaction; partitions: number[] }
  | { kind: 'producing'; txn: Transaction; waiting: Set<number>; sentAt: number }
  | { kind: 'ending'; txn: Transaction; commit: boolean; attempts: number };

export interface TxnStats {
  transactions: number;
  committed: number;
  aborted: number;
  abandoned: number;
  unknown: number;
}

export class SimTxnProducer {
  private step: Step = { kind: 'init' };
  private producerId = -1;
  private producerEpoch = -1;
  private readonly sequences = new Map<number, number>();
  private inflight: { id: number; sentAt: number } | undefined;
  private readonly transactions: Transaction[] = [];
  private stopping = false;
  readonly stats: TxnStats = { transactions: 0, committed: 0, aborted: 0, abandoned: 0, unknown: 0 };

  constructor(
    private readonly host: ProducerHost,
    /** The partitions a transaction writes records to; the offsets partition is in every transaction. */
    private readonly dataPartitions: readonly number[],
    private readonly offsetsPartition: number,
    private readonly statePartition: number,
  ) {}

  /** Starts no transaction any more; the one running goes on to its end. */
  stop(): void {
    this.stopping = true;
  }

  /** Stopped, with nothing in flight and no transaction running. */
  get quiet(): boolean {
    return this.stopping && this.inflight === undefined && (this.step.kind === 'ready' || this.step.kind === 'init');
  }

  tick(): void {
    const now = this.host.now();
    // Stopped between transactions: nothing more to ask (an abandoned transaction is left to its timeout).
    if (this.stopping && this.inflight === undefined && (this.step.kind === 'init' || this.step.kind === 'ready')) return;
    if (this.inflight !== undefined) {
      if (now - this.inflight.sentAt < REQUEST_TIMEOUT) return;
      this.inflight = undefined;
      this.failed(ErrorCode.REQUEST_TIMED_OUT);
      return;
    }
    const step = this.step;
    // A write lost on the way (or its answer): the transaction is given up.
    if (step.kind === 'producing' && now - step.sentAt >= REQUEST_TIMEOUT) return this.abandon(step.txn, 'a write was not answered');
    if (step.kind === 'init') this.request({ op: 'init', timeoutMs: TXN_TIMEOUT });
    else if (step.kind === 'ready' && !this.stopping) this.begin();
    else if (step.kind === 'adding') this.request({ op: 'add', producerId: this.producerId, producerEpoch: this.producerEpoch, partitions: step.partitions });
    else if (step.kind === 'ending') this.request({ op: 'end', producerId: this.producerId, producerEpoch: this.producerEpoch, commit: step.commit });
  }

  answered(id: number, r: TxnResponse): void {
    if (this.inflight?.id !== id) return;
    this.inflight = undefined;
    if (r.errorCode !== 0) return this.failed(r.errorCode);
    const step = this.step;
    switch (step.kind) {
      case 'init':
        this.producerId = r.producerId;
        this.producerEpoch = r.producerEpoch;
        this.sequences.clear();
        this.step = { kind: 'ready' };
        return;
      case 'adding':
        return this.produceAll(step.txn);
      case 'ending':
        step.txn.outcome = step.commit ? 'committed' : 'aborted';
        this.stats[step.commit ? 'committed' : 'aborted']++;
        this.host.trace(`txn ${step.txn.no} ${step.txn.outcome}`);
        this.step = { kind: 'ready' };
        return;
      default:
        return;
    }
  }

  produced(id: number, errorCode: number): void {
    const step = this.step;
    if (step.kind !== 'producing' || !step.waiting.has(id)) return;
    step.waiting.delete(id);
    if (errorCode !== 0) return this.abandon(step.txn, `a record was refused (error ${errorCode})`);
    if (step.waiting.size > 0) return;
    this.step = { kind: 'ending', txn: step.txn, commit: this.host.chance(0.7), attempts: 0 };
  }

  /** The transactions run, with what each wrote and how it ended. */
  get history(): readonly Transaction[] {
    return this.transactions;
  }

  private begin(): void {
    const chosen = this.dataPartitions.filter(() => this.host.chance(0.7));
    const partitions = [...(chosen.length > 0 ? chosen : [this.host.pick(this.dataPartitions)]), this.offsetsPartition];
    const no = this.transactions.length + 1;
    const txn: Transaction = { no, producerId: this.producerId, values: new Map(partitions.map((p) => [p, `t${no}-p${p}`])), outcome: 'open' };
    this.transactions.push(txn);
    this.stats.transactions++;
    this.step = { kind: 'adding', txn, partitions };
    this.request({ op: 'add', producerId: this.producerId, producerEpoch: this.producerEpoch, partitions });
  }

  private produceAll(txn: Transaction): void {
    const waiting = new Set<number>();
    this.step = { kind: 'producing', txn, waiting, sentAt: this.host.now() };
    for (const [partition, value] of txn.values) {
      const leader = this.host.leader(partition);
      if (leader === undefined || leader < 0) {
        this.host.refreshLeaders();
        return this.abandon(txn, `no leader known for partition ${partition}`);
      }
      const id = this.host.nextRequestId();
      waiting.add(id);
      const baseSequence = this.sequences.get(partition) ?? 0;
      this.sequences.set(partition, baseSequence + 1);
      const batch = encodeRecordBatch({
        records: [{ key: null, value: Buffer.from(value) }],
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        baseSequence,
        transactional: true,
        baseTimestamp: this.host.now(),
      });
      this.host.produce(leader, id, partition, batch);
    }
  }

  /** Gives up a transaction before its EndTxn: it can only be aborted (by the next InitProducerId, or its timeout). */
  private abandon(txn: Transaction, why: string): void {
    txn.outcome = 'aborted';
    this.stats.abandoned++;
    this.host.trace(`txn ${txn.no} abandoned: ${why}`);
    this.step = { kind: 'init' };
  }

  private failed(errorCode: number): void {
    const step = this.step;
    if (errorCode === ErrorCode.NOT_COORDINATOR || errorCode === ErrorCode.REQUEST_TIMED_OUT || errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
      this.host.refreshLeaders();
    switch (step.kind) {
      case 'init':
        return; // asked again on the next tick
      case 'adding':
        // Retriable, as clients treat them: asked again on the next tick (the previous transaction may still be completing).
        if (RETRIABLE.has(errorCode)) return;
        return this.abandon(step.txn, `error ${errorCode}`);
      case 'producing':
        // The producer's own pending writes may still land (a timeout): the next InitProducerId fences them.
        return this.abandon(step.txn, `error ${errorCode}`);
      case 'ending':
        if (++step.attempts < END_ATTEMPTS && errorCode !== ErrorCode.PRODUCER_FENCED && errorCode !== ErrorCode.INVALID_TXN_STATE) return;
        // PRODUCER_FENCED: its timeout aborted it (only a timeout bumps the epoch of a transaction waiting for its EndTxn).
        step.txn.outcome = errorCode === ErrorCode.PRODUCER_FENCED ? 'aborted' : 'unknown';
        this.stats[step.txn.outcome === 'aborted' ? 'aborted' : 'unknown']++;
        this.host.trace(`txn ${step.txn.no} EndTxn failed with ${errorCode}: ${step.txn.outcome}`);
        this.step = { kind: 'init' };
        return;
      default:
        return;
    }
  }

  private request(req: TxnRequest): void {
    const coordinator = this.host.leader(this.statePartition);
    if (coordinator === undefined || coordinator < 0) {
      this.host.refreshLeaders();
      return;
    }
    const id = this.host.nextRequestId();
    this.inflight = { id, sentAt: this.host.now() };
    this.host.sendTxn(coordinator, id, req);
  }
}

/**
 * The invariant, once every transaction has ended: `read(partition)` gives a
 * partition's record batches up to its last stable offset and its aborted
 * transactions, as a read_committed fetch from its leader would.
 */
export function checkTransactions(
  history: readonly Transaction[],
  partitions: readonly number[],
  read: (partition: number) => { batches: Buffer; aborted: { producerId: number; firstOffset: number }[] },
): void {
  const visible = new Map<number, Set<string>>();
  const stored: string[] = [];
  for (const p of partitions) {
    const { batches, aborted } = read(p);
    const decoded = decodeRecordBatches(batches);
    if (decoded._tag === 'Left') throw new ClusterInvariantViolation(`partition ${p}: undecodable batches: ${decoded.left.message}`);
    visible.set(p, new Set(committedValues(decoded.right, aborted)));
    const shown = decoded.right
      .filter((b) => b.isTransactional)
      .map(
        (b) =>
          `${b.baseOffset}:${b.producerId}/${b.producerEpoch}:${b.isControl ? (b.records[0].key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT') : b.records.map((r) => r.value?.toString())}`,
      );
    stored.push(`partition ${p}: ${shown.join(' ')}; aborted ${aborted.map((a) => `${a.producerId}@${a.firstOffset}`).join(' ')}`);
  }
  const violation = (what: string): never => {
    throw new ClusterInvariantViolation(`${what}\n  ${stored.join('\n  ')}`);
  };
  for (const txn of history) {
    const seen = [...txn.values].filter(([p, v]) => visible.get(p)?.has(v));
    const where = (list: [number, string][]) => list.map(([p]) => p).join(',');
    if (txn.outcome === 'committed' && seen.length !== txn.values.size)
      violation(`transaction ${txn.no} was committed but read_committed sees it only on partitions [${where(seen)}] of [${[...txn.values.keys()]}]`);
    if (txn.outcome === 'aborted' && seen.length > 0) violation(`transaction ${txn.no} was aborted but read_committed sees it on partitions [${where(seen)}]`);
    if (seen.length > 0 && seen.length !== txn.values.size)
      violation(`transaction ${txn.no} (${txn.outcome}) is visible on partitions [${where(seen)}] only, of [${[...txn.values.keys()]}]`);
  }
}
