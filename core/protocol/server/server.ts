// The Kafka protocol over TCP (node:net): accepts connections, each served by a
// Connection, and shuts down gracefully: stop accepting, end long polls, answer
// what is in flight, close. It serves one broker's ports: a single node's
// (singleNodePorts, or `broker` for short) or a cluster broker's. The broker is
// the caller's (it flushes on close).
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Broker } from '../../broker';
import { Connection } from './connection';
import type { BrokerPorts } from '../ports';
import { singleNodePorts } from '../single-node';
import { ConnectionLimiter, DEFAULT_MAX_FRAME_BYTES, ListenerBounds, MemoryPool, listenerBounds } from './bounds';
import { RateLimitedLog } from '../../log';
import { lineLog, silentLogger, type Logger } from '../../logging';
import { ANONYMOUS, ListenerTls, ListenerTlsOptions, principalOf } from './tls';
import type { Registry } from '../../metrics';
import { BrokerMetrics, partitionLogGauges } from './broker-metrics';
import { type ListenerSasl, SASL_MECHANISM_NAMES } from './sasl-session';
import type { SecurityProtocol } from './listeners';

/** The listener's bounds and each connection's: what a broker's operator tunes. */
export interface ServerBounds extends ListenerBounds {
  /** Requests read ahead per connection before reading pauses. Default 32. */
  maxInFlightPerConnection?: number;
  /** connections.max.idle.ms. Default 10 minutes; 0 disables. */
  idleTimeoutMs?: number;
}

interface KafkaServerSettings extends ServerBounds {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Host and port clients are told to connect to (Metadata, FindCoordinator). Default: the address the client connected to. */
  advertisedHost?: string;
  advertisedPort?: number;
  /** The listener's name (Kafka's listeners NAME): handlers see it in the advertised endpoint. */
  listenerName?: string;
  /** auto.create.topics.enable. Default true. */
  autoCreateTopics?: boolean;
  /** Serve SSL instead of PLAINTEXT (PEM files, ssl.client.auth). */
  tls?: ListenerTlsOptions;
  /** Where the listener's lines go (a child with component "kafka" is made of it). Default: none. */
  logger?: Logger;
  /**
   * Where the broker's metrics go (requests, bytes, purgatories, connections;
   * a single node's partition logs too). Absent: nothing is counted.
   */
  metrics?: Registry;
  /** SASL_PLAINTEXT (or SASL_SSL with `tls`): clients authenticate before anything else. */
  sasl?: ListenerSasl;
}

/** What the server serves: a broker's ports, or one embedded Broker (its single-node ports). */
export type KafkaServerOptions = KafkaServerSettings & ({ ports: BrokerPorts } | { broker: Broker });

export { DEFAULT_MAX_FRAME_BYTES };

export class KafkaServer {
  private readonly connections = new Set<Connection>();
  private stopping: Promise<void> | undefined;
  /** Bound port (kept after close, for messages). */
  readonly port: number;
  readonly host: string;
  /** max.connections and max.connections.per.ip. */
  readonly limiter: ConnectionLimiter;
  /** queued.max.request.bytes, shared by every connection. */
  readonly pool: MemoryPool;
  private readonly maxFrameBytes: number;
  private readonly requestReceiveTimeoutMs: number;
  private readonly serverErrors: RateLimitedLog;
  /** What the handlers answer through (a single node's or a cluster broker's). */
  readonly ports: BrokerPorts;
  /** Failed TLS handshakes: one line per reason and interval (a port scanner or a plaintext client repeats them). */
  private readonly handshakeErrors: RateLimitedLog;
  private readonly metrics: BrokerMetrics | undefined;
  private readonly logger: Logger;

