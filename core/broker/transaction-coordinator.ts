// The transaction coordinator (KIP-98): the shell around the pure decisions of
// transaction-state.ts. It keeps every transactional id's metadata in memory,
// writes each change to `__transaction_state` (through TxnStateLog) before it
// takes effect, writes the COMMIT/ABORT markers to every partition of a
// completing transaction (through TxnMarkerWriter: local partitions or, on a
// cluster, their leaders) and aborts transactions past their timeout, on a timer
// driven by an injectable clock.
//
// Requests of one transactional id run one after another (a chain of promises
// per id), so a slow marker write never interleaves with the next request.
// EndTxn is answered once PrepareCommit/PrepareAbort is durable and one round of
// markers was tried; markers that failed are retried on every tick until they
// are written, and meanwhile the id answers CONCURRENT_TRANSACTIONS.
//
// A coordinator that becomes leader of `__transaction_state` partitions (a
// broker opening, a cluster failover) replays them (load) and completes the
// transactions it finds in PrepareCommit/PrepareAbort (resume); Ongoing ones are
// left to their timeout.
import { Either, isLeft, left, right } from 'fp-ts/Either';
import { BrokerError, ErrorCode } from './errors';
import { javaStringHash } from './offset-store';
import { TRANSACTION_STATE_TOPIC } from './topic-name';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue } from './transaction-records';
import {
  addPartitions,
  completed,
  DEFAULT_MAX_TRANSACTION_TIMEOUT_MS,
  DEFAULT_TRANSACTIONAL_ID_EXPIRATION_MS,
  endTxn,
  expired,
  fenceAndAbort,
  idExpired,
  isCompleting,
  planInit,
  TxnStatus,
  type Decision,
  type TxnMetadata,
  type TxnPartition,
} from './transaction-state';

export { TRANSACTION_STATE_TOPIC } from './topic-name';
/**
 * transaction.state.log.num.partitions. Kafka's default is 50, sized for a
 * cluster spreading coordinators over many brokers; one embedded node leads
 * them all, and each partition costs a directory and open segment files, so
 * Rill creates 4 unless told otherwise (as it does for __consumer_offsets).
 */
export const DEFAULT_TRANSACTION_STATE_PARTITIONS = 4;
/** How often expired transactions are looked for (Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms is 10 s). */
export const DEFAULT_TXN_TICK_INTERVAL_MS = 1000;

type MaybeAsync<T> = T | Promise<T>;

/** A refusal with its Kafka error code (core/protocol's PortError has this shape). */
export interface TxnRefusal {
  readonly code: number;
  readonly message: string;
}

/** The marker ending a producer's transaction on one partition (core/protocol's TxnMarker has this shape). */
export interface TxnMarkerSpec {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
}

export interface TxnMarkerWriter {
  writeTxnMarker(topic: string, partition: number, marker: TxnMarkerSpec): MaybeAsync<Either<TxnRefusal, void>>;
}

/** The coordinator's own log: one partition of `__transaction_state` per transactional id. */
export interface TxnStateLog {
  /** Appends the record to the partition; resolves once it is durable. */
  append(partition: number, key: Buffer, value: Buffer | null): MaybeAsync<Either<TxnRefusal, void>>;
  /** The epoch of this coordinator for the partition (its leader epoch), carried by the markers it writes. */
  coordinatorEpoch(partition: number): number;
}

export interface TransactionCoordinatorOptions {
  readonly log: TxnStateLog;
  readonly markers: TxnMarkerWriter;
  readonly newProducerId: () => number;
  /** The `__consumer_offsets` partition holding a group's offsets (AddOffsetsToTxn adds it to the transaction). */
  readonly groupPartition: (groupId: string) => TxnPartition;
  /** Partitions of `__transaction_state`. */
  readonly partitions: number;
  readonly clock: { now(): number };
  /** transaction.max.timeout.ms. */
  readonly maxTimeoutMs?: number;
  /** transactional.id.expiration.ms: an id with no transaction for this long is forgotten (default 7 days). */
  readonly idExpirationMs?: number;
  /** 0: no timer (call tick by hand). */
  readonly tickIntervalMs?: number;
  readonly onWarning?: (message: string) => void;
}

