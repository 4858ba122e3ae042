// Reads partitions at their leaders over one set of broker connections: the
// leaders of each topic (looked up once, refreshed when they move), and one
// Fetch of one partition. A broker answers a connection's requests in order,
// so a consumer's long-polling fetches get connections of their own (a
// reader per consumer): the client's other requests (offsets, commits,
// produce) never queue behind them.
import { apis } from '../../protocol';
import { fetchedRecords } from '../fetched-records';
import type { FetchedRecord, TopicPartition } from '../log-client';
import type { BrokerConnections } from './broker-connections';
import { checkCode, PartitionLeaders, STALE_METADATA } from './partition-leaders';
import type { RetryPolicy } from './retry-policy';

/** One fetch of one partition: its records, the offset to read next, and the high watermark the leader reported. */
export interface PartitionFetch {
  readonly records: FetchedRecord[];
  readonly nextOffset: number;
  readonly highWatermark: number | undefined;
}

export class PartitionReader {
  private readonly byTopic = new Map<string, Promise<PartitionLeaders>>();

  constructor(
    readonly brokers: BrokerConnections,
    private readonly retry: RetryPolicy,
  ) {}

  /** The partitions' leaders of a topic (looked up on first use). */
  leaders(topic: string): Promise<PartitionLeaders> {
    let l = this.byTopic.get(topic);
    if (l === undefined) {
      const fresh = new PartitionLeaders(this.brokers, topic, this.retry);
      l = fresh.refresh().then(() => fresh);
      this.byTopic.set(topic, l);
      l.catch(() => this.byTopic.delete(topic));
    }
    return l;
  }

  /** Forgets what is known of a topic (it was just created). */
  forget(topic: string): void {
    this.byTopic.delete(topic);
  }

  /** One Fetch of `tp` at its leader; with maxWaitMs > 0 the leader may hold it that long for records to arrive (long poll). */
  /** isolationLevel 1 (read_committed, default): up to the last stable offset, aborted transactions left out. */
  async fetch(tp: TopicPartition, offset: number, maxBytes: number, maxWaitMs: number, isolationLevel: 0 | 1 = 1): Promise<PartitionFetch> {
    const what = `cannot fetch ${tp.topic}-${tp.partition} at offset ${offset}`;
    const leaders = await this.leaders(tp.topic);
    return leaders.withLeader(tp.partition, what, async (c) => {
      const r = await c.request<apis.FetchResponse>(apis.fetch, {
        replicaId: -1,
        maxWaitMs,
        minBytes: maxWaitMs > 0 ? 1 : 0,
        maxBytes,
        isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: tp.topic,
            partitions: [
              { partition: tp.partition, fetchOffset: offset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1, logStartOffset: -1, lastFetchedEpoch: -1 },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      checkCode(r.errorCode ?? 0, what);
      const p = r.responses[0]?.partitions[0];
      if (p === undefined) return { records: [], nextOffset: offset, highWatermark: undefined };
      if (STALE_METADATA.has(p.errorCode)) return leaders.movedTo(tp.partition, p.currentLeader, r.nodeEndpoints);
      checkCode(p.errorCode, what);
      const read = p.records && p.records.length > 0 ? fetchedRecords(tp, offset, p.records, p.abortedTransactions) : { records: [], nextOffset: offset };
      // What a reader can read to: under read_committed the last stable offset.
      return { ...read, highWatermark: isolationLevel === 1 ? p.lastStableOffset : p.highWatermark };
    });
  }
}
