// Batches a coordinator writes itself at a partition's leader (transaction
// markers, transactional offset commits): appended to the leader's log
// directly, past the idempotent-producer checks a client's batch gets (a
// coordinator's batch carries the producer's id but no sequence of its own),
// and durable once the high watermark passes them, as acks=all.
import * as E from 'fp-ts/Either';
import type { TxnMarker } from '../../protocol';
import { ErrorCode, refusal, type Refusal } from '../errors';
import { leaderReplica, untilImage, type BrokerView, type HostedReplica } from './broker-view';

/** Resolves true once the in-sync replicas have `offset` (the high watermark passed it), false if the deadline or the leadership goes first. */
export async function untilReplicated(broker: BrokerView, h: HostedReplica, offset: number, timeoutMs: number): Promise<boolean> {
  await untilImage(broker, Date.now() + timeoutMs, () => h.replica.highWatermark > offset || h.replica.role !== 'leader');
  return h.replica.highWatermark > offset;
}

/** Appends a coordinator's batch (offsets assigned by the log) at the leader `h`; its last offset once replicated. */
export async function appendCoordinatorBatch(broker: BrokerView, h: HostedReplica, batch: Buffer, timeoutMs: number): Promise<E.Either<Refusal, number>> {
  const outcome = h.replica.appendCoordinatorBatchAsLeader(batch);
  if (!('baseOffset' in outcome)) return E.left(refusal(outcome.errorCode, outcome.message));
  const { lastOffset } = outcome;
  broker.appended(h);
  return (await untilReplicated(broker, h, lastOffset, timeoutMs))
    ? E.right(lastOffset)
    : E.left(refusal(ErrorCode.NOT_ENOUGH_REPLICAS, `${h.name}: the in-sync replicas did not take offset ${lastOffset} in time.`));
}

/** How long a marker waits for the in-sync replicas (Kafka's coordinator retries a marker until it is written). */
const MARKER_TIMEOUT_MS = 30_000;

/**
 * WriteTxnMarkers at the partition's leader: the control batch appended by the
 * replica (its producer state checks the epochs and ends the transaction),
 * answered once the high watermark passes it (durable as acks=all).
 */
export async function appendTxnMarkerAsLeader(broker: BrokerView, topic: string, partition: number, marker: TxnMarker): Promise<E.Either<Refusal, void>> {
  const leader = leaderReplica(broker, topic, partition);
  if (E.isLeft(leader)) return leader;
  const h = leader.right;
  const outcome = h.replica.appendMarkerAsLeader(marker, Date.now());
  if (!('baseOffset' in outcome)) return E.left(refusal(outcome.errorCode, outcome.message));
  broker.appended(h);
  if (await untilReplicated(broker, h, outcome.lastOffset, MARKER_TIMEOUT_MS)) return E.right(undefined);
  return E.left(
    refusal(
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `${h.name}: the in-sync replicas did not take the transaction marker at offset ${outcome.lastOffset}; it is written again.`,
    ),
  );
}