export interface ProducerGrant {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** The `__transaction_state` partition holding a transactional id (Kafka's TransactionStateManager.partitionFor). */
export function txnStatePartitionFor(transactionalId: string, partitions: number): number {
  const h = javaStringHash(transactionalId);
  return (h === -0x80000000 ? 0 : Math.abs(h)) % partitions;
}

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** Markers still to write, per completing transactional id ("topic\0partition"). */
  private readonly unmarked = new Map<string, Set<string>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly maxTimeoutMs: number;
  private readonly idExpirationMs: number;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(private readonly options: TransactionCoordinatorOptions) {
    this.maxTimeoutMs = options.maxTimeoutMs ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MS;
    this.idExpirationMs = options.idExpirationMs ?? DEFAULT_TRANSACTIONAL_ID_EXPIRATION_MS;
    const interval = options.tickIntervalMs ?? DEFAULT_TXN_TICK_INTERVAL_MS;
    if (interval > 0) {
      this.timer = setInterval(() => void this.tick(), interval);
      this.timer.unref?.();
    }
  }

  partitionFor(transactionalId: string): number {
    return txnStatePartitionFor(transactionalId, this.options.partitions);
  }

  /** The metadata of a transactional id (tests, describe tools). */
  describe(transactionalId: string): TxnMetadata | undefined {
    return this.txns.get(transactionalId);
  }

  transactionalIds(): string[] {
    return [...this.txns.keys()];
  }

  // ---------------------------------------------------------------- requests

  initProducerId(transactionalId: string, timeoutMs: number, producerId = -1, producerEpoch = -1): Promise<Either<TxnRefusal, ProducerGrant>> {
    return this.serially(transactionalId, async () => {
      const now = this.options.clock.now();
      const plan = planInit(
        this.txns.get(transactionalId),
        { transactionalId, timeoutMs, producerId, producerEpoch },
        now,
        this.maxTimeoutMs,
        this.options.newProducerId,
      );
      if (plan.kind === 'abort-first') {
        // The open transaction is aborted under the new epoch, then the producer gets the next one.
        const aborted = await this.complete(fenceAndAbort(plan.fenced, now, this.options.newProducerId, true));
        if (isLeft(aborted)) return aborted;
        if (aborted.right.state !== TxnStatus.CompleteAbort)
          return left(refusal(ErrorCode.CONCURRENT_TRANSACTIONS, `The open transaction of "${transactionalId}" is being aborted; retry shortly.`));
        return this.initAgain(transactionalId, timeoutMs);
      }
      return this.grant(plan.decision);
    });
  }

  private async initAgain(transactionalId: string, timeoutMs: number): Promise<Either<TxnRefusal, ProducerGrant>> {
    const plan = planInit(
      this.txns.get(transactionalId),
      { transactionalId, timeoutMs, producerId: -1, producerEpoch: -1 },
      this.options.clock.now(),
      this.maxTimeoutMs,
      this.options.newProducerId,
    );
    if (plan.kind !== 'grant') return left(refusal(ErrorCode.CONCURRENT_TRANSACTIONS, `Transaction of "${transactionalId}" is still open; retry shortly.`));
    return this.grant(plan.decision);
  }

  private async grant(decision: Decision): Promise<Either<TxnRefusal, ProducerGrant>> {
    const stored = await this.decide(decision);
    return isLeft(stored) ? stored : right({ producerId: stored.right.producerId, producerEpoch: stored.right.producerEpoch });
  }

  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TxnPartition[]): Promise<Either<TxnRefusal, void>> {
    return this.serially(transactionalId, async () => {
      const d = addPartitions(this.txns.get(transactionalId), transactionalId, producerId, producerEpoch, partitions, this.options.clock.now());
      return voided(await this.decide(d));
    });
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction, so its marker commits the offsets. */
  addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<Either<TxnRefusal, void>> {
    return this.addPartitions(transactionalId, producerId, producerEpoch, [this.options.groupPartition(groupId)]);
  }

  endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<Either<TxnRefusal, void>> {
    return this.serially(transactionalId, async () => {
      const before = this.txns.get(transactionalId);
      const d = endTxn(before, transactionalId, producerId, producerEpoch, commit, this.options.clock.now());
      if (!d.ok) return left(refusal(d.code, d.message));
      if (d.next === before) return right(undefined); // a retry of an EndTxn already carried out
      return voided(await this.complete(d.next));
    });
  }

  /**
   * Whether a TxnOffsetCommit of this producer belongs to its open transaction
   * with the group: undefined if so, else the refusal (a fenced producer's commit).
   */
  checkOffsetCommit(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): TxnRefusal | undefined {
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId)
      return refusal(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `Producer ${producerId} is not the producer of transactional id "${transactionalId}".`);
    if (m.producerEpoch !== producerEpoch)
      return refusal(
        ErrorCode.PRODUCER_FENCED,
        `Producer ${producerId} epoch ${producerEpoch} is fenced: epoch ${m.producerEpoch} of "${transactionalId}" is current.`,
      );
    const g = this.options.groupPartition(groupId);
    if (m.state !== TxnStatus.Ongoing || !m.partitions.some((p) => p.topic === g.topic && p.partition === g.partition))
      return refusal(
        ErrorCode.INVALID_TXN_STATE,
        `Offsets of group "${groupId}" are not in the open transaction of "${transactionalId}": call AddOffsetsToTxn first.`,
      );
    return undefined;
  }

