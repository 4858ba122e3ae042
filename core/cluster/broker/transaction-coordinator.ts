// Transactions on a cluster, coordinated as Kafka does it: core/broker's
// TransactionCoordinator, its state in the replicated, compacted cluster topic
// `__transaction_state` (TXN_STATE_PARTITIONS partitions, replication as
// __consumer_offsets), created by the first FindCoordinator with key type 1.
//
// The coordinator of a transactional id is the current leader of partition
// txnStatePartitionFor(id). A broker that comes to lead such a partition reads
// its log to the end (the latest record per id wins), then completes the
// transactions it finds in PrepareCommit/PrepareAbort (their markers written
// again); Ongoing ones run on to their timeout there. A broker that stops
// leading a partition forgets its ids, and answers their requests with
// NOT_COORDINATOR so clients find the new coordinator.
//
// Each state change is appended with acks=all before it counts. Markers go to
// each partition's leader: appended here when this broker leads the partition,
// else sent to the leader over the inter-broker replication RPC (mutual TLS
// when the cluster has internal TLS; txn-marker-rpc.ts says why not a Kafka
// listener); a marker that fails is retried by the coordinator's timer. A marker on a
// `__consumer_offsets` partition also commits (or drops) the producer's pending
// offsets at that group coordinator (ClusterGroupCoordinator.txnMarkerWritten).
import * as E from 'fp-ts/Either';
import {
  ErrorCode,
  storedBatches,
  TRANSACTION_STATE_TOPIC,
  TransactionCoordinator,
  txnStatePartitionFor,
  type TxnMarkerSpec,
  type TransactionSettings,
  type TxnRefusal,
} from '../../broker';
import { CONSUMER_OFFSETS_TOPIC } from '../../broker';
import { encodeRecordBatch } from '../../log';
import type { TransactionPort, TxnMarker, TxnOffsetCommitParams, TxnProducer } from '../../protocol';
import type { CommitResult, OffsetCommitEntry } from '../../protocol';
import { refusal, type Refusal } from '../errors';
import { replicaName, untilImage, type BrokerView, type HostedReplica } from './broker-view';
import { appendCoordinatorBatch, appendTxnMarkerAsLeader } from './coordinator-append';
import { defaultReplication } from './default-replication';
import type { ClusterGroupCoordinator } from './group-coordinator';
import { txnMarkerOutcome, WRITE_TXN_MARKER_METHOD, type TxnMarkerRequest } from './txn-marker-rpc';

/** Partitions of the cluster's `__transaction_state` (Kafka's transaction.state.log.num.partitions, 50 there): as many as __consumer_offsets has. */
export const TXN_STATE_PARTITIONS = 3;
const STATE_APPEND_TIMEOUT_MS = 5000;
const CREATE_TIMEOUT_MS = 5000;
/** A marker's RPC to the leader: longer than the leader waits for its in-sync replicas (coordinator-append.ts), so a slow append is answered. */
const MARKER_REQUEST_TIMEOUT_MS = 35_000;

/** What a cluster broker's coordinator may be told: Kafka's transaction.max.timeout.ms, transactional.id.expiration.ms and transaction.abort.timed.out.transaction.cleanup.interval.ms. */
export type ClusterTransactionSettings = Pick<TransactionSettings, 'maxTimeoutMs' | 'idExpirationMs' | 'tickIntervalMs'>;

interface LoadedPartition {
  readonly hosted: HostedReplica;
  readonly leaderEpoch: number;
}

export class ClusterTransactions implements TransactionPort {
  private coordinator: TransactionCoordinator | undefined;
  private readonly loaded = new Map<number, LoadedPartition>();
  private creating = false;
  private closed = false;

  constructor(
    private readonly broker: BrokerView,
    private readonly groups: ClusterGroupCoordinator,
    private readonly settings: ClusterTransactionSettings = {},
  ) {}

