// The transaction coordinator's decisions, as pure functions over one
// transactional id's metadata (Kafka's TransactionMetadata and the checks of
// its TransactionCoordinator): what InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn and the timeout do to a transaction, or the Kafka
// error code that refuses them. No I/O and no clock: the shell
// (transaction-coordinator.ts) persists each new metadata to
// `__transaction_state`, writes the markers and passes the time in.
//
//   Empty / CompleteCommit / CompleteAbort --AddPartitions--> Ongoing
//   Ongoing --EndTxn(commit)--> PrepareCommit --markers written--> CompleteCommit
//   Ongoing --EndTxn(abort), timeout, fencing--> PrepareAbort --markers--> CompleteAbort
import { ErrorCode } from './errors';

/** Kafka's TransactionState, with the ids its TransactionLogValue stores. */
export const TxnStatus = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStatus = (typeof TxnStatus)[keyof typeof TxnStatus];

export interface TxnPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** The epoch before the last bump (-1: none known), so a producer that missed the bump can still re-initialise (KIP-360). */
  readonly lastProducerEpoch: number;
  readonly timeoutMs: number;
  readonly state: TxnStatus;
  /** The partitions in the transaction (a group's offsets: its `__consumer_offsets` partition), in the order added. */
  readonly partitions: readonly TxnPartition[];
  /** When the transaction became Ongoing (-1: not ongoing): its timeout runs from here. */
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

/** transaction.max.timeout.ms: Kafka's default, 15 minutes. */
export const DEFAULT_MAX_TRANSACTION_TIMEOUT_MS = 15 * 60_000;
/** transactional.id.expiration.ms: Kafka's default, 7 days. */
export const DEFAULT_TRANSACTIONAL_ID_EXPIRATION_MS = 7 * 24 * 3_600_000;
/** Past this epoch a producer id gets no bump: a fresh id starts at epoch 0 (Kafka's isProducerEpochExhausted). */
const MAX_EPOCH = 0x7fff - 1;

export type Decision = { readonly ok: true; readonly next: TxnMetadata } | { readonly ok: false; readonly code: number; readonly message: string };

const refuse = (code: number, message: string): Decision => ({ ok: false, code, message });
const accept = (next: TxnMetadata): Decision => ({ ok: true, next });

