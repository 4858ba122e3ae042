// Where each partition of a topic is led, for the tools that read and write:
// on a Rill cluster (or Kafka) a produce or fetch must go to the partition's
// leader, so the tool asks Metadata, keeps one connection per broker, and when
// a leader moves or dies (NOT_LEADER_OR_FOLLOWER, a refused or closed
// connection) asks Metadata again, from any broker that answers (the bootstrap
// list, then every broker Metadata named), and retries with a backoff until a
// deadline. On a single broker every partition is led by the bootstrap broker.
import type { TopicPartition } from '../core/client';
import { apis, KafkaClientError, KafkaConnection } from '../core/protocol';
import { bootstrapList, check, CommandError } from './wire';

/** Errors after which the leader may have moved or the cluster is recovering: refresh and retry. */
export const LEADER_MOVED = new Set([
  5 /* LEADER_NOT_AVAILABLE */, 6 /* NOT_LEADER_OR_FOLLOWER */, 7 /* REQUEST_TIMED_OUT */, 19 /* NOT_ENOUGH_REPLICAS */, 20 /* NOT_ENOUGH_REPLICAS_AFTER_APPEND */,
  74 /* FENCED_LEADER_EPOCH */, 75 /* UNKNOWN_LEADER_EPOCH */,
]);

/** How long a request keeps being retried while its partition has no reachable leader (default). */
export const DEFAULT_RETRY_TIMEOUT_MS = 60_000;

/** Returned by a `withLeader` attempt when the answer said the leader moved. */
export const MOVED = Symbol('leader moved');

/** A partition whose leader Metadata does not name (an election is under way): retried like a broken connection. */
class NoLeader extends KafkaClientError {}

/** A failure worth a retry: the connection broke, or no leader is known yet. */
function retriable(e: unknown): boolean {
  return e instanceof KafkaClientError || (e instanceof CommandError && /cannot connect|connect ECONNREFUSED|closed the connection/.test(e.message));
}

export class PartitionLeaders {
  private readonly leaders = new Map<number, number>();
  private readonly addresses = new Map<number, string>();
  private readonly conns = new Map<string, KafkaConnection>();
  private readonly bootstraps: string[];

  constructor(
    private bootstrap: KafkaConnection,
    bootstrapAddress: string,
    private readonly topic: string,
    readonly retryTimeoutMs = DEFAULT_RETRY_TIMEOUT_MS,
  ) {
    this.bootstraps = bootstrapList(bootstrapAddress);
  }

  /** A live connection to any broker: the last one that answered, else the first of the known brokers and the bootstrap list that does. */
  async any(): Promise<KafkaConnection> {
    if (!this.bootstrap.closed) return this.bootstrap;
    const failures: string[] = [];
    for (const address of new Set([...this.addresses.values(), ...this.bootstraps])) {
      try {
        this.bootstrap = await this.connection(address);
        return this.bootstrap;
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    throw new KafkaClientError(`no broker answers: ${failures.join('; ')}`);
  }

  /** Reads the topic's leaders from Metadata (from any broker that answers); the partition count. */
  async refresh(): Promise<number> {
    const m = await (await this.any()).request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: this.topic }], allowAutoTopicCreation: false });
    for (const b of m.brokers) this.addresses.set(b.nodeId, `${b.host}:${b.port}`);
    const t = m.topics[0];
    for (const p of t?.partitions ?? []) this.leaders.set(p.partitionIndex, p.leaderId);
    return t?.partitions.length ?? 0;
  }

  private async connection(address: string): Promise<KafkaConnection> {
    let c = this.conns.get(address);
    if (c !== undefined && !c.closed) return c;
    c?.close();
    c = await KafkaConnection.connect(address, { clientId: 'rill-cli', timeoutMs: 30000 });
    this.conns.set(address, c);
    return c;
  }

  /** A connection to the partition's leader as last known (the bootstrap broker when Metadata named none yet). */
  async connectionFor(partition: number): Promise<KafkaConnection> {
    const leader = this.leaders.get(partition);
    if (leader === undefined) return this.any();
    const address = this.addresses.get(leader);
    if (address === undefined) throw new NoLeader(`${this.topic}-${partition} has no leader`);
    return this.connection(address);
  }

  /** Drops the connection to `partition`'s leader (after it failed). */
  forget(partition: number): void {
    const address = this.addresses.get(this.leaders.get(partition) ?? -1);
    if (address === undefined) return;
    this.conns.get(address)?.close();
    this.conns.delete(address);
  }

  /**
   * Runs `attempt` against the partition's leader until it answers something
   * other than MOVED; a moved leader or a broken connection makes it ask
   * Metadata again and retry, with a backoff, for up to retryTimeoutMs.
   */
  async withLeader<T>(partition: number, what: string, attempt: (c: KafkaConnection) => Promise<T | typeof MOVED>): Promise<T> {
    const deadline = Date.now() + this.retryTimeoutMs;
    let last = 'the leader moved';
    for (let n = 0; ; n++) {
      try {
        const r = await attempt(await this.connectionFor(partition));
        if (r !== MOVED) return r;
      } catch (e) {
        if (!retriable(e)) throw e;
        last = (e as Error).message;
        this.forget(partition);
      }
      if (Date.now() >= deadline) throw new CommandError(`${what}: no leader answered within ${this.retryTimeoutMs} ms (last: ${last})`);
      await backoff(n);
      await this.refresh().catch((e: Error) => (last = e.message));
    }
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

/** 100 ms, doubling up to 1 s. */
export function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
}

/** listOffsets() at each partition's leader, following leader changes. */
export async function listOffsetsAtLeaders(leaders: PartitionLeaders, topic: string, tps: TopicPartition[], timestamp: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tp of tps) {
    const offset = await leaders.withLeader(tp.partition, `cannot list offsets of ${topic}-${tp.partition}`, async (c) => {
      const r = await c.request<apis.ListOffsetsResponse>(apis.listOffsets, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: tp.partition, timestamp }] }] });
      const p = r.topics[0]?.partitions[0];
      if (p !== undefined && LEADER_MOVED.has(p.errorCode)) return MOVED;
      check(p?.errorCode ?? 3, `cannot list offsets of ${topic}-${tp.partition}`);
      return p!.offset;
    });
    out.set(tp.partition, offset);
  }
  return out;
}