  private partitionCount(): number | undefined {
    const t = this.broker.image.topicByName(TRANSACTION_STATE_TOPIC);
    return t === undefined || t.partitions.size === 0 ? undefined : t.partitions.size;
  }

  /** The coordinator over the `__transaction_state` partitions this broker leads (made once the topic exists). */
  private core(): TransactionCoordinator | undefined {
    if (this.coordinator !== undefined || this.closed) return this.coordinator;
    const partitions = this.partitionCount();
    if (partitions === undefined) return undefined;
    this.coordinator = new TransactionCoordinator({
      log: { append: (p, key, value) => this.appendState(p, key, value), coordinatorEpoch: (p) => this.loaded.get(p)?.leaderEpoch ?? -1 },
      markers: { writeTxnMarker: (topic, partition, marker) => this.sendMarker(topic, partition, marker) },
      newProducerId: () => {
        const id = this.broker.initProducerId();
        if (E.isLeft(id)) throw new Error(id.left.message);
        return id.right.producerId;
      },
      groupPartition: (groupId) => ({ topic: CONSUMER_OFFSETS_TOPIC, partition: this.groups.partitionFor(groupId) ?? 0 }),
      partitions,
      clock: { now: () => Date.now() },
      ...this.settings,
      onWarning: (m) => this.broker.log(`broker ${this.broker.nodeId}: transactions: ${m}`),
    });
    return this.coordinator;
  }

  /**
   * Loads the transactional ids of each `__transaction_state` partition this
   * broker has just come to lead, completes their Prepare states, and forgets
   * those of partitions it no longer leads. Called whenever partition state may
   * have changed.
   */
  onReplicasChanged(): void {
    const core = this.core();
    if (core === undefined) return;
    const count = this.partitionCount() ?? 0;
    let gained = false;
    for (let p = 0; p < count; p++) {
      const h = this.broker.replicas.get(replicaName(TRANSACTION_STATE_TOPIC, p));
      const current = this.loaded.get(p);
      if (h === undefined || h.replica.role !== 'leader') {
        if (current !== undefined) {
          this.loaded.delete(p);
          core.unload(p);
          this.broker.log(`broker ${this.broker.nodeId}: no longer coordinates the transactions of ${TRANSACTION_STATE_TOPIC}-${p}`);
        }
        continue;
      }
      if (current !== undefined && current.hosted === h && current.leaderEpoch === h.replica.leaderEpoch) continue;
      core.unload(p);
      try {
        for (const batch of storedBatches(h.log, h.log.logEndOffset)) if (!batch.isControl) core.load(batch.records);
      } catch (e) {
        this.loaded.delete(p);
        this.broker.log(`broker ${this.broker.nodeId}: cannot load ${h.name}: ${(e as Error).message}`);
        continue;
      }
      this.loaded.set(p, { hosted: h, leaderEpoch: h.replica.leaderEpoch });
      gained = true;
      this.broker.log(`broker ${this.broker.nodeId}: coordinates the transactions of ${h.name} (leader epoch ${h.replica.leaderEpoch})`);
    }
    if (gained) void core.resume();
  }

