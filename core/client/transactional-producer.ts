// A transactional producer (KIP-98), as Kafka's: `rill.producer({ transactionalId })`.
// Its records and the consumer offsets it sends between beginTransaction and
// commit are written all together or not at all:
//
//   await p.beginTransaction();
//   await p.send('out', records);
//   await p.sendOffsets('group', [{ topic: 'in', partition: 0, offset: 42 }]);
//   await p.commit();            // or p.abort()
//
// It talks to a transaction coordinator through core/protocol's TransactionPort
// (the embedded broker's own, in process). The first transaction initialises the
// transactional id, which fences any earlier producer of the same id; a fenced
// producer refuses everything after (PRODUCER_FENCED). A send that fails inside
// a transaction leaves it abortable only: commit is refused, abort works.
import { isLeft, type Either } from 'fp-ts/Either';
import { BrokerError, ErrorCode } from '../broker';
import type { TransactionPort, TxnProducer } from '../protocol';
import { Producer, type ProducerOptions, type ProducerRecord, type ProduceTarget, type RecordMetadata } from './producer';

export interface TransactionalProducerOptions extends ProducerOptions {
  readonly transactionalId: string;
  /** transaction.timeout.ms: the coordinator aborts a transaction open longer (default 60 s, Kafka's producer default). */
  readonly transactionTimeoutMs?: number;
}

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume. */
  readonly offset: number;
  readonly metadata?: string | null;
}

type State = 'uninitialised' | 'ready' | 'in-transaction' | 'abortable' | 'fenced' | 'closed';

const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
/** CONCURRENT_TRANSACTIONS (the previous transaction still completing) and a moving coordinator are retried this often. */
const COORDINATOR_RETRIES = 50;
const RETRY_BACKOFF_MS = 20;
const RETRIABLE = new Set<number>([
  // A topic created a moment ago that the coordinator's broker has not seen yet (Kafka's producer retries it too).
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);
const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);

export class TransactionalProducer {
  readonly transactionalId: string;
  private readonly producer: Producer;
  private readonly timeoutMs: number;
  private state: State = 'uninitialised';
  private ids = { producerId: -1, producerEpoch: -1 };
  /** Partitions added to the open transaction ("topic\0partition" -> the AddPartitionsToTxn in flight or done). */
  private enlisted = new Map<string, Promise<void>>();
  private failure: Error | undefined;
  /** The open transaction holds a group's offsets (AddOffsetsToTxn succeeded). */
  private offsetsAdded = false;

  constructor(
    private readonly target: ProduceTarget,
    private readonly coordinator: TransactionPort,
    options: TransactionalProducerOptions,
  ) {
    if (!options.transactionalId) throw new BrokerError(ErrorCode.INVALID_REQUEST, 'A transactional producer needs a non-empty transactionalId.');
    this.transactionalId = options.transactionalId;
    this.timeoutMs = options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
    if ((options.acks ?? -1) !== -1) throw new BrokerError(ErrorCode.INVALID_REQUIRED_ACKS, 'A transactional producer writes with acks=all (-1).');
    this.producer = new Producer(target, { ...options, acks: -1, idempotent: true }, { ids: () => this.ids, enlist: (t, p) => this.enlist(t, p) });
  }

  /** The producer id and epoch of the transactional id (-1 before the first transaction). */
  get producerIds(): { producerId: number; producerEpoch: number } {
    return { ...this.ids };
  }

  /** Starts a transaction; the first one initialises the transactional id (fencing earlier producers of it). */
  async beginTransaction(): Promise<void> {
    this.usable();
    if (this.state === 'in-transaction' || this.state === 'abortable')
      throw new BrokerError(ErrorCode.INVALID_TXN_STATE, 'A transaction is already open: commit or abort it first.');
    if (this.state === 'uninitialised') await this.initialise();
    this.enlisted = new Map();
    this.failure = undefined;
    this.state = 'in-transaction';
  }

