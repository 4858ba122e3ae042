// One client connection: cuts the byte stream into frames, decodes each request,
// runs its handler, and writes the responses in request order even when the
// handlers finish out of order (a Fetch long poll, a parked JoinGroup).
//
// Bounds: a frame larger than the limit is refused by closing the connection
// (before its bytes are buffered); a frame's bytes are reserved in the
// listener's memory pool (queued.max.request.bytes, shared by all connections)
// before they are kept, and reading stops while the pool has no room for it;
// they go back to the pool when the handler has answered, or when the
// connection closes (a frame not received whole within request.receive.timeout.ms
// closes it). At most `maxInFlight` requests wait for their
// responses, at most one of them a Fetch (the responses that can be large), and
// reading stops while they wait or while the socket's write buffer is full (a
// slow client slows only itself).
//
// On a SASL listener the connection serves only ApiVersions, SaslHandshake and
// SaslAuthenticate until its SaslSession has authenticated the client; any
// other request, a failed exchange or one not finished in time closes it.
import { lineLog, type Logger, type LogLine } from '../../logging';
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { ApiDefinition, RequestContext } from '../api';
import { apiKeyName } from '../../wire';
import { DecodeError, Reader, Writer } from '../../wire';
import { ErrorCode } from '../../wire';
import { apiByKey, apiVersions, saslAuthenticateApi, saslHandshakeApi } from '../apis';
import { peekHeader, readRequestHeader, responseHeader } from '../header';
import { decodeMessage, encodeMessage, inRange } from '../../wire';
import { Frame, FrameReader, MemoryPool } from './bounds';
import type { BrokerPorts, Endpoint } from '../ports';
import type { BrokerMetrics } from './broker-metrics';
import { errorAnswer } from './error-answer';
import { guardedPartitions } from './guarded-partitions';
import { DEFAULT_SASL_HANDSHAKE_TIMEOUT_MS, DEFAULT_SASL_MAX_RECEIVE_BYTES, type ListenerSasl, SaslSession } from './sasl-session';

export interface ConnectionOptions {
  ports: BrokerPorts;
  /** Who the client is: "User:<subject DN>" of its TLS certificate, or User:ANONYMOUS (replaced by "User:<name>" once SASL authenticates). */
  principal: string;
  /** SASL_PLAINTEXT / SASL_SSL: the client must authenticate first. */
  sasl?: ListenerSasl;
  maxFrameBytes: number;
  pool: MemoryPool;
  /** request.receive.timeout.ms: how long an admitted frame may take to arrive whole. */
  requestReceiveTimeoutMs: number;
  maxInFlight: number;
  idleTimeoutMs: number;
  autoCreateTopics: boolean;
  advertised: (socket: Socket) => Endpoint;
  /** The listener's logger; the connection logs through a child naming its remote address. */
  logger: Logger;
  /** Counts and times each request (absent: no metrics). */
  metrics?: BrokerMetrics;
}

/** One response slot, filled when its handler finishes. */
interface Slot {
  state: 'pending' | 'ready' | 'none' | 'close';
  chunks?: Buffer[];
  fetch?: boolean;
  /** Gives the request's bytes back to the memory pool. */
  release?: () => void;
  /** Close the connection once this response is written (a refused SASL exchange). */
  closeAfter?: boolean;
}

const API_VERSIONS_KEY = 18;
const FETCH_KEY = 1;
/** api key, api version, correlation id: the least a request frame holds. */
const MIN_REQUEST_BYTES = 8;

