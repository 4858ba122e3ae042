// Where each partition of a topic is led, for tools that write: on a Rill
// cluster (or Kafka) a produce must go to the partition's leader, so the tool
// asks Metadata, keeps one connection per leader, and asks again when a broker
// answers NOT_LEADER_OR_FOLLOWER (the leader moved). On a single broker every
// partition is led by the bootstrap broker and its connection is reused.
import type { TopicPartition } from '../core/client';
import { apis, KafkaConnection } from '../core/protocol';
import { check, connect } from './wire';

/** Errors after which the leader may have moved: refresh and retry. */
export const LEADER_MOVED = new Set([5 /* LEADER_NOT_AVAILABLE */, 6 /* NOT_LEADER_OR_FOLLOWER */]);

export class PartitionLeaders {
  private readonly leaders = new Map<number, number>();
  private readonly addresses = new Map<number, string>();
  private readonly conns = new Map<string, KafkaConnection>();

  constructor(
    private readonly bootstrap: KafkaConnection,
    private readonly bootstrapAddress: string,
    private readonly topic: string,
  ) {}

  /** Reads the topic's leaders from Metadata; the partition count. */
  async refresh(): Promise<number> {
    const m = await this.bootstrap.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: this.topic }], allowAutoTopicCreation: false });
    for (const b of m.brokers) this.addresses.set(b.nodeId, `${b.host}:${b.port}`);
    const t = m.topics[0];
    for (const p of t?.partitions ?? []) this.leaders.set(p.partitionIndex, p.leaderId);
    return t?.partitions.length ?? 0;
  }

  /** A connection to the partition's leader as last known (the bootstrap broker when unknown). */
  async connectionFor(partition: number): Promise<KafkaConnection> {
    const address = this.addresses.get(this.leaders.get(partition) ?? -1);
    if (address === undefined || address === this.bootstrapAddress) return this.bootstrap;
    let c = this.conns.get(address);
    if (c === undefined) {
      c = await connect(address);
      this.conns.set(address, c);
    }
    return c;
  }

  /** Drops the connection to `partition`'s leader (after it failed). */
  forget(partition: number): void {
    const address = this.addresses.get(this.leaders.get(partition) ?? -1);
    if (address === undefined) return;
    this.conns.get(address)?.close();
    this.conns.delete(address);
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

/** listOffsets() at each partition's leader, asking Metadata again (a few times) when a leader moved. */
export async function listOffsetsAtLeaders(leaders: PartitionLeaders, topic: string, tps: TopicPartition[], timestamp: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tp of tps) {
    for (let attempt = 1; ; attempt++) {
      const c = await leaders.connectionFor(tp.partition);
      const r = await c.request<apis.ListOffsetsResponse>(apis.listOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: tp.partition, timestamp }] }] });
      const p = r.topics[0]?.partitions[0];
      if (p !== undefined && LEADER_MOVED.has(p.errorCode) && attempt < 10) {
        await new Promise((r) => setTimeout(r, 100 * attempt));
        await leaders.refresh();
        continue;
      }
      check(p?.errorCode ?? 3, `cannot list offsets of ${topic}-${tp.partition}`);
      out.set(tp.partition, p!.offset);
      break;
    }
  }
  return out;
}
