// The transaction coordinator over an in-memory `__transaction_state` and a
// recording marker writer, on a fake clock: the state machine's transitions and
// refusals, fencing, timeouts, marker retries, and a reload from its records.
import * as E from 'fp-ts/Either';
import {
  ErrorCode,
  TransactionCoordinator,
  TxnStatus,
  decodeTxnKey,
  decodeTxnValue,
  encodeTxnValue,
  type TxnMarkerSpec,
  type TxnMetadata,
} from '../../../core/broker';
import { FakeClock, err, ok } from './helpers';

interface Written {
  topic: string;
  partition: number;
  marker: TxnMarkerSpec;
}

/** transactional.id.expiration.ms of the harness: longer than its transaction.max.timeout.ms, as Kafka's defaults are. */
const ID_EXPIRATION_MS = 100_000;

/** A coordinator whose state log is an array of records and whose markers are recorded (or refused while `failing`). */
function harness(records: { partition: number; key: Buffer; value: Buffer | null }[] = []) {
  const clock = new FakeClock();
  const markers: Written[] = [];
  const failing = new Set<string>();
  const ids = { next: 1000, exhausted: false };
  /** While true, appends to the state log are refused (a lost leadership, a full disk). */
  const stateLog = { down: false };
  const coordinator = new TransactionCoordinator({
    log: {
      append: (partition, key, value) => {
        if (stateLog.down) return E.left({ code: ErrorCode.NOT_ENOUGH_REPLICAS, message: 'no quorum' });
        records.push({ partition, key, value });
        return E.right(undefined);
      },
      coordinatorEpoch: () => 3,
    },
    markers: {
      writeTxnMarker: (topic, partition, marker) => {
        if (failing.has(`${topic}-${partition}`)) return E.left({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: 'moved' });
        markers.push({ topic, partition, marker });
        return E.right(undefined);
      },
    },
    newProducerId: () => {
      if (ids.exhausted) throw new Error('no producer id left');
      return ids.next++;
    },
    groupPartition: () => ({ topic: '__consumer_offsets', partition: 2 }),
    partitions: 4,
    clock,
    maxTimeoutMs: 60_000,
    idExpirationMs: ID_EXPIRATION_MS,
    tickIntervalMs: 0,
  });
  return { clock, markers, failing, records, coordinator, ids, stateLog };
}

const TWO = [
  { topic: 'out', partition: 0 },
  { topic: 'out', partition: 1 },
];

async function begin(c: TransactionCoordinator, id = 'tx') {
  const g = ok(await c.initProducerId(id, 10_000));
  ok(await c.addPartitions(id, g.producerId, g.producerEpoch, TWO));
  return g;
}