  // ---------------------------------------------------------------- timer, reload

  /** Aborts transactions past their timeout, retries markers not yet written and forgets transactional ids idle past their expiration. */
  async tick(now = this.options.clock.now()): Promise<void> {
    if (this.closed) return;
    const work: Promise<unknown>[] = [];
    for (const [id, m] of this.txns) {
      if (expired(m, now)) {
        work.push(
          this.serially(id, async () => {
            const current = this.txns.get(id);
            if (current === undefined || !expired(current, this.options.clock.now())) return right(undefined);
            this.options.onWarning?.(`transaction of "${id}" (producer ${current.producerId}) passed its ${current.timeoutMs} ms timeout: aborting it`);
            return voided(await this.complete(fenceAndAbort(current, this.options.clock.now(), this.options.newProducerId)));
          }),
        );
      } else if (isCompleting(m)) {
        work.push(this.serially(id, () => this.resumeOne(id)));
      } else if (idExpired(m, now, this.idExpirationMs)) {
        work.push(this.serially(id, () => this.expireOne(id)));
      }
    }
    await Promise.all(work);
  }

  /** Replays records of one `__transaction_state` partition (the latest per id wins; a null value forgets the id). */
  load(records: Iterable<{ key: Buffer | null; value: Buffer | null }>): void {
    for (const { key, value } of records) {
      if (key === null) continue;
      const id = decodeTxnKey(key);
      if (isLeft(id)) {
        this.options.onWarning?.(`skipped a ${TRANSACTION_STATE_TOPIC} record: ${id.left}`);
        continue;
      }
      if (value === null) {
        this.txns.delete(id.right);
        continue;
      }
      const m = decodeTxnValue(id.right, value);
      if (isLeft(m)) this.options.onWarning?.(`skipped the ${TRANSACTION_STATE_TOPIC} record of "${id.right}": ${m.left}`);
      else this.txns.set(id.right, m.right);
    }
  }

  /** Completes the transactions found in PrepareCommit/PrepareAbort (after load): their markers are written again. */
  async resume(): Promise<void> {
    await Promise.all([...this.txns].filter(([, m]) => isCompleting(m)).map(([id]) => this.serially(id, () => this.resumeOne(id))));
  }

