// The Kafka wire protocol served by a cluster broker. core/protocol's server
// runs its handlers over one embedded Broker; a cluster broker answers from its
// metadata image and its partition replicas instead, so it brings its own
// handlers and reuses core/protocol's codec, headers and API schemas (no second
// Kafka codec). Requests of one connection are handled one at a time and
// answered in order, as a Kafka broker does (it mutes a channel while a request
// is in flight: reading stops until it is answered); bad frames and unsupported
// versions close the connection. The bounds are core/protocol's, as on the
// embedded broker: max.connections (per IP too), queued.max.request.bytes shared
// by all connections, socket.request.max.bytes.
import * as net from 'node:net';
import {
  apis,
  decodeMessage,
  encodeMessage,
  inRange,
  peekHeader,
  readRequestHeader,
  Reader,
  responseHeader,
  Writer,
  DecodeError,
  FrameReader,
  listenerBounds,
  type ApiDefinition,
  type ConnectionLimiter,
  type ListenerBounds,
  type MemoryPool,
} from '../../protocol';

export interface KafkaRequestContext {
  readonly apiVersion: number;
  /** host:port of this listener as the client reached it. */
  readonly advertised: { host: string; port: number };
  readonly signal: AbortSignal;
  /** The request header's client id (a group member's client id in DescribeGroups). */
  readonly clientId?: string | null;
}

/** One API this listener serves: core/protocol's schemas, a served version range and a handler. */
export interface ServedApi {
  readonly api: ApiDefinition;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly handle: (request: any, ctx: KafkaRequestContext) => unknown | Promise<unknown>;
}

const API_VERSIONS_KEY = 18;

export class KafkaListener {
  private readonly sockets = new Set<net.Socket>();
  private readonly abort = new AbortController();
  private readonly byKey: Map<number, ServedApi>;
  readonly limiter: ConnectionLimiter;
  readonly pool: MemoryPool;
  private readonly maxFrameBytes: number;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    served: readonly ServedApi[],
    private readonly advertisedHost: string | undefined,
    private readonly log: (m: string) => void,
    bounds: ListenerBounds,
  ) {
    this.byKey = new Map(served.map((s) => [s.api.key, s]));
    const b = listenerBounds(bounds, (m) => log(`kafka: ${m}`));
    this.limiter = b.limiter;
    this.pool = b.pool;
    this.maxFrameBytes = b.maxFrameBytes;
  }

  static listen(port: number, host: string, served: readonly ServedApi[], log: (m: string) => void, advertisedHost?: string, bounds: ListenerBounds = {}): Promise<KafkaListener> {
    listenerBounds(bounds, () => {}); // bad bounds fail before the port is bound
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true });
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const l = new KafkaListener(server, (server.address() as net.AddressInfo).port, served, advertisedHost, log, bounds);
        server.on('connection', (s) => l.accept(s));
        resolve(l);
      });
    });
  }

  /** The ApiVersions table: exactly what this listener serves. */
  apiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...this.byKey.values()].map((s) => ({ apiKey: s.api.key, minVersion: s.minVersion, maxVersion: s.maxVersion }));
  }

  private accept(socket: net.Socket): void {
    if (!this.limiter.admit(socket)) return;
    this.sockets.add(socket);
    socket.on('error', () => {});
    const name = `${socket.remoteAddress}:${socket.remotePort}`;
    let busy = false;
    const close = (reason: string) => {
      this.log(`kafka: closing connection ${name}: ${reason}`);
      reader.close();
      socket.destroy();
    };
    // One request at a time: reading is paused while one is handled or while its frame waits for the memory pool.
    const pump = (): void => {
      while (!busy && !socket.destroyed) {
        const read = reader.next();
        if (read.kind === 'error') return close(read.message);
        if (read.kind === 'wait') break;
        busy = true;
        const { frame } = read;
        this.serve(socket, frame.bytes)
          .catch((e: unknown) => close(e instanceof Error ? e.message : String(e)))
          .finally(() => {
            frame.release();
            busy = false;
            pump();
          });
      }
      if (busy || reader.waitingForMemory) socket.pause();
      else socket.resume();
    };
    const reader = new FrameReader(this.pool, this.maxFrameBytes, pump);
    socket.on('close', () => {
      this.sockets.delete(socket);
      reader.close();
    });
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      pump();
    });
  }

  private async serve(socket: net.Socket, frame: Buffer): Promise<void> {
    if (socket.destroyed) return;
    const { apiKey, apiVersion, correlationId } = peekHeader(frame);
    const served = this.byKey.get(apiKey);
    if (served === undefined || apiVersion < served.minVersion || apiVersion > served.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) {
        // Any ApiVersions version is answered: error 35 with a v0 body (KIP-511).
        const body = encodeMessage(apis.apiVersions.response, 0, { errorCode: 35, apiKeys: this.apiVersions(), throttleTimeMs: 0 }, new Writer(256));
        return this.write(socket, correlationId, false, body);
      }
      throw new Error(served ? `${served.api.name} v${apiVersion} is not served (v${served.minVersion}-v${served.maxVersion})` : `API key ${apiKey} is not served by a cluster broker`);
    }
    const api = served.api;
    let request: unknown;
    let clientId: string | null = null;
    try {
      const reader = new Reader(frame);
      clientId = readRequestHeader(reader, inRange(api.request.flexible, apiVersion)).clientId;
      request = decodeMessage(api.request, apiVersion, reader);
    } catch (e) {
      throw new Error(`malformed ${api.name} v${apiVersion} request: ${e instanceof DecodeError ? e.message : String(e)}`);
    }
    const local = socket.localAddress ?? '127.0.0.1';
    const advertised = { host: this.advertisedHost ?? (local.startsWith('::ffff:') ? local.slice(7) : local), port: this.port };
    const response = await served.handle(request, { apiVersion, advertised, signal: this.abort.signal, clientId });
    if (response === null || socket.destroyed) return;
    const body = encodeMessage(api.response, apiVersion, response as object, new Writer());
    this.write(socket, correlationId, inRange(api.response.flexible, apiVersion) && apiKey !== API_VERSIONS_KEY, body);
  }

  private write(socket: net.Socket, correlationId: number, flexible: boolean, body: Writer): void {
    if (socket.destroyed) return;
    socket.cork();
    socket.write(responseHeader(correlationId, body.length, flexible));
    for (const c of body.chunksOut()) socket.write(c);
    socket.uncork();
  }

  close(): Promise<void> {
    this.abort.abort();
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
