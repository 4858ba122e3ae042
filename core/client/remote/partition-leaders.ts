// Where each partition of a topic is led, for every client that reads and
// writes over the Kafka protocol (the Rill protocol LogClient, and the CLI's
// tools): on a Rill cluster (or Kafka) a produce or fetch must go to the
// partition's leader, so the client asks Metadata, keeps one connection per
// broker (shared by every topic, see BrokerConnections), and when a leader
// moves or dies (NOT_LEADER_OR_FOLLOWER, a refused or closed connection) asks
// Metadata again, from any broker that answers, and retries with a backoff
// until a deadline. An answer that names the new leader (KIP-951's
// CurrentLeader, in Produce v10+ and Fetch v12+ answers) is followed at once,
// without Metadata and without a backoff, when its leader epoch is newer than
// the one known. On a single broker every partition is led by the bootstrap
// broker.
import { BrokerError, errorName } from '../../broker';
import { apis, KafkaClientError, NO_TOPIC_ID, type BrokerEndpoint, type KafkaConnection, type PartitionLeader } from '../../protocol';
import type { TopicPartition } from '../../broker';
import type { BrokerConnections } from './broker-connections';
import { RetryLater, retryPolicy, type RetryPolicy } from './retry-policy';

/** Errors after which the leader may have moved or the cluster is recovering: refresh and retry. */
export const LEADER_MOVED = new Set([
  5 /* LEADER_NOT_AVAILABLE */, 6 /* NOT_LEADER_OR_FOLLOWER */, 7 /* REQUEST_TIMED_OUT */, 19 /* NOT_ENOUGH_REPLICAS */,
  20 /* NOT_ENOUGH_REPLICAS_AFTER_APPEND */, 74 /* FENCED_LEADER_EPOCH */, 75 /* UNKNOWN_LEADER_EPOCH */,
]);

/**
 * LEADER_MOVED, and UNKNOWN_TOPIC_OR_PARTITION: a broker that has not learnt
 * of a topic just created yet. The runtime's client retries on it (the CLI's
 * tools, which check the topic first, report it at once).
 */
export const STALE_METADATA = new Set([...LEADER_MOVED, 3]);

/** Returned by a `withLeader` attempt when the answer said the leader moved. */
export const MOVED = Symbol('leader moved');

/** Returned (by `movedTo`) when the answer also named the new leader and it was taken: retried there at once. */
const FOLLOWED = Symbol('leader moved, to the leader the answer named');

/** A partition whose leader Metadata does not name (an election is under way): retried like a broken connection. */
class NoLeader extends KafkaClientError {}

/** A Kafka error answer as an exception: its code, and what was being done. */
export function kafkaError(code: number, what: string, message?: string | null): BrokerError {
  return new BrokerError(code, `${what}: ${message || `${errorName(code)} (error ${code})`}`);
}

/** Throws kafkaError(code, ...) unless `code` is 0. */
export function checkCode(code: number, what: string, message?: string | null): void {
  if (code !== 0) throw kafkaError(code, what, message);
}

export class PartitionLeaders {
  private readonly leaders = new Map<number, PartitionLeader>();
  private count = 0;
  /** The topic's id as last seen in Metadata (undefined before v10 answers, or none yet). */
  private topicId: string | undefined;
  readonly retry: RetryPolicy;

  /** `retry`: the client's policy, or how long to retry (ms). */
  constructor(
    readonly brokers: BrokerConnections,
    readonly topic: string,
    retry?: RetryPolicy | number,
  ) {
    this.retry = retryPolicy(retry);
  }

  /** A live connection to any broker. */
  any(): Promise<KafkaConnection> {
    return this.brokers.any();
  }

  /** Reads the topic's leaders from Metadata (from any broker that answers); the partition count (0: no such topic). */
  async refresh(): Promise<number> {
    const m = await this.brokers.metadata([this.topic]);
    const t = m.topics[0];
    // A topic deleted and made again under the same name starts its leader epochs
    // again at 0: a new topic id (Metadata v10+) drops what was known of the old
    // one, as Kafka's client resets its epoch check when the id changes.
    const topicId = t === undefined || t.topicId === undefined || t.topicId === NO_TOPIC_ID ? undefined : t.topicId;
    if (topicId !== undefined && topicId !== this.topicId) {
      if (this.topicId !== undefined) this.leaders.clear();
      this.topicId = topicId;
    }
    for (const p of t?.partitions ?? []) {
      // A broker's Metadata may lag the leader an answer named: the newer epoch stays.
      const known = this.leaders.get(p.partitionIndex);
      if (known === undefined || p.leaderEpoch < 0 || p.leaderEpoch >= known.leaderEpoch)
        this.leaders.set(p.partitionIndex, { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch });
    }
    this.count = t !== undefined && t.errorCode === 0 ? t.partitions.length : 0;
    return this.count;
  }

