// Who runs which task, for interactive queries under external assignment
// (`rill worker`), where no consumer group lists the instances: each instance
// that serves queries writes its tasks to a small compacted topic,
// `<applicationId>-query-hosts` (key: its applicationServer; value: JSON
// `{ "host", "partitions" }`), after every change of its tasks, and a
// tombstone when it stops. Read in offset order, a later claim of a task wins:
// a task is claimed only after its previous owner revoked it (or was declared
// dead and its tasks moved), so the newest claim is its current owner's. An
// instance that dies keeps its claims until the tasks' new owners write
// theirs; a query forwarded to it meanwhile finds it unreachable (503).
import type { LogClient, LogProducer, TopicSpec } from '../../core/client';

const FETCH_BYTES = 1024 * 1024;

interface Claim {
  readonly host: string;
  readonly partitions: readonly number[];
}

export class QueryHostsTopic {
  readonly spec: TopicSpec;
  private producer: LogProducer | undefined;
  /** The owners as of `readTo`, built up record by record. */
  private owners = new Map<number, string>();
  private readTo = 0;
  /** Reads run one at a time: each goes on from where the last one stopped. */
  private reading: Promise<ReadonlyMap<number, string>> = Promise.resolve(new Map());

  constructor(
    private readonly client: LogClient,
    applicationId: string,
    /** This instance's applicationServer: the key of its claims. */
    private readonly self: string,
    replicationFactor: number,
  ) {
    this.spec = { name: `${applicationId}-query-hosts`, partitions: 1, replicationFactor, config: { 'cleanup.policy': 'compact' } };
  }

  /** Claims exactly these tasks for this instance (an empty list: none). */
  publish(partitions: readonly number[]): Promise<void> {
    const claim: Claim = { host: this.self, partitions };
    return this.send(Buffer.from(JSON.stringify(claim), 'utf8'));
  }

  /** This instance stops: its claim is removed. */
  async withdraw(): Promise<void> {
    await this.send(null);
    await this.producer?.close();
  }

  /** The owner (applicationServer) of every claimed task, as of the topic's end now. */
  hosts(): Promise<ReadonlyMap<number, string>> {
    this.reading = this.reading.catch(() => undefined).then(() => this.readToEnd());
    return this.reading;
  }

  private send(value: Buffer | null): Promise<void> {
    this.producer ??= this.client.producer();
    return this.producer.send(this.spec.name, { key: Buffer.from(this.self, 'utf8'), value, partition: 0, timestamp: Date.now() });
  }

  private async readToEnd(): Promise<ReadonlyMap<number, string>> {
    const [range] = await this.client.offsets(this.spec.name);
    if (range === undefined) return this.owners;
    if (range.start > this.readTo) {
      // Records were removed before they were read: start over from what is left.
      this.owners = new Map();
      this.readTo = range.start;
    }
    while (this.readTo < range.end) {
      const fetched = await this.client.fetch({ topic: this.spec.name, partition: 0 }, this.readTo, FETCH_BYTES);
      if (fetched.nextOffset <= this.readTo) break;
      for (const r of fetched.records) if (r.key !== null) this.apply(r.key.toString('utf8'), r.value);
      this.readTo = fetched.nextOffset;
    }
    return new Map(this.owners);
  }

  private apply(host: string, value: Buffer | null): void {
    for (const [p, owner] of this.owners) if (owner === host) this.owners.delete(p);
    const claim = value === null ? undefined : parseClaim(value);
    for (const p of claim?.partitions ?? []) this.owners.set(p, host);
  }
}

/** A claim as written by publish(); anything else (written by something else) is ignored. */
function parseClaim(value: Buffer): Claim | undefined {
  try {
    const c = JSON.parse(value.toString('utf8')) as Partial<Claim>;
    if (typeof c.host !== 'string' || !Array.isArray(c.partitions) || !c.partitions.every((p) => Number.isInteger(p) && p >= 0)) return undefined;
    return { host: c.host, partitions: c.partitions };
  } catch {
    return undefined;
  }
}