  /** Sends records inside the open transaction; they are visible to read_committed readers once it commits. */
  async send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    this.inTransaction();
    try {
      await this.target.prepareTopic?.(topic);
      return await this.producer.send(topic, records);
    } catch (e) {
      this.failed(e as Error);
      throw e;
    }
  }

  /** As send(), without per-record metadata (Producer.sendAll: the records are the producer's until it settles). */
  async sendAll(topic: string, records: readonly ProducerRecord[]): Promise<void> {
    this.inTransaction();
    try {
      await this.target.prepareTopic?.(topic);
      await this.producer.sendAll(topic, records);
    } catch (e) {
      this.failed(e as Error);
      throw e;
    }
  }

  /** Commits a consumer group's offsets as part of the transaction (Kafka's sendOffsetsToTransaction). */
  async sendOffsets(groupId: string, offsets: readonly OffsetToCommit[], member: { memberId?: string; generationId?: number } = {}): Promise<void> {
    this.inTransaction();
    try {
      await this.call(() => this.coordinator.addOffsets(this.txn(), groupId));
      this.offsetsAdded = true;
      const results = await this.coordinator.commitOffsets(
        { ...this.txn(), groupId, memberId: member.memberId ?? '', generationId: member.generationId ?? -1 },
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: -1, metadata: o.metadata ?? null })),
      );
      const refused = results.find((r) => r.errorCode !== 0);
      if (refused !== undefined)
        throw this.refusal({ code: refused.errorCode, message: `The offset of ${refused.topic}-${refused.partition} for group "${groupId}" was refused.` });
    } catch (e) {
      this.failed(e as Error);
      throw e;
    }
  }

  /** Sends what is batched, then commits: the records and offsets become visible together. */
  async commit(): Promise<void> {
    this.inTransaction();
    await this.producer.flush();
    if (this.state === 'abortable') throw new BrokerError(ErrorCode.INVALID_TXN_STATE, `The transaction cannot commit: ${this.failure?.message}; abort it.`);
    await this.end(true);
  }

  /** Aborts the open transaction: nothing of it becomes visible. */
  async abort(): Promise<void> {
    this.usable();
    if (this.state !== 'in-transaction' && this.state !== 'abortable') throw new BrokerError(ErrorCode.INVALID_TXN_STATE, 'No transaction is open.');
    // What is still batched goes out first: its outcome does not matter, the transaction is aborted.
    await this.producer.flush().catch(() => undefined);
    await this.end(false);
  }

  /** Aborts an open transaction, then closes. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'in-transaction' || this.state === 'abortable') await this.abort().catch(() => undefined);
    await this.producer.close().catch(() => undefined);
    this.state = 'closed';
  }

  // ---------------------------------------------------------------- plumbing

  private async initialise(): Promise<void> {
    const grant = await this.call(() => this.coordinator.initProducerId(this.transactionalId, this.timeoutMs, -1, -1));
    this.ids = { producerId: grant.producerId, producerEpoch: grant.producerEpoch };
    this.state = 'ready';
  }

  /** EndTxn, unless the transaction wrote nothing (the coordinator never saw it: Kafka's producer skips it too). */
  private async end(commit: boolean): Promise<void> {
    const wrote = this.enlisted.size > 0 || this.offsetsAdded;
    this.offsetsAdded = false;
    if (wrote) await this.call(() => this.coordinator.endTxn(this.txn(), commit));
    if (this.state !== 'fenced') this.state = 'ready';
  }

  private enlist(topic: string, partition: number): Promise<void> {
    const key = `${topic}\0${partition}`;
    let added = this.enlisted.get(key);
    if (added === undefined) {
      added = this.call(() => this.coordinator.addPartitions(this.txn(), [{ topic, partition }]));
      this.enlisted.set(key, added);
    }
    return added;
  }

  private txn(): TxnProducer {
    return { transactionalId: this.transactionalId, ...this.ids };
  }

  /** A coordinator call, retried while the coordinator asks to (CONCURRENT_TRANSACTIONS...), its refusal thrown. */
  private async call<T>(run: () => Either<{ code: number; message: string }, T> | Promise<Either<{ code: number; message: string }, T>>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const r = await run();
      if (!isLeft(r)) return r.right;
      if (RETRIABLE.has(r.left.code) && attempt < COORDINATOR_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS * Math.min(attempt + 1, 10)));
        continue;
      }
      throw this.refusal(r.left);
    }
  }

  private refusal(e: { code: number; message: string }): BrokerError {
    if (FENCED.has(e.code)) this.state = 'fenced';
    return e instanceof BrokerError ? e : new BrokerError(e.code, e.message);
  }

  private failed(e: Error): void {
    if (e instanceof BrokerError && FENCED.has(e.code)) this.state = 'fenced';
    else if (this.state === 'in-transaction') {
      this.state = 'abortable';
      this.failure = e;
    }
  }

  private usable(): void {
    if (this.state === 'fenced')
      throw new BrokerError(
        ErrorCode.PRODUCER_FENCED,
        `Producer of "${this.transactionalId}" was fenced by a newer one with the same transactional id; close it.`,
      );
    if (this.state === 'closed') throw new BrokerError(ErrorCode.INVALID_TXN_STATE, 'The producer is closed.');
  }

  private inTransaction(): void {
    this.usable();
    if (this.state !== 'in-transaction' && this.state !== 'abortable') throw new BrokerError(ErrorCode.INVALID_TXN_STATE, 'Call beginTransaction() first.');
  }
}