describe('TransactionCoordinator', () => {
  test('a new transactional id gets a producer id at epoch 0; each InitProducerId bumps the epoch', async () => {
    const { coordinator } = harness();
    expect(ok(await coordinator.initProducerId('tx', 10_000))).toEqual({ producerId: 1000, producerEpoch: 0 });
    expect(ok(await coordinator.initProducerId('tx', 10_000))).toEqual({ producerId: 1000, producerEpoch: 1 });
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.Empty);
  });

  test('a timeout outside 1..transaction.max.timeout.ms is refused', async () => {
    const { coordinator } = harness();
    expect(err(await coordinator.initProducerId('tx', 60_001)).code).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect(err(await coordinator.initProducerId('tx', 0)).code).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  test('commit: Ongoing -> PrepareCommit -> markers on every partition -> CompleteCommit, each step in the log', async () => {
    const { coordinator, markers, records } = harness();
    const g = await begin(coordinator);
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.Ongoing);
    ok(await coordinator.addOffsets('tx', g.producerId, g.producerEpoch, 'billing'));
    ok(await coordinator.endTxn('tx', g.producerId, g.producerEpoch, true));
    expect(markers).toEqual(
      [...TWO, { topic: '__consumer_offsets', partition: 2 }].map((p) => ({
        ...p,
        marker: { producerId: 1000, producerEpoch: 0, coordinatorEpoch: 3, commit: true },
      })),
    );
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.CompleteCommit);
    const states = records.map((r) => E.getOrElseW(() => undefined)(decodeTxnValue('tx', r.value!))?.state);
    expect(states).toEqual([TxnStatus.Empty, TxnStatus.Ongoing, TxnStatus.Ongoing, TxnStatus.PrepareCommit, TxnStatus.CompleteCommit]);
    expect(new Set(records.map((r) => r.partition))).toEqual(new Set([coordinator.partitionFor('tx')]));
    // A retried EndTxn of the same decision succeeds; the other one is refused.
    ok(await coordinator.endTxn('tx', g.producerId, g.producerEpoch, true));
    expect(err(await coordinator.endTxn('tx', g.producerId, g.producerEpoch, false)).code).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  test('illegal transitions and unknown producers are refused with their Kafka codes', async () => {
    const { coordinator } = harness();
    expect(err(await coordinator.addPartitions('nobody', 1, 0, TWO)).code).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const g = ok(await coordinator.initProducerId('tx', 10_000));
    // Nothing to end yet.
    expect(err(await coordinator.endTxn('tx', g.producerId, g.producerEpoch, true)).code).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(err(await coordinator.addPartitions('tx', g.producerId + 1, g.producerEpoch, TWO)).code).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(err(await coordinator.addPartitions('tx', g.producerId, g.producerEpoch + 1, TWO)).code).toBe(ErrorCode.PRODUCER_FENCED);
    // Offsets of a group the transaction did not add.
    expect(coordinator.checkOffsetCommit('tx', g.producerId, g.producerEpoch, 'billing')?.code).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  test('a second InitProducerId fences the first producer: its open transaction is aborted under the new epoch', async () => {
    const { coordinator, markers } = harness();
    const first = await begin(coordinator);
    const second = ok(await coordinator.initProducerId('tx', 10_000));
    expect(second.producerId).toBe(first.producerId);
    expect(second.producerEpoch).toBe(first.producerEpoch + 2);
    expect(markers.map((m) => [m.partition, m.marker.commit, m.marker.producerEpoch])).toEqual([
      [0, false, 1],
      [1, false, 1],
    ]);
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.Empty);
    expect(err(await coordinator.addPartitions('tx', first.producerId, first.producerEpoch, TWO)).code).toBe(ErrorCode.PRODUCER_FENCED);
    expect(err(await coordinator.endTxn('tx', first.producerId, first.producerEpoch, true)).code).toBe(ErrorCode.PRODUCER_FENCED);
    expect(coordinator.checkOffsetCommit('tx', first.producerId, first.producerEpoch, 'billing')?.code).toBe(ErrorCode.PRODUCER_FENCED);
  });

  test('KIP-360: InitProducerId with the current id and epoch bumps it; an older epoch is fenced', async () => {
    const { coordinator } = harness();
    const g = ok(await coordinator.initProducerId('tx', 10_000));
    const bumped = ok(await coordinator.initProducerId('tx', 10_000, g.producerId, g.producerEpoch));
    expect(bumped).toEqual({ producerId: g.producerId, producerEpoch: g.producerEpoch + 1 });
    const again = ok(await coordinator.initProducerId('tx', 10_000, bumped.producerId, bumped.producerEpoch));
    expect(again.producerEpoch).toBe(bumped.producerEpoch + 1);
    expect(err(await coordinator.initProducerId('tx', 10_000, g.producerId, g.producerEpoch)).code).toBe(ErrorCode.PRODUCER_FENCED);
    expect(err(await coordinator.initProducerId('fresh', 10_000, 77, 0)).code).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  test('a transaction past its timeout is aborted on the next tick, and its producer is fenced', async () => {
    const { coordinator, markers, clock } = harness();
    const g = await begin(coordinator);
    clock.advance(9_999);
    await coordinator.tick();
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.Ongoing);
    clock.advance(1);
    await coordinator.tick();
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.CompleteAbort);
    expect(markers.map((m) => m.marker)).toEqual(
      [0, 1].map(() => ({ producerId: g.producerId, producerEpoch: g.producerEpoch + 1, coordinatorEpoch: 3, commit: false })),
    );
    expect(err(await coordinator.endTxn('tx', g.producerId, g.producerEpoch, true)).code).toBe(ErrorCode.PRODUCER_FENCED);
    // The producer re-initialises (KIP-360) from the epoch it had.
    expect(ok(await coordinator.initProducerId('tx', 10_000, g.producerId, g.producerEpoch)).producerEpoch).toBe(g.producerEpoch + 2);
  });

  test('a marker that fails is retried on tick; meanwhile the id answers CONCURRENT_TRANSACTIONS', async () => {
    const { coordinator, markers, failing } = harness();
    const g = await begin(coordinator);
    failing.add('out-1');
    ok(await coordinator.endTxn('tx', g.producerId, g.producerEpoch, true));
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.PrepareCommit);
    expect(markers.map((m) => m.partition)).toEqual([0]);
    expect(err(await coordinator.addPartitions('tx', g.producerId, g.producerEpoch, TWO)).code).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(err(await coordinator.initProducerId('tx', 10_000)).code).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    failing.clear();
    await coordinator.tick();
    // Only the missing marker is written again.
    expect(markers.map((m) => m.partition)).toEqual([0, 1]);
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.CompleteCommit);
  });

  test('a failure inside the coordinator answers COORDINATOR_NOT_AVAILABLE and the next request is served', async () => {
    const { coordinator, ids } = harness();
    ids.exhausted = true;
    expect(err(await coordinator.initProducerId('tx', 10_000)).code).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    ids.exhausted = false;
    expect(ok(await coordinator.initProducerId('tx', 10_000))).toEqual({ producerId: 1000, producerEpoch: 0 });
  });

  test('a reloaded coordinator completes a PrepareCommit and aborts an Ongoing transaction on its timeout', async () => {
    const first = harness();
    const committing = await begin(first.coordinator, 'committing');
    const open = await begin(first.coordinator, 'open');
    // The crash: PrepareCommit was written, no marker yet.
    const prepare: TxnMetadata = { ...first.coordinator.describe('committing')!, state: TxnStatus.PrepareCommit };
    first.records.push({ partition: first.coordinator.partitionFor('committing'), key: first.records[0].key, value: encodeTxnValue(prepare) });
    expect(E.getOrElseW(() => '')(decodeTxnKey(first.records[0].key))).toBe('committing');

    const second = harness();
    second.clock.t = first.clock.t;
    second.coordinator.load(first.records);
    expect(second.coordinator.transactionalIds().sort()).toEqual(['committing', 'open']);
    await second.coordinator.resume();
    expect(second.coordinator.describe('committing')?.state).toBe(TxnStatus.CompleteCommit);
    expect(second.markers.map((m) => [m.partition, m.marker.commit, m.marker.producerId])).toEqual([
      [0, true, committing.producerId],
      [1, true, committing.producerId],
    ]);
    expect(second.coordinator.describe('open')?.state).toBe(TxnStatus.Ongoing);
    second.clock.advance(10_000);
    await second.coordinator.tick();
    expect(second.coordinator.describe('open')?.state).toBe(TxnStatus.CompleteAbort);
    expect(second.markers.slice(2).map((m) => [m.marker.commit, m.marker.producerId])).toEqual([
      [false, open.producerId],
      [false, open.producerId],
    ]);
  });

  test('an id with no transaction for transactional.id.expiration.ms is forgotten: a tombstone, then a fresh producer id', async () => {
    const { coordinator, records, clock } = harness();
    const g = await begin(coordinator);
    ok(await coordinator.endTxn('tx', g.producerId, g.producerEpoch, true));
    clock.advance(ID_EXPIRATION_MS - 1);
    await coordinator.tick();
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.CompleteCommit);
    clock.advance(1);
    await coordinator.tick();
    expect(coordinator.describe('tx')).toBeUndefined();
    const last = records[records.length - 1];
    expect(last.value).toBeNull();
    expect(E.getOrElseW(() => '')(decodeTxnKey(last.key))).toBe('tx');
    // The old producer is unknown now; a new one starts afresh.
    expect(err(await coordinator.addPartitions('tx', g.producerId, g.producerEpoch, TWO)).code).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(ok(await coordinator.initProducerId('tx', 10_000))).toEqual({ producerId: g.producerId + 1, producerEpoch: 0 });
    // A coordinator reloading the log up to the tombstone forgets the id too.
    const reloaded = harness();
    reloaded.coordinator.load(records.slice(0, records.indexOf(last) + 1));
    expect(reloaded.coordinator.transactionalIds()).toEqual([]);
  });

  test('an open transaction keeps its id past the expiration: it times out first, then the id expires from its abort', async () => {
    const { coordinator, clock } = harness();
    const g = ok(await coordinator.initProducerId('tx', 60_000));
    clock.advance(ID_EXPIRATION_MS / 2);
    ok(await coordinator.addPartitions('tx', g.producerId, g.producerEpoch, TWO));
    clock.advance(60_000);
    await coordinator.tick();
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.CompleteAbort);
    // More than the expiration since InitProducerId, but the abort is recent.
    clock.advance(ID_EXPIRATION_MS - 1);
    await coordinator.tick();
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.CompleteAbort);
    clock.advance(1);
    await coordinator.tick();
    expect(coordinator.describe('tx')).toBeUndefined();
  });

  test('an id whose tombstone cannot be written stays, and expires on a later tick', async () => {
    const { coordinator, clock, stateLog, records } = harness();
    ok(await coordinator.initProducerId('tx', 10_000));
    clock.advance(ID_EXPIRATION_MS);
    stateLog.down = true;
    await coordinator.tick();
    expect(coordinator.describe('tx')?.state).toBe(TxnStatus.Empty);
    stateLog.down = false;
    await coordinator.tick();
    expect(records[records.length - 1].value).toBeNull();
    expect(coordinator.describe('tx')).toBeUndefined();
  });
});
