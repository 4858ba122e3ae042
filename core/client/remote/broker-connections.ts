// One connection per broker of a Kafka cluster (Rill's or Kafka's), shared by
// everything a client asks of it: the bootstrap list to start from, the
// brokers Metadata named, and "any broker that answers" for the requests
// every broker serves (Metadata, FindCoordinator, CreateTopics).
import { apis, type ClientSaslOptions, type ClientTlsOptions, KafkaClientError, KafkaConnection } from '../../protocol';

export interface BrokerConnectionsOptions {
  /** Kafka's client.id, sent with every request. */
  readonly clientId?: string;
  /** Per request (and per connect). Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** security.protocol=SSL: every connection over TLS. */
  readonly tls?: ClientTlsOptions;
  /** security.protocol=SASL_*: every connection authenticates first. */
  readonly sasl?: ClientSaslOptions;
}

/** `HOST:PORT,HOST:PORT,...` (or a list of them) as a list of addresses. */
export function bootstrapAddresses(bootstrap: string | readonly string[]): string[] {
  return (typeof bootstrap === 'string' ? bootstrap.split(',') : bootstrap).map((s) => s.trim()).filter((s) => s.length > 0);
}

export class BrokerConnections {
  private readonly addresses = new Map<number, string>();
  private readonly conns = new Map<string, KafkaConnection>();
  private readonly connecting = new Map<string, Promise<KafkaConnection>>();
  private readonly bootstraps: string[];
  private last: KafkaConnection | undefined;
  private shut = false;

  /** `first`: a connection already open to one of the bootstrap brokers (used as "any" while it lives). */
  constructor(
    bootstrap: string | readonly string[],
    private readonly options: BrokerConnectionsOptions = {},
    first?: KafkaConnection,
  ) {
    this.bootstraps = bootstrapAddresses(bootstrap);
    if (this.bootstraps.length === 0) throw new KafkaClientError(`no broker address in the bootstrap list "${String(bootstrap)}"`);
    this.last = first;
  }

  /** A live connection to any broker: the last one that answered, else the first of the known brokers and the bootstrap list that does. */
  async any(): Promise<KafkaConnection> {
    if (this.last !== undefined && !this.last.closed) return this.last;
    const failures: string[] = [];
    for (const address of new Set([...this.addresses.values(), ...this.bootstraps])) {
      try {
        this.last = await this.connection(address);
        return this.last;
      } catch (e) {
        if (!(e instanceof KafkaClientError)) throw e;
        failures.push(e.message);
      }
    }
    throw new KafkaClientError(`no broker answers: ${failures.join('; ')}`);
  }

  /** Metadata of `topics` (null: all) from any broker; learns where the brokers listen. */
  async metadata(topics: readonly string[] | null): Promise<apis.MetadataResponse> {
    const m = await (await this.any()).request<apis.MetadataResponse>(apis.metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
    });
    this.learn(m.brokers);
    return m;
  }

  /** Partition count per topic (topics that do not exist are left out). */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const m = await this.metadata(topics);
    return new Map(m.topics.filter((t) => t.errorCode === 0).map((t) => [t.name, t.partitions.length]));
  }

  /** Remembers where the brokers of a Metadata answer listen. */
  learn(brokers: readonly { nodeId: number; host: string; port: number }[]): void {
    for (const b of brokers) this.addresses.set(b.nodeId, `${b.host}:${b.port}`);
  }

  addressOf(nodeId: number): string | undefined {
    return this.addresses.get(nodeId);
  }

  /**
   * The open connection to `address`, else a new one. Callers asking at once
   * share one connect: after a leader moved, every partition's reader asks for
   * the new leader together, and one connection each would be left open.
   */
  connection(address: string): Promise<KafkaConnection> {
    if (this.shut) return Promise.reject(new KafkaClientError('the client is closed'));
    const c = this.conns.get(address);
    if (c !== undefined && !c.closed) return Promise.resolve(c);
    let connecting = this.connecting.get(address);
    if (connecting === undefined) {
      connecting = this.connect(address).finally(() => this.connecting.delete(address));
      this.connecting.set(address, connecting);
    }
    return connecting;
  }

  private async connect(address: string): Promise<KafkaConnection> {
    this.conns.get(address)?.close();
    this.conns.delete(address);
    const c = await KafkaConnection.connect(address, {
      clientId: this.options.clientId ?? 'rill',
      timeoutMs: this.options.requestTimeoutMs ?? 30000,
      tls: this.options.tls,
      sasl: this.options.sasl,
    });
    if (this.shut) {
      c.close();
      throw new KafkaClientError('the client is closed');
    }
    this.conns.set(address, c);
    return c;
  }

  /** Closes the connection to `address` (after it failed); the next request opens a new one. */
  drop(address: string): void {
    this.conns.get(address)?.close();
    this.conns.delete(address);
  }

  /** Whether close() was called: nothing is retried any more. */
  get closed(): boolean {
    return this.shut;
  }

  close(): void {
    this.shut = true;
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
    // `first` (given to the constructor) belongs to the caller: not closed here.
  }
}