  /** The partition count as of the last refresh() (0: no such topic). */
  get partitions(): number {
    return this.count;
  }

  /** A connection to the partition's leader as last known (the bootstrap broker when Metadata named none yet). */
  async connectionFor(partition: number): Promise<KafkaConnection> {
    const leader = this.leaders.get(partition);
    if (leader === undefined) return this.any();
    const address = this.brokers.addressOf(leader.leaderId);
    if (address === undefined) throw new NoLeader(`${this.topic}-${partition} has no leader`);
    return this.brokers.connection(address);
  }

  /** Drops the connection to `partition`'s leader (after it failed). */
  forget(partition: number): void {
    const address = this.brokers.addressOf(this.leaders.get(partition)?.leaderId ?? -1);
    if (address !== undefined) this.brokers.drop(address);
  }

  /**
   * Runs `attempt` against the partition's leader until it answers something
   * other than MOVED; a moved leader or a broken connection makes it ask
   * Metadata again and retry, as the retry policy says.
   */
  withLeader<T>(partition: number, what: string, attempt: (c: KafkaConnection) => Promise<T | typeof MOVED | typeof FOLLOWED>): Promise<T> {
    let followed = false;
    return this.retry.run(
      what,
      async (n) => {
        // A retry first asks where the leader is now, unless the last answer said
        // (once only: if that leader fails too, the next retry asks Metadata).
        const told = followed;
        followed = false;
        if (n > 0 && !told) await this.refresh();
        const r = await attempt(await this.connectionFor(partition));
        if (r === FOLLOWED) {
          followed = true;
          return new RetryLater('the leader moved', { now: true });
        }
        return r === MOVED ? new RetryLater('the leader moved') : r;
      },
      { onError: () => this.forget(partition), stopped: () => this.brokers.closed },
    );
  }

  /**
   * What an attempt returns when `partition`'s answer said the leader moved:
   * FOLLOWED when the answer named a leader (KIP-951) newer than the one known
   * and `endpoints` (or an earlier Metadata) say where it listens, so the
   * retry goes there at once; MOVED otherwise (ask Metadata, back off).
   * Epochs only grow, so two brokers cannot send a client back and forth.
   */
  movedTo(partition: number, named: PartitionLeader | undefined, endpoints: readonly BrokerEndpoint[] | undefined): typeof MOVED | typeof FOLLOWED {
    if (named === undefined || named.leaderId < 0) return MOVED;
    const known = this.leaders.get(partition);
    if (known !== undefined && named.leaderEpoch <= known.leaderEpoch) return MOVED;
    if (endpoints !== undefined) this.brokers.learn(endpoints);
    if (this.brokers.addressOf(named.leaderId) === undefined) return MOVED;
    this.leaders.set(partition, named);
    return FOLLOWED;
  }

  /**
   * Produces one RecordBatch (acks=all) at the partition's leader, following it
   * while the answer's error code is in `moved`; any other error goes to `fail`
   * (which throws the caller's kind of error).
   */
  async produceBatch(
    partition: number,
    batch: Buffer,
    moved: ReadonlySet<number>,
    fail: (code: number, what: string, message: string | null) => void,
  ): Promise<void> {
    const what = `cannot produce to ${this.topic}-${partition}`;
    await this.withLeader(partition, what, async (c) => {
      const r = await c.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ name: this.topic, partitionData: [{ index: partition, records: batch }] }],
      });
      const p = r.responses[0].partitionResponses[0];
      if (moved.has(p.errorCode)) return this.movedTo(partition, p.currentLeader, r.nodeEndpoints);
      fail(p.errorCode, what, p.errorMessage);
      return undefined;
    });
  }

  /** ListOffsets at each partition's leader, following leader changes: partition -> offset (timestamp -2: log start, -1: high watermark). */
  async listOffsets(tps: readonly TopicPartition[], timestamp: number): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const tp of tps) {
      const what = `cannot list offsets of ${this.topic}-${tp.partition}`;
      const offset = await this.withLeader(tp.partition, what, async (c) => {
        const r = await c.request<apis.ListOffsetsResponse>(apis.listOffsets, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: this.topic, partitions: [{ partitionIndex: tp.partition, timestamp }] }],
        });
        const p = r.topics[0]?.partitions[0];
        if (p !== undefined && LEADER_MOVED.has(p.errorCode)) return MOVED;
        checkCode(p?.errorCode ?? 3, what);
        return p!.offset;
      });
      out.set(tp.partition, offset);
    }
    return out;
  }
}