  /** FindCoordinator with key type 1: the live leader of the transactional id's partition (the topic created on first use). */
  findCoordinator(transactionalId: string): E.Either<Refusal, { nodeId: number; host: string; port: number }> {
    const count = this.partitionCount();
    if (count === undefined) {
      this.ensureTopic();
      return E.left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${TRANSACTION_STATE_TOPIC} is being created; retry.`));
    }
    const image = this.broker.image;
    const leader = image.topicByName(TRANSACTION_STATE_TOPIC)?.partitions.get(txnStatePartitionFor(transactionalId, count))?.leader ?? -1;
    const b = image.brokers.get(leader);
    if (leader < 0 || b === undefined || !image.isUnfenced(leader))
      return E.left(
        refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The ${TRANSACTION_STATE_TOPIC} partition of "${transactionalId}" has no live leader yet; retry.`),
      );
    return E.right({ nodeId: leader, host: b.host, port: b.port });
  }

  // ---------------------------------------------------------------- core/protocol's TransactionPort

  initProducerId(transactionalId: string, timeoutMs: number, producerId: number, producerEpoch: number) {
    return this.owned(transactionalId, (core) => core.initProducerId(transactionalId, timeoutMs, producerId, producerEpoch));
  }

  addPartitions(txn: TxnProducer, partitions: readonly { topic: string; partition: number }[]) {
    const missing = partitions.find((p) => this.broker.image.topicByName(p.topic)?.partitions.has(p.partition) !== true);
    if (missing !== undefined) return E.left(refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${missing.topic} has no partition ${missing.partition}.`));
    const internal = partitions.find((p) => p.topic === CONSUMER_OFFSETS_TOPIC || p.topic === TRANSACTION_STATE_TOPIC);
    if (internal !== undefined)
      return E.left(refusal(ErrorCode.INVALID_TOPIC_EXCEPTION, `"${internal.topic}" is an internal topic; a transaction cannot write to it.`));
    return this.owned(txn.transactionalId, (core) => core.addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions));
  }

  /** The group's offsets partition joins the transaction; a first group creates `__consumer_offsets` (waited for here). */
  async addOffsets(txn: TxnProducer, groupId: string): Promise<E.Either<TxnRefusal, void>> {
    if (this.groups.partitionFor(groupId) === undefined) {
      this.groups.findCoordinator(groupId, 0);
      await untilImage(this.broker, Date.now() + CREATE_TIMEOUT_MS, () => this.groups.partitionFor(groupId) !== undefined);
      if (this.groups.partitionFor(groupId) === undefined)
        return E.left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${CONSUMER_OFFSETS_TOPIC} is being created; retry.`));
    }
    return this.owned(txn.transactionalId, (core) => core.addOffsets(txn.transactionalId, txn.producerId, txn.producerEpoch, groupId));
  }

  endTxn(txn: TxnProducer, commit: boolean) {
    return this.owned(txn.transactionalId, (core) => core.endTxn(txn.transactionalId, txn.producerId, txn.producerEpoch, commit));
  }

  /** TxnOffsetCommit is the group coordinator's (the transaction's may be another broker). */
  commitOffsets(params: TxnOffsetCommitParams, commits: readonly OffsetCommitEntry[]): Promise<CommitResult[]> {
    return this.groups.commitTxnOffsets(params, commits);
  }

  /** WriteTxnMarkers for a partition this broker leads: the marker appended, and on `__consumer_offsets` the pending offsets completed. */
  async writeLocalMarker(topic: string, partition: number, marker: TxnMarker): Promise<E.Either<Refusal, void>> {
    const written = await appendTxnMarkerAsLeader(this.broker, topic, partition, marker);
    if (E.isRight(written) && topic === CONSUMER_OFFSETS_TOPIC) this.groups.txnMarkerWritten(partition, marker.producerId, marker.commit);
    return written;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.coordinator?.close();
  }

  // ---------------------------------------------------------------- plumbing

  /** Runs a request when this broker coordinates the id now, else NOT_COORDINATOR (or COORDINATOR_NOT_AVAILABLE before the topic exists). */
  private owned<T>(
    transactionalId: string,
    run: (core: TransactionCoordinator) => Promise<E.Either<TxnRefusal, T>>,
  ): E.Either<Refusal, T> | Promise<E.Either<TxnRefusal, T>> {
    const core = this.core();
    const count = this.partitionCount();
    if (core === undefined || count === undefined)
      return E.left(refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${TRANSACTION_STATE_TOPIC} does not exist yet; retry.`));
    const p = txnStatePartitionFor(transactionalId, count);
    const l = this.loaded.get(p);
    const h = this.broker.replicas.get(replicaName(TRANSACTION_STATE_TOPIC, p));
    if (l === undefined || h !== l.hosted || h.replica.role !== 'leader' || h.replica.leaderEpoch !== l.leaderEpoch)
      return E.left(
        refusal(
          ErrorCode.NOT_COORDINATOR,
          `Broker ${this.broker.nodeId} does not coordinate transactional id "${transactionalId}" now; find its coordinator again.`,
        ),
      );
    return run(core);
  }

  /** A state record, appended with acks=all to the partition this broker leads. */
  private async appendState(partition: number, key: Buffer, value: Buffer | null): Promise<E.Either<Refusal, void>> {
    const l = this.loaded.get(partition);
    if (l === undefined || l.hosted.replica.role !== 'leader' || l.hosted.replica.leaderEpoch !== l.leaderEpoch)
      return E.left(refusal(ErrorCode.NOT_COORDINATOR, `Broker ${this.broker.nodeId} no longer leads ${TRANSACTION_STATE_TOPIC}-${partition}.`));
    const written = await appendCoordinatorBatch(this.broker, l.hosted, encodeRecordBatch({ records: [{ key, value }] }), STATE_APPEND_TIMEOUT_MS);
    return E.isLeft(written) ? E.left(refusal(stateError(written.left.code), written.left.message)) : E.right(undefined);
  }

  /** A marker to the partition's leader: here, or over the inter-broker RPC to the leader. */
  private async sendMarker(topic: string, partition: number, marker: TxnMarkerSpec): Promise<E.Either<Refusal, void>> {
    const leader = this.broker.image.topicByName(topic)?.partitions.get(partition)?.leader ?? -1;
    if (this.broker.image.topicByName(topic) === undefined)
      return E.left(refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${topic} no longer exists: its marker is not needed.`));
    if (leader === this.broker.nodeId) return this.writeLocalMarker(topic, partition, marker);
    if (leader < 0) return E.left(refusal(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} has no leader now.`));
    const request: TxnMarkerRequest = {
      topic,
      partition,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      coordinatorEpoch: marker.coordinatorEpoch,
      commit: marker.commit,
    };
    return txnMarkerOutcome(leader, await this.broker.callBroker(leader, WRITE_TXN_MARKER_METHOD, request, MARKER_REQUEST_TIMEOUT_MS));
  }

  /** Creates `__transaction_state` through the controller, once at a time. */
  private ensureTopic(): void {
    if (this.creating || this.partitionCount() !== undefined) return;
    const live = this.broker.image.liveBrokers().length;
    if (live === 0) return;
    const { replicationFactor, minInsyncReplicas } = defaultReplication(live);
    this.creating = true;
    this.broker.log(
      `broker ${this.broker.nodeId}: creating ${TRANSACTION_STATE_TOPIC} (${TXN_STATE_PARTITIONS} partitions, replication factor ${replicationFactor})`,
    );
    void this.broker
      .createTopic(
        {
          name: TRANSACTION_STATE_TOPIC,
          partitions: TXN_STATE_PARTITIONS,
          replicationFactor,
          config: { 'cleanup.policy': 'compact', 'min.insync.replicas': String(minInsyncReplicas) },
        },
        CREATE_TIMEOUT_MS,
      )
      .then((a) => {
        if (a.errorCode !== 0 && a.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)
          this.broker.log(`broker ${this.broker.nodeId}: cannot create ${TRANSACTION_STATE_TOPIC} yet: ${a.message ?? `error ${a.errorCode}`}`);
      })
      .finally(() => {
        this.creating = false;
      });
  }
}

/** A state append's error as the transaction APIs answer it: the client finds the coordinator again. */
function stateError(code: number): number {
  if (code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return ErrorCode.NOT_COORDINATOR;
  if (code === ErrorCode.NOT_ENOUGH_REPLICAS || code === ErrorCode.REQUEST_TIMED_OUT) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  return code;
}