export class Connection {
  private readonly reader: FrameReader;
  private readonly queue: Slot[] = [];
  private readonly abort = new AbortController();
  private closing = false;
  private writeBlocked = false;
  /** Fetch responses are the big ones: one at a time per connection (as kafkajs and librdkafka send them anyway). */
  private fetchInFlight = false;
  /** The next buffered frame is a Fetch waiting for the one in flight. */
  private fetchGated = false;
  private readScheduled = false;
  /** Frames taken off the socket, over the connection's life. */
  requestsRead = 0;
  private readPaused = false;
  private draining = false;
  private drainEnded = false;
  readonly closed: Promise<void>;
  private readonly name: string;
  /** The client's address, as ACLs name hosts ('::ffff:' of IPv4-mapped addresses dropped). */
  private readonly clientHost: string;
  private readonly logger: Logger;
  private readonly requestLog: LogLine;
  private readonly sasl: SaslSession | undefined;
  /** The principal handlers see: the listener's (TLS), then the SASL user's. */
  private principal: string;
  private saslTimer: NodeJS.Timeout | undefined;
  /** The partition port, each partition's failure answered for that partition alone. */
  private readonly partitions: BrokerPorts['partitions'];

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.principal = options.principal;
    this.name = `${socket.remoteAddress}:${socket.remotePort}`;
    this.clientHost = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.logger = options.logger.child({ remote: this.name });
    this.requestLog = lineLog(this.logger);
    this.partitions = guardedPartitions(options.ports.partitions, this.logger);
    // A bare SASL token (after SaslHandshake v0) may be shorter than a request header (PLAIN's "\0u\0p"): requests are measured in onFrame.
    this.reader = new FrameReader(options.pool, options.maxFrameBytes, () => this.updateReading(), options.sasl ? 1 : MIN_REQUEST_BYTES, {
      timeoutMs: options.requestReceiveTimeoutMs,
      onExpired: (message) => this.refuse(message),
    });
    if (options.sasl) {
      const sasl = (this.sasl = new SaslSession(options.sasl));
      // Until authenticated, frames are bounded by sasl.server.max.receive.size: an anonymous client cannot make the broker buffer 100 MiB.
      const maxReceive = options.sasl.maxReceiveBytes ?? DEFAULT_SASL_MAX_RECEIVE_BYTES;
      this.reader.sizeCheck = (size) =>
        !sasl.authenticated && size > maxReceive
          ? `frame of ${size} bytes before authentication exceeds sasl.server.max.receive.size (${maxReceive})`
          : undefined;
      const timeoutMs = options.sasl.handshakeTimeoutMs ?? DEFAULT_SASL_HANDSHAKE_TIMEOUT_MS;
      this.saslTimer = setTimeout(() => {
        if (!sasl.authenticated) this.refuse(`SASL authentication not finished within ${timeoutMs} ms`);
      }, timeoutMs);
      this.saslTimer.unref();
    }
    // Each parked Fetch listens on the connection's signal.
    setMaxListeners(options.maxInFlight + 16, this.abort.signal);
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0) socket.setTimeout(options.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.updateReading();
    });
    socket.on('timeout', () => {
      // Idle: nothing in flight (a long poll in flight is not idleness).
      if (this.queue.length === 0) {
        this.logger.debug('closing idle connection');
        socket.destroy();
      }
    });
    socket.on('error', (e) => this.logger.info(`connection error: ${e.message}`));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.abort.abort();
        this.reader.close();
        clearTimeout(this.saslTimer);
        resolve();
      }),
    );
  }

  /** In-flight requests (waiting for a handler or for earlier responses). */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Graceful end: read no more requests, end long polls, answer what is in flight, then close. */
  drain(): void {
    this.draining = true;
    this.updateReading();
    this.abort.abort();
    if (this.queue.length === 0) this.endDrained();
  }

  /**
   * The end of a drained connection: our side ends, and reading resumes (what
   * arrives is dropped) so that the client's FIN is seen and the socket
   * closes at once; a client that never closes its side is cut after 1 s.
   */
  private endDrained(): void {
    if (this.drainEnded) return;
    this.drainEnded = true;
    this.socket.end();
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---------------------------------------------------------------- framing

  private onData(chunk: Buffer): void {
    if (this.closing || this.draining) return;
    this.reader.push(chunk);
    this.readFrames();
  }

  /** Takes complete frames from the buffered bytes while there is room in flight. */
  private readFrames(): void {
    while (this.canRead()) {
      if (this.fetchInFlight && this.reader.peekApiKey() === FETCH_KEY) {
        this.fetchGated = true;
        break;
      }
      const read = this.reader.next();
      if (read.kind === 'wait') break;
      if (read.kind === 'error') {
        this.refuse(read.message);
        return;
      }
      const frame = read.frame;
      this.requestsRead++;
      try {
        this.onFrame(frame);
      } catch (e) {
        this.refuse(`request handling failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.updateReading();
  }

  /** Room to take another request: not closing, not waiting on a full socket or the memory pool, fewer than maxInFlight waiting. */
  private canRead(): boolean {
    return (
      !this.closing && !this.draining && !this.writeBlocked && !this.fetchGated && !this.reader.waitingForMemory && this.queue.length < this.options.maxInFlight
    );
  }

  /** Request bytes taken off the socket and not yet cut into frames. */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  /** Whether reading is paused because the client does not read its responses. */
  get blockedOnWrites(): boolean {
    return this.writeBlocked;
  }

  /** Closes without reading further: whatever is in flight is dropped. */
  private refuse(reason: string): void {
    this.logger.warn(`closing connection: ${reason}`);
    this.closing = true;
    this.reader.close();
    this.socket.destroy();
  }

  private updateReading(): void {
    if (this.drainEnded) return;
    const stop = !this.canRead();
    if (stop && !this.readPaused) {
      this.socket.pause();
      this.readPaused = true;
    } else if (!stop && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
    // Frames that arrived while reading was held back.
    if (!stop && this.frameBuffered() && !this.readScheduled) {
      this.readScheduled = true;
      setImmediate(() => {
        this.readScheduled = false;
        this.readFrames();
      });
    }
  }

  /** A whole frame (or at least a size prefix to judge) is buffered. */
  private frameBuffered(): boolean {
    return this.reader.hasWork;
  }

  // ---------------------------------------------------------------- requests

  private onFrame(received: Frame): void {
    if (this.sasl?.expectsRawToken) return this.onRawToken(this.sasl, received);
    const frame = received.bytes;
    if (frame.length < MIN_REQUEST_BYTES) {
      received.release();
      this.refuse(`frame of ${frame.length} bytes is shorter than a request header`);
      return;
    }
    const { apiKey, apiVersion, correlationId } = peekHeader(frame);
    if (this.sasl && !this.sasl.allows(apiKey)) {
      // Kafka's IllegalSaslStateException: the connection closes without an answer (after earlier ones).
      const when = this.sasl.expired ? 'after its SASL session expired (connections.max.reauth.ms)' : 'before SASL authentication';
      this.logger.warn(`closing connection: ${apiKeyName(apiKey)} ${when}`);
      received.release();
      this.queue.push({ state: 'close' });
      this.flush();
      return;
    }
    const slot: Slot = { state: 'pending', fetch: apiKey === FETCH_KEY, release: received.release };
    if (slot.fetch) this.fetchInFlight = true;
    this.queue.push(slot);
    const api = apiByKey(apiKey);
    if (!api || !inRange(api.versions, apiVersion)) {
      if (apiKey === API_VERSIONS_KEY) {
        // Any ApiVersions version is answered: error 35 and a v0 body listing key 18 (KIP-511).
        const body = encodeMessage(
          apiVersions.response,
          0,
          {
            errorCode: ErrorCode.UNSUPPORTED_VERSION,
            apiKeys: [{ apiKey: 18, minVersion: apiVersions.versions.min, maxVersion: apiVersions.versions.max }],
            throttleTimeMs: 0,
          },
          new Writer(64),
        );
        this.fill(slot, correlationId, false, body);
        return;
      }
      // As Kafka does: a request it cannot parse closes the connection (after earlier responses).
      this.logger.warn(
        `closing connection: ${api ? `${api.name} v${apiVersion} is not supported (served: v${api.versions.min}-v${api.versions.max})` : `unknown API key ${apiKey}`}`,
      );
      slot.release?.();
      slot.state = 'close';
      this.flush();
      return;
    }
    const flexible = inRange(api.request.flexible, apiVersion);
    let request: Record<string, unknown>;
    let clientId: string | null;
    try {
      const reader = new Reader(frame);
      clientId = readRequestHeader(reader, flexible).clientId;
      request = decodeMessage(api.request, apiVersion, reader);
    } catch (e) {
      // DecodeError is the expected case; anything else from the decoder is treated the same way (bad input never kills the broker).
      const reason = e instanceof DecodeError ? e.message : `decoder failed: ${String(e)}`;
      this.logger.warn(`closing connection: malformed ${api.name} v${apiVersion} request: ${reason}`);
      slot.release?.();
      slot.state = 'close';
      this.flush();
      return;
    }
    if (this.sasl && (api.key === saslHandshakeApi.key || api.key === saslAuthenticateApi.key)) {
      this.authenticate(this.sasl, api, request, slot, correlationId, apiVersion);
      return;
    }
    this.run(api, request, slot, correlationId, apiVersion, clientId);
  }

  /** SaslHandshake and SaslAuthenticate on a SASL listener: the session answers; a refusal closes once answered. */
  private authenticate(sasl: SaslSession, api: ApiDefinition, request: Record<string, unknown>, slot: Slot, correlationId: number, apiVersion: number): void {
    const verdict = api.key === saslHandshakeApi.key ? sasl.handshake(String(request.mechanism), apiVersion) : sasl.authenticate(request.authBytes as Buffer);
    if (verdict.close) {
      const why = 'errorMessage' in verdict.response ? verdict.response.errorMessage : `error ${verdict.response.errorCode}`;
      this.logger.warn(`closing connection: ${api.name} refused: ${why}`);
      slot.closeAfter = true;
    }
    if (sasl.authenticated) this.onAuthenticated(sasl);
    const flexible = inRange(api.response.flexible, apiVersion);
    this.fill(slot, correlationId, flexible, encodeMessage(api.response, apiVersion, verdict.response, new Writer()));
  }

  /** A bare SASL token after SaslHandshake v0, answered by a bare size-prefixed token; a failure closes without an answer (as Kafka does). */
  private onRawToken(sasl: SaslSession, received: Frame): void {
    const step = sasl.rawToken(Buffer.from(received.bytes));
    received.release();
    if (!step.ok) {
      this.logger.warn(`closing connection: SASL authentication failed: ${step.message}`);
      this.queue.push({ state: 'close' });
      this.flush();
      return;
    }
    if (sasl.authenticated) this.onAuthenticated(sasl);
    const size = Buffer.alloc(4);
    size.writeInt32BE(step.response.length);
    this.queue.push({ state: 'ready', chunks: [size, step.response] });
    this.flush();
  }

  private onAuthenticated(sasl: SaslSession): void {
    clearTimeout(this.saslTimer);
    this.principal = sasl.principal!;
  }

  private run(api: ApiDefinition, request: unknown, slot: Slot, correlationId: number, apiVersion: number, clientId: string | null): void {
    const { ports } = this.options;
    const context: RequestContext = {
      nodeId: ports.nodeId,
      metadata: ports.metadata,
      partitions: this.partitions,
      admin: ports.admin,
      groups: ports.groups,
      transactions: ports.transactions,
      acls: ports.acls,
      clientHost: this.clientHost,
      security: ports.security,
      apiVersion,
      clientId,
      principal: this.principal,
      advertised: this.options.advertised(this.socket),
      signal: this.abort.signal,
      autoCreateTopics: this.options.autoCreateTopics,
      // The client id is the client's to choose: a field of the line, never part of its message.
      log: (message, fields) => this.requestLog(message, { clientId, ...fields }),
    };
    const flexibleResponse = inRange(api.response.flexible, apiVersion) && api.key !== API_VERSIONS_KEY;
    const timed = this.options.metrics?.request(api.key, apiVersion);
    const done = (response: unknown): void => {
      timed?.();
      if (response === null) {
        slot.release?.();
        slot.state = 'none';
        this.flush();
        return;
      }
      const body = encodeMessage(api.response, apiVersion, response as object, new Writer());
      this.fill(slot, correlationId, flexibleResponse, body);
    };
    const failed = (e: unknown): void => {
      timed?.();
      // A handler that throws is a bug or an unexpected fault; the broker goes on. The client gets
      // UNKNOWN_SERVER_ERROR (KAFKA_STORAGE_ERROR for a disk fault) on each entry of the request, or
      // in the top-level error code (error-answer.ts); a closed connection only where there is no answer.
      const answer = slot.state === 'pending' ? errorAnswer(api, apiVersion, request as Record<string, unknown>, e) : undefined;
      if (answer !== undefined) {
        this.logger.error({ clientId, err: e }, `${api.name} v${apiVersion} handler failed; answered with an error code`);
        try {
          return done(answer);
        } catch {
          // Not even the error answer encodes: close, as below.
        }
      }
      this.logger.error({ clientId, err: e }, `closing connection: ${api.name} v${apiVersion} handler failed`);
      slot.release?.();
      slot.state = 'close';
      this.flush();
    };
    // Encoding runs inside the guard too: a response that cannot be encoded is a bug, never an unhandled rejection.
    const settle = (response: unknown): void => {
      try {
        done(response);
      } catch (e) {
        failed(e);
      }
    };
    try {
      const result = api.handle(request, context);
      if (result instanceof Promise) result.then(settle, failed);
      else settle(result);
    } catch (e) {
      failed(e);
    }
  }

  private fill(slot: Slot, correlationId: number, flexibleHeader: boolean, body: Writer): void {
    const chunks = body.chunksOut();
    slot.chunks = [responseHeader(correlationId, body.length, flexibleHeader), ...chunks];
    slot.release?.();
    slot.state = 'ready';
    this.flush();
  }

  private headDone(): boolean {
    return this.queue.length > 0 && this.queue[0].state !== 'pending';
  }

  /** Writes every finished response at the head of the queue, in request order. */
  private flush(): void {
    if (!this.headDone()) return;
    this.socket.cork();
    while (this.headDone()) {
      const slot = this.queue.shift()!;
      if (slot.fetch) this.fetchInFlight = this.fetchGated = false;
      if (slot.state === 'ready' && slot.closeAfter && !this.socket.destroyed) for (const c of slot.chunks!) this.socket.write(c);
      if (slot.state === 'close' || slot.closeAfter) {
        this.closing = true;
        this.queue.length = 0;
        this.socket.uncork();
        this.socket.end();
        // A client that never closes its side does not keep the socket.
        setTimeout(() => this.socket.destroy(), 1000).unref();
        return;
      }
      if (slot.state === 'ready' && !this.socket.destroyed) {
        for (const c of slot.chunks!) if (!this.socket.write(c)) this.writeBlocked = true;
      }
    }
    this.socket.uncork();
    if (this.draining && this.queue.length === 0) this.endDrained();
    this.updateReading();
  }
}