  /** Forgets the transactional ids of a partition this coordinator no longer leads (cluster failover). */
  unload(partition: number): void {
    for (const id of [...this.txns.keys()]) if (this.partitionFor(id) === partition) this.txns.delete(id);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * Forgets an id idle past transactional.id.expiration.ms: a tombstone in
   * `__transaction_state` first, so a reload forgets it too. Its next
   * InitProducerId starts afresh (a new producer id at epoch 0); a request of
   * its old producer answers INVALID_PRODUCER_ID_MAPPING, as in Kafka.
   */
  private async expireOne(id: string): Promise<Either<TxnRefusal, void>> {
    const m = this.txns.get(id);
    if (m === undefined || this.closed || !idExpired(m, this.options.clock.now(), this.idExpirationMs)) return right(undefined);
    const written = await this.options.log.append(this.partitionFor(id), encodeTxnKey(id), null);
    if (isLeft(written)) {
      this.options.onWarning?.(`expiring transactional id "${id}" failed (${written.left.message}); retrying`);
      return written;
    }
    this.txns.delete(id);
    this.options.onWarning?.(`transactional id "${id}" (producer ${m.producerId}) had no transaction for ${this.idExpirationMs} ms: forgotten`);
    return right(undefined);
  }

  private async resumeOne(id: string): Promise<Either<TxnRefusal, void>> {
    const m = this.txns.get(id);
    return m !== undefined && isCompleting(m) ? voided(await this.complete(m)) : right(undefined);
  }

  /** Stores a decision's new metadata, then makes it current. */
  private async decide(d: Decision): Promise<Either<TxnRefusal, TxnMetadata>> {
    if (!d.ok) return left(refusal(d.code, d.message));
    if (d.next === this.txns.get(d.next.transactionalId)) return right(d.next);
    return this.store(d.next);
  }

  private async store(m: TxnMetadata): Promise<Either<TxnRefusal, TxnMetadata>> {
    if (this.closed) return left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is closed.'));
    const written = await this.options.log.append(this.partitionFor(m.transactionalId), encodeTxnKey(m.transactionalId), encodeTxnValue(m));
    if (isLeft(written)) return left(refusal(written.left.code, `Writing the transaction state of "${m.transactionalId}" failed: ${written.left.message}`));
    this.txns.set(m.transactionalId, m);
    return right(m);
  }

  /**
   * Stores a PrepareCommit/PrepareAbort, writes its markers, then stores the
   * Complete state. Markers that fail stay to be retried by tick; the
   * transaction then stays in its Prepare state.
   */
  private async complete(prepare: TxnMetadata): Promise<Either<TxnRefusal, TxnMetadata>> {
    const current = this.txns.get(prepare.transactionalId);
    if (current !== prepare) {
      const stored = await this.store(prepare);
      if (isLeft(stored)) return stored;
      this.unmarked.set(prepare.transactionalId, new Set(prepare.partitions.map(partitionKey)));
    }
    const remaining = this.unmarked.get(prepare.transactionalId) ?? new Set(prepare.partitions.map(partitionKey));
    this.unmarked.set(prepare.transactionalId, remaining);
    const marker: TxnMarkerSpec = {
      producerId: prepare.producerId,
      producerEpoch: prepare.producerEpoch,
      coordinatorEpoch: this.options.log.coordinatorEpoch(this.partitionFor(prepare.transactionalId)),
      commit: prepare.state === TxnStatus.PrepareCommit,
    };
    await Promise.all(
      prepare.partitions
        .filter((p) => remaining.has(partitionKey(p)))
        .map(async (p) => {
          const written = await this.writeMarker(p, marker);
          // A partition deleted meanwhile needs no marker (Kafka drops it too).
          if (written === undefined || written.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) remaining.delete(partitionKey(p));
          else this.options.onWarning?.(`marker of "${prepare.transactionalId}" on ${p.topic}-${p.partition} failed (${written.message}); retrying`);
        }),
    );
    if (remaining.size > 0) return right(prepare);
    this.unmarked.delete(prepare.transactionalId);
    return this.store(completed(prepare, this.options.clock.now()));
  }

  private async writeMarker(p: TxnPartition, marker: TxnMarkerSpec): Promise<TxnRefusal | undefined> {
    try {
      const r = await this.options.markers.writeTxnMarker(p.topic, p.partition, marker);
      return isLeft(r) ? r.left : undefined;
    } catch (e) {
      return refusal(ErrorCode.UNKNOWN_SERVER_ERROR, (e as Error).message);
    }
  }

  /**
   * Runs `run` after the id's earlier requests. An exception (a bug, or a
   * producer id the broker cannot give) answers COORDINATOR_NOT_AVAILABLE and
   * is reported, so neither a request nor the timer leaves a rejection behind.
   */
  private serially<T>(transactionalId: string, run: () => Promise<Either<TxnRefusal, T>>): Promise<Either<TxnRefusal, T>> {
    const previous = this.queues.get(transactionalId) ?? Promise.resolve();
    const guarded = () =>
      run().catch((e: unknown): Either<TxnRefusal, T> => {
        this.options.onWarning?.(`transaction of "${transactionalId}": ${(e as Error).message}`);
        return left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The transaction coordinator failed: ${(e as Error).message}; retry.`));
      });
    const next = previous.then(guarded, guarded);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(transactionalId, settled);
    void settled.then(() => {
      if (this.queues.get(transactionalId) === settled) this.queues.delete(transactionalId);
    });
    return next;
  }
}

function refusal(code: number, message: string): TxnRefusal {
  return new BrokerError(code, message);
}

function voided<T>(e: Either<TxnRefusal, T>): Either<TxnRefusal, void> {
  return isLeft(e) ? e : right(undefined);
}

function partitionKey(p: TxnPartition): string {
  return `${p.topic}\0${p.partition}`;
}