export interface InitRequest {
  readonly transactionalId: string;
  readonly timeoutMs: number;
  /** KIP-360: the producer's current id and epoch (-1, -1: a fresh start). */
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** What InitProducerId needs done first: nothing, or the open transaction aborted under a fencing epoch. */
export type InitPlan = { readonly kind: 'grant'; readonly decision: Decision } | { readonly kind: 'abort-first'; readonly fenced: TxnMetadata };

export function isOpen(m: TxnMetadata): boolean {
  return m.state === TxnStatus.Ongoing;
}

export function isCompleting(m: TxnMetadata): boolean {
  return m.state === TxnStatus.PrepareCommit || m.state === TxnStatus.PrepareAbort;
}

/**
 * InitProducerId with a transactional id. A new id gets a producer id at epoch
 * 0; a known one gets its epoch bumped, which fences the previous producer. An
 * open transaction is aborted first (with the bumped epoch, so the old producer's
 * late writes are refused at the partitions), as Kafka does.
 */
export function planInit(current: TxnMetadata | undefined, req: InitRequest, now: number, maxTimeoutMs: number, newProducerId: () => number): InitPlan {
  const grant = (decision: Decision): InitPlan => ({ kind: 'grant', decision });
  if (!Number.isInteger(req.timeoutMs) || req.timeoutMs <= 0 || req.timeoutMs > maxTimeoutMs)
    return grant(
      refuse(
        ErrorCode.INVALID_TRANSACTION_TIMEOUT,
        `Transaction timeout ${req.timeoutMs} ms is outside 1..${maxTimeoutMs} ms (transaction.max.timeout.ms); use a smaller transaction.timeout.ms.`,
      ),
    );
  if (current === undefined) {
    if (req.producerId !== -1)
      return grant(
        refuse(
          ErrorCode.INVALID_PRODUCER_ID_MAPPING,
          `Transactional id "${req.transactionalId}" has no producer id ${req.producerId} here; initialise without one.`,
        ),
      );
    return grant(
      accept({
        transactionalId: req.transactionalId,
        producerId: newProducerId(),
        producerEpoch: 0,
        lastProducerEpoch: -1,
        timeoutMs: req.timeoutMs,
        state: TxnStatus.Empty,
        partitions: [],
        txnStartTimestamp: -1,
        txnLastUpdateTimestamp: now,
      }),
    );
  }
  if (isCompleting(current)) return grant(refuse(ErrorCode.CONCURRENT_TRANSACTIONS, `Transaction of "${req.transactionalId}" is completing; retry shortly.`));
  if (req.producerId !== -1) {
    // KIP-360: the producer asks for a bump of the id and epoch it has; any other is an older instance.
    const known = req.producerId === current.producerId && (req.producerEpoch === current.producerEpoch || req.producerEpoch === current.lastProducerEpoch);
    if (!known)
      return grant(
        refuse(
          ErrorCode.PRODUCER_FENCED,
          `Producer ${req.producerId} epoch ${req.producerEpoch} of "${req.transactionalId}" was fenced by producer ${current.producerId} epoch ${current.producerEpoch}.`,
        ),
      );
  }
  if (isOpen(current)) return { kind: 'abort-first', fenced: { ...bumped(current, newProducerId), state: TxnStatus.Ongoing } };
  return grant(
    accept({
      ...bumped(current, newProducerId),
      timeoutMs: req.timeoutMs,
      state: TxnStatus.Empty,
      partitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
    }),
  );
}

/** The next epoch of the producer id, or a fresh id at epoch 0 once the epochs run out. */
function bumped(m: TxnMetadata, newProducerId: () => number): TxnMetadata {
  if (m.producerEpoch >= MAX_EPOCH) return { ...m, producerId: newProducerId(), producerEpoch: 0, lastProducerEpoch: -1 };
  return { ...m, producerEpoch: m.producerEpoch + 1, lastProducerEpoch: m.producerEpoch };
}

/** The producer's id and epoch are the transaction's current ones, or the refusal. */
function checkProducer(m: TxnMetadata | undefined, transactionalId: string, producerId: number, producerEpoch: number): Decision | undefined {
  if (m === undefined || m.state === TxnStatus.Dead)
    return refuse(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `Transactional id "${transactionalId}" is unknown here; call InitProducerId first.`);
  if (producerId !== m.producerId)
    return refuse(
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
      `Producer id ${producerId} is not the one of "${transactionalId}" (${m.producerId}); re-initialise the producer.`,
    );
  if (producerEpoch !== m.producerEpoch)
    return refuse(
      ErrorCode.PRODUCER_FENCED,
      `Producer ${producerId} epoch ${producerEpoch} of "${transactionalId}" is fenced: epoch ${m.producerEpoch} is current (a newer producer, or the transaction timed out).`,
    );
  return undefined;
}

/** AddPartitionsToTxn (and AddOffsetsToTxn, with the group's offsets partition): the partitions join the transaction, which becomes Ongoing. */
export function addPartitions(
  m: TxnMetadata | undefined,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  partitions: readonly TxnPartition[],
  now: number,
): Decision {
  const refused = checkProducer(m, transactionalId, producerId, producerEpoch);
  if (refused !== undefined) return refused;
  const meta = m!;
  if (isCompleting(meta)) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS, `The previous transaction of "${transactionalId}" is completing; retry shortly.`);
  if (meta.state !== TxnStatus.Ongoing && meta.state !== TxnStatus.Empty && meta.state !== TxnStatus.CompleteCommit && meta.state !== TxnStatus.CompleteAbort)
    return refuse(ErrorCode.INVALID_TXN_STATE, `Transaction of "${transactionalId}" is ${stateName(meta.state)}; partitions cannot be added.`);
  const known = new Set(meta.state === TxnStatus.Ongoing ? meta.partitions.map(key) : []);
  const added = partitions.filter((p) => !known.has(key(p)));
  if (meta.state === TxnStatus.Ongoing && added.length === 0) return accept(meta);
  const base = meta.state === TxnStatus.Ongoing ? meta.partitions : [];
  return accept({
    ...meta,
    state: TxnStatus.Ongoing,
    partitions: [...base, ...dedupe(added)],
    txnStartTimestamp: meta.state === TxnStatus.Ongoing ? meta.txnStartTimestamp : now,
    txnLastUpdateTimestamp: now,
  });
}