  private constructor(
    private readonly server: net.Server,
    readonly options: KafkaServerOptions,
    private readonly tls: ListenerTls | undefined,
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'kafka' });
    const bounds = listenerBounds(options, lineLog(this.logger, 'warn'));
    this.limiter = bounds.limiter;
    this.pool = bounds.pool;
    this.maxFrameBytes = bounds.maxFrameBytes;
    this.requestReceiveTimeoutMs = bounds.requestReceiveTimeoutMs;
    this.serverErrors = new RateLimitedLog(lineLog(this.logger, 'error'));
    this.handshakeErrors = new RateLimitedLog(lineLog(this.logger, 'warn'));
    const given = 'ports' in options ? options.ports : singleNodePorts(options.broker);
    // The SCRAM admin APIs serve the credentials the listener authenticates against.
    const ports = options.sasl && !given.security ? { ...given, security: options.sasl.security } : given;
    if (options.metrics) {
      this.metrics = new BrokerMetrics(
        options.metrics,
        () => ({ connectionCount: this.connectionCount, inFlightRequests: this.inFlightRequests, queuedRequestBytes: this.pool.usedBytes }),
        ports.groups,
      );
      if ('broker' in options)
        partitionLogGauges(options.metrics, () => options.broker.topics.allPartitions().map((p) => ({ topic: p.topic, partition: p.index, log: p.log })));
    }
    this.ports = this.metrics ? this.metrics.meter(ports) : ports;
    const address = server.address() as net.AddressInfo | null;
    this.port = address?.port ?? 0;
    this.host = address?.address ?? '';
  }

  /** Listens and resolves once the port is bound. */
  static start(options: KafkaServerOptions): Promise<KafkaServer> {
    listenerBounds(options, () => {}); // bad bounds fail before the port is bound
    const unknown = options.sasl?.mechanisms.filter((m) => !SASL_MECHANISM_NAMES.includes(m)) ?? [];
    if (unknown.length > 0 || options.sasl?.mechanisms.length === 0)
      return Promise.reject(
        new Error(`sasl.enabled.mechanisms must name some of ${SASL_MECHANISM_NAMES.join(', ')}, not "${options.sasl?.mechanisms.join(',')}"`),
      );
    let listenerTls: ListenerTls | undefined;
    try {
      listenerTls = options.tls ? ListenerTls.load(options.tls) : undefined; // and so do bad TLS files
    } catch (e) {
      return Promise.reject(e);
    }
    const server = listenerTls ? tls.createServer({ noDelay: true, ...listenerTls.serverOptions() }) : net.createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        const ks = new KafkaServer(server, options, listenerTls);
        if (server instanceof tls.Server) {
          // max.connections counts a connection before its handshake (a flood of
          // handshakes cannot outgrow the bounds): the TCP socket is admitted first.
          server.prependListener('connection', (socket: net.Socket) => ks.admit(socket));
          server.on('secureConnection', (socket: tls.TLSSocket) => ks.serve(socket, principalOf(socket)));
          server.on('tlsClientError', (e, socket) => ks.handshakeFailed(e, socket));
        } else {
          server.on('connection', (socket) => {
            if (ks.admit(socket)) ks.serve(socket, ANONYMOUS);
          });
        }
        // EMFILE on accept repeats for every waiting client: one line per interval.
        server.on('error', (e) => ks.serverErrors.warn((e as NodeJS.ErrnoException).code ?? 'error', `server error: ${e.message}`));
        resolve(ks);
      });
    });
  }

  /** The listener's security.protocol. */
  get securityProtocol(): SecurityProtocol {
    if (this.options.sasl) return this.tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
    return this.tls ? 'SSL' : 'PLAINTEXT';
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Requests read over the open connections' lives. */
  get requestsRead(): number {
    return this.sumOverConnections((c) => c.requestsRead);
  }

  /** Connections whose reading is paused because their client is not reading responses. */
  get connectionsBlockedOnWrites(): number {
    return this.sumOverConnections((c) => (c.blockedOnWrites ? 1 : 0));
  }

  /** Request bytes read off the sockets and not yet cut into frames, over all connections. */
  get bufferedRequestBytes(): number {
    return this.sumOverConnections((c) => c.bufferedBytes);
  }

  /** Requests read and not yet answered, over all connections. */
  get inFlightRequests(): number {
    return this.sumOverConnections((c) => c.inFlight);
  }

  private sumOverConnections(count: (c: Connection) => number): number {
    let n = 0;
    for (const c of this.connections) n += count(c);
    return n;
  }

  /** Counts a new TCP connection in, or refuses it (max.connections, shutting down). */
  private admit(socket: net.Socket): boolean {
    if (this.stopping) {
      socket.destroy();
      return false;
    }
    return this.limiter.admit(socket);
  }

  /** A TLS handshake that failed or timed out: its socket is gone; one line per reason and interval. */
  private handshakeFailed(e: Error, socket: tls.TLSSocket): void {
    const from = socket.remoteAddress ? ` with ${socket.remoteAddress}:${socket.remotePort}` : ''; // unknown once the client has gone
    socket.destroy();
    this.handshakeErrors.warn(e.message, `TLS handshake${from} failed: ${e.message}`);
  }

  private serve(socket: net.Socket, principal: string): void {
    if (socket.destroyed) return; // refused on admission, or gone during the handshake
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, {
      principal,
      sasl: this.options.sasl,
      ports: this.ports,
      maxFrameBytes: this.maxFrameBytes,
      pool: this.pool,
      requestReceiveTimeoutMs: this.requestReceiveTimeoutMs,
      maxInFlight: this.options.maxInFlightPerConnection ?? 32,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 600_000,
      autoCreateTopics: this.options.autoCreateTopics ?? true,
      advertised: (s) => ({
        host: this.options.advertisedHost ?? advertisedAddress(s.localAddress),
        port: this.options.advertisedPort ?? this.port,
        listener: this.options.listenerName,
      }),
      logger: this.logger,
      metrics: this.metrics,
    });
    this.connections.add(connection);
    connection.closed.then(() => this.connections.delete(connection));
  }

  /**
   * Stops accepting, lets every connection answer what it has in flight (long
   * polls end at once), then closes them; connections still busy after
   * `graceMs` are cut.
   */
  close(graceMs = 5000): Promise<void> {
    this.stopping ??= (async () => {
      const listening = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const c of this.connections) c.drain();
      const all = Promise.all([...this.connections].map((c) => c.closed));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      if ((await Promise.race([all, late])) === 'late') {
        this.logger.warn(`${this.connections.size} connection(s) still busy after ${graceMs} ms; closing them`);
        for (const c of this.connections) c.destroy();
        await all;
      }
      clearTimeout(timer);
      await listening;
    })();
    return this.stopping;
  }
}

/** The local address a client reached, as it can be dialled back ("::ffff:127.0.0.1" -> "127.0.0.1"). */
function advertisedAddress(local: string | undefined): string {
  if (!local) return 'localhost';
  if (local.startsWith('::ffff:')) return local.slice(7);
  return local;
}
