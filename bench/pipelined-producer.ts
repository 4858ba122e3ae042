// The load bench/cluster.ts and bench/cluster-vs-kafka.ts put on a cluster:
// a pipelined Kafka-protocol producer over core/protocol's KafkaConnection that
// measures the brokers, not the client. Each request to a partition leader
// carries one pre-encoded RecordBatch v2 for every partition that leader leads
// (as Kafka's producer sends), several requests are in flight per connection,
// and the batch is encoded once, so the client's own CPU per record is close
// to nothing. It speaks only the Kafka protocol, so it loads Rill's brokers and
// Apache Kafka's alike.
import { encodeRecordBatch } from '../core/log';
import { apis, KafkaConnection } from '../core/protocol';

export const BATCH_TARGET_BYTES = 64 * 1024;
/** Kafka's max.in.flight.requests.per.connection default. */
export const IN_FLIGHT_PER_CONNECTION = 5;

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One batch of about BATCH_TARGET_BYTES of `valueBytes`-byte records with no key, sent again and again. */
export function makeBatch(valueBytes: number): { batch: Buffer; records: number } {
  const records = Math.max(1, Math.floor(BATCH_TARGET_BYTES / (valueBytes + 10)));
  const value = Buffer.alloc(valueBytes, 'x');
  const now = Date.now();
  const batch = encodeRecordBatch({ records: Array.from({ length: records }, () => ({ key: null, value, timestamp: now })) });
  return { batch, records };
}

/**
 * A run's measured window: it opens `warmupMs` after it is made and lasts
 * `measureMs`; onOpen() runs when it opens (subclasses start their CPU meters
 * there). The senders count what was acknowledged inside it and how long each
 * request took.
 */
export class ProduceWindow {
  readonly opens: number;
  readonly closes: number;
  acked = 0;
  errors = 0;
  /** Requests answered inside the window. */
  requests = 0;
  readonly latencies: number[] = [];

  constructor(warmupMs: number, measureMs: number) {
    this.opens = performance.now() + warmupMs;
    this.closes = this.opens + measureMs;
    setTimeout(() => this.onOpen(), warmupMs);
  }

  protected onOpen(): void {}

  /** Whether a request answered at `now` counts. */
  contains(now: number): boolean {
    return now >= this.opens && now <= this.closes;
  }

  /** The requests' latency inside the window: median, 99th percentile and longest, ms to 0.1. */
  latencyMs(): { p50: number; p99: number; max: number } {
    const s = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => (s.length === 0 ? NaN : +s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1));
    return { p50: at(0.5), p99: at(0.99), max: at(1) };
  }
}

/** Where a topic's partitions are led: the leader's host:port and the partitions it leads. */
export interface LeaderPartitions {
  leaderId: number;
  address: string;
  partitions: number[];
}

/** Groups a topic's partitions by leader; throws when a partition has none. */
export function leadersOf(
  topic: string,
  parts: readonly { partitionIndex: number; leaderId: number }[],
  address: (leaderId: number) => string,
): LeaderPartitions[] {
  if (parts.length === 0 || parts.some((p) => p.leaderId < 0)) throw new Error(`no leaders for ${topic}`);
  const byLeader = new Map<number, number[]>();
  for (const p of parts) byLeader.set(p.leaderId, [...(byLeader.get(p.leaderId) ?? []), p.partitionIndex]);
  return [...byLeader].map(([leaderId, partitions]) => ({ leaderId, address: address(leaderId), partitions }));
}

export interface PipelinedProduce<W extends ProduceWindow> {
  topic: string;
  acks: number;
  leaders: readonly LeaderPartitions[];
  valueBytes: number;
  connectionsPerLeader: number;
  /** Made once the connections are open, so connecting is not measured. */
  window: () => W;
}

/**
 * Produces the same pre-encoded batch to every partition of the topic until
 * the window closes, IN_FLIGHT_PER_CONNECTION requests in flight on each of
 * `connectionsPerLeader` connections to each leader. Counts into the window
 * the records acknowledged inside it. Throws when nothing was acknowledged.
 */
export async function producePipelined<W extends ProduceWindow>(p: PipelinedProduce<W>): Promise<{ window: W; recordsPerRequest: number }> {
  const conns: { leader: LeaderPartitions; conn: KafkaConnection }[] = [];
  const { batch, records: perBatch } = makeBatch(p.valueBytes);
  let firstError: string | undefined;
  let window: W;
  try {
    for (const leader of p.leaders) {
      for (let i = 0; i < p.connectionsPerLeader; i++)
        conns.push({ leader, conn: await KafkaConnection.connect(leader.address, { timeoutMs: 30_000, clientId: 'rill-bench', maxResponseBytes: 1 << 20 }) });
    }
    const measured = p.window();
    window = measured;
    const loops: Promise<void>[] = [];
    for (const { leader, conn } of conns) {
      const partitionData = leader.partitions.map((index) => ({ index, records: batch }));
      const body = { transactionalId: null, acks: p.acks, timeoutMs: 30_000, topicData: [{ name: p.topic, partitionData }] };
      for (let i = 0; i < IN_FLIGHT_PER_CONNECTION; i++) {
        loops.push(
          (async () => {
            while (performance.now() < measured.closes) {
              const sentAt = performance.now();
              const r = await conn.request<apis.ProduceResponse>(apis.produce, body);
              const now = performance.now();
              const inWindow = measured.contains(now);
              let failed = false;
              for (const part of r.responses[0].partitionResponses) {
                if (part.errorCode !== 0) {
                  measured.errors++;
                  failed = true;
                  firstError ??= `error code ${part.errorCode} from partition ${part.index}`;
                } else if (inWindow) measured.acked += perBatch;
              }
              if (inWindow) {
                measured.requests++;
                measured.latencies.push(now - sentAt);
              }
              if (failed) await pause(10);
            }
          })(),
        );
      }
    }
    await Promise.all(loops);
  } finally {
    for (const c of conns) c.conn.close();
  }
  if (window.acked === 0) throw new Error(`nothing acknowledged on ${p.topic} in the measured window (${window.errors} errors; first: ${firstError})`);
  const partitions = p.leaders.reduce((n, l) => n + l.partitions.length, 0);
  return { window, recordsPerRequest: perBatch * Math.round(partitions / p.leaders.length) };
}