/**
 * EndTxn: an Ongoing transaction moves to PrepareCommit or PrepareAbort (the
 * shell then writes the markers). A retry of an EndTxn already done succeeds.
 */
export function endTxn(m: TxnMetadata | undefined, transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, now: number): Decision {
  const refused = checkProducer(m, transactionalId, producerId, producerEpoch);
  if (refused !== undefined) return refused;
  const meta = m!;
  const verb = commit ? 'commit' : 'abort';
  switch (meta.state) {
    case TxnStatus.Ongoing:
      return accept({ ...meta, state: commit ? TxnStatus.PrepareCommit : TxnStatus.PrepareAbort, txnLastUpdateTimestamp: now });
    case TxnStatus.CompleteCommit:
    case TxnStatus.CompleteAbort:
      // The same decision again is a retry of one already carried out.
      if ((meta.state === TxnStatus.CompleteCommit) === commit) return accept(meta);
      break;
    case TxnStatus.PrepareCommit:
    case TxnStatus.PrepareAbort:
      if ((meta.state === TxnStatus.PrepareCommit) === commit)
        return refuse(ErrorCode.CONCURRENT_TRANSACTIONS, `Transaction of "${transactionalId}" is completing its ${verb}; retry shortly.`);
      break;
  }
  return refuse(ErrorCode.INVALID_TXN_STATE, `Transaction of "${transactionalId}" is ${stateName(meta.state)}: it cannot ${verb}.`);
}

/** The state once every marker of a PrepareCommit/PrepareAbort is written. */
export function completed(m: TxnMetadata, now: number): TxnMetadata {
  return { ...m, state: m.state === TxnStatus.PrepareCommit ? TxnStatus.CompleteCommit : TxnStatus.CompleteAbort, txnLastUpdateTimestamp: now };
}

/** Whether an Ongoing transaction has outlived its timeout at `now`. */
export function expired(m: TxnMetadata, now: number): boolean {
  return m.state === TxnStatus.Ongoing && m.txnStartTimestamp >= 0 && now >= m.txnStartTimestamp + m.timeoutMs;
}

/**
 * Whether a transactional id has had no transaction for `expirationMs` at
 * `now` (transactional.id.expiration.ms): it holds none open or completing, and
 * its last change is that old. The coordinator then forgets it (a tombstone in
 * `__transaction_state`), as Kafka's TransactionStateManager does.
 */
export function idExpired(m: TxnMetadata, now: number, expirationMs: number): boolean {
  const idle = m.state === TxnStatus.Empty || m.state === TxnStatus.CompleteCommit || m.state === TxnStatus.CompleteAbort;
  return idle && now - m.txnLastUpdateTimestamp >= expirationMs;
}

/**
 * A timed-out (or fenced) Ongoing transaction moves to PrepareAbort under a
 * bumped epoch: its producer's later requests are fenced (Kafka's
 * prepareFenceProducerEpoch, then abort).
 */
export function fenceAndAbort(m: TxnMetadata, now: number, newProducerId: () => number, alreadyBumped = false): TxnMetadata {
  const fenced = alreadyBumped ? m : bumped(m, newProducerId);
  return { ...fenced, state: TxnStatus.PrepareAbort, txnLastUpdateTimestamp: now };
}

export function stateName(s: TxnStatus): string {
  return Object.entries(TxnStatus).find(([, v]) => v === s)?.[0] ?? `state ${s}`;
}

function key(p: TxnPartition): string {
  return `${p.topic}\0${p.partition}`;
}

function dedupe(ps: readonly TxnPartition[]): TxnPartition[] {
  return [...new Map(ps.map((p) => [key(p), p])).values()];
}
