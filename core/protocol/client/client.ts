// A minimal Kafka protocol client over one TCP connection, built from the same
// schemas the server uses: the `rill` CLI's tools talk to any broker with it
// (Rill's or Kafka's), and tests send hand-made requests with it.
//
// It negotiates versions once (ApiVersions) and then sends each API at the
// highest version both sides serve. Requests may be pipelined; responses are
// matched by correlation id.
//
// KIP-368: when the broker gives the SASL session a lifetime
// (connections.max.reauth.ms), the connection re-authenticates on its own
// before it ends, at 85-95% of it as Kafka's clients do (and at least a second
// before it ends); requests made meanwhile wait, since the broker serves only
// the SASL exchange until it completes.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ApiDefinition } from '../api';
import { Reader, Writer } from '../../wire';
import { apiVersions, ApiVersionRange } from '../apis';
import { skipTaggedFields, writeRequestHeader } from '../header';
import { decodeMessage, encodeMessage, inRange } from '../../wire';
import { saslAuthenticateApi, saslHandshakeApi, type SaslAuthenticateResponse, type SaslHandshakeResponse } from '../apis';
import { type ClientSaslOptions, saslClient } from '../sasl';

export class KafkaClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaClientError';
  }
}

interface Pending {
  api: ApiDefinition;
  version: number;
  resolve: (body: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface KafkaConnectionOptions {
  clientId?: string;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** Largest response accepted. Default 100 MiB. */
  maxResponseBytes?: number;
  /** security.protocol=SSL: TLS with these options (PEM contents, not file names). */
  tls?: ClientTlsOptions;
  /** security.protocol=SASL_PLAINTEXT (or SASL_SSL with `tls`): authenticate right after ApiVersions. */
  sasl?: ClientSaslOptions;
}

/**
 * A client's TLS, node:tls's options (PEM contents of Kafka's ssl.ca.location,
 * ssl.certificate.location, ssl.key.location): `ca` signs the broker's
 * certificate (default: Node's roots), `cert` and `key` for brokers with
 * ssl.client.auth, `servername` (default: the host connected to),
 * `rejectUnauthorized` (default true). kafkajs's `ssl` takes the same.
 */
export type ClientTlsOptions = Pick<tls.ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;

export class KafkaConnection {
  private nextCorrelationId = 0;
  private readonly pending = new Map<number, Pending>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private brokerVersions = new Map<number, ApiVersionRange>();
  private failure: Error | undefined;
  /** Settles when a re-authentication in progress ends; requests wait for it. */
  private reauthenticating: Promise<void> | undefined;
  /** The next re-authentication: with which credentials, and when (Date.now() ms). */
  private reauth: { options: ClientSaslOptions; at: number } | undefined;
  private reauthTimer: NodeJS.Timeout | undefined;
  /** Re-authentications completed on this connection (KIP-368). */
  reauthentications = 0;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: KafkaConnectionOptions,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(new KafkaClientError(`connection to ${socket.remoteAddress}:${socket.remotePort} failed: ${e.message}`)));
    socket.on('close', () => this.fail(new KafkaClientError('the broker closed the connection')));
  }

  /** Connects to host:port and negotiates API versions. */
  static async connect(bootstrap: string, options: KafkaConnectionOptions = {}): Promise<KafkaConnection> {
    const { host, port } = parseHostPort(bootstrap);
    const secure = options.tls;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const onConnect = (): void => {
        s.off('error', reject);
        resolve(s);
      };
      const s = secure
        ? tls.connect({ host, port, ...secure, servername: secure.servername ?? (net.isIP(host) ? undefined : host) }, onConnect)
        : net.connect({ host, port }, onConnect);
      s.once('error', (e) => reject(new KafkaClientError(`cannot connect to ${host}:${port}: ${e.message}. Is a broker running there?`)));
      s.setTimeout(options.timeoutMs ?? 30000, () => s.destroy(new Error('connect timed out')));
    });
    socket.setTimeout(0);
    socket.setNoDelay(true);
    const connection = new KafkaConnection(socket, options);
    const r = await connection.send<{ errorCode: number; apiKeys: ApiVersionRange[] }>(apiVersions, 2, {});
    if (r.errorCode !== 0) throw new KafkaClientError(`ApiVersions failed with error ${r.errorCode}`);
    for (const k of r.apiKeys) connection.brokerVersions.set(k.apiKey, k);
    if (options.sasl) {
      try {
        connection.scheduleReauthentication(options.sasl, await connection.authenticate(options.sasl));
      } catch (e) {
        connection.close();
        throw e;
      }
    }
    return connection;
  }

  /**
   * SaslHandshake v1, then SaslAuthenticate until the exchange completes; a
   * refusal throws with the broker's message. Resolves with the session's
   * lifetime (0: until the connection closes).
   */
  private async authenticate(options: ClientSaslOptions): Promise<number> {
    const client = saslClient(options);
    const handshake = await this.transmit<SaslHandshakeResponse>(saslHandshakeApi, 1, { mechanism: client.mechanism });
    if (handshake.errorCode !== 0)
      throw new KafkaClientError(`the broker does not accept SASL mechanism ${client.mechanism} (it enables: ${handshake.mechanisms.join(', ') || 'none'})`);
    let token: Buffer | null = client.first();
    let lifetimeMs = 0;
    while (token !== null) {
      const answer = await this.transmit<SaslAuthenticateResponse>(saslAuthenticateApi, this.versionFor(saslAuthenticateApi), { authBytes: token });
      if (answer.errorCode !== 0)
        throw new KafkaClientError(`SASL authentication as ${JSON.stringify(options.username)} failed: ${answer.errorMessage ?? `error ${answer.errorCode}`}`);
      lifetimeMs = Number(answer.sessionLifetimeMs ?? 0);
      token = client.next(answer.authBytes);
    }
    return lifetimeMs;
  }

  /**
   * KIP-368: re-authenticates before a session of `lifetimeMs` ends (none when
   * 0), on a timer or, should the timer run late, before the next request; a
   * failure closes the connection.
   */
  private scheduleReauthentication(options: ClientSaslOptions, lifetimeMs: number): void {
    if (lifetimeMs <= 0 || this.closed) return;
    // Kafka's clients go at 85-95% of the lifetime; a short lifetime also keeps a
    // second in hand (half of it, below 2 s) for a request on its way to the broker.
    const delayMs = Math.max(1, Math.floor(Math.min(lifetimeMs * (0.85 + Math.random() * 0.1), lifetimeMs - Math.min(1000, lifetimeMs / 2))));
    this.reauth = { options, at: Date.now() + delayMs };
    this.reauthTimer = setTimeout(() => this.reauthenticate(), delayMs);
    this.reauthTimer.unref(); // an idle connection does not keep the process alive
  }

  private reauthenticate(): void {
    const due = this.reauth;
    if (due === undefined || this.reauthenticating || this.closed) return;
    clearTimeout(this.reauthTimer);
    this.reauth = undefined;
    let done!: () => void;
    this.reauthenticating = new Promise((resolve) => (done = resolve));
    this.authenticate(due.options).then(
      (next) => {
        this.reauthentications++;
        this.reauthenticating = undefined;
        this.scheduleReauthentication(due.options, next);
        done();
      },
      (e: Error) => {
        this.fail(new KafkaClientError(`SASL re-authentication failed: ${e.message}`));
        this.socket.destroy();
        this.reauthenticating = undefined;
        done();
      },
    );
  }

  /** The version of `api` this connection uses: the highest both sides serve. */
  versionFor(api: ApiDefinition): number {
    const broker = this.brokerVersions.get(api.key);
    const max = Math.min(api.versions.max, broker?.maxVersion ?? -1);
    if (!broker || max < Math.max(api.versions.min, broker.minVersion))
      throw new KafkaClientError(`the broker does not serve ${api.name} at a version this client speaks`);
    return max;
  }

  /** Sends a request at the negotiated version and resolves with the decoded response. */
  request<Res>(api: ApiDefinition, body: object): Promise<Res> {
    return this.send<Res>(api, this.versionFor(api), body);
  }

  /** Sends at an explicit version. `expectResponse: false` for Produce with acks=0. */
  send<Res>(api: ApiDefinition, version: number, body: object, expectResponse = true): Promise<Res> {
    if (this.reauth !== undefined && Date.now() >= this.reauth.at) this.reauthenticate();
    if (this.reauthenticating) return this.reauthenticating.then(() => this.send<Res>(api, version, body, expectResponse));
    return this.transmit<Res>(api, version, body, expectResponse);
  }

  /** Writes the request now (a re-authentication's own requests do not wait for it). */
  private transmit<Res>(api: ApiDefinition, version: number, body: object, expectResponse = true): Promise<Res> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const w = new Writer();
    w.int32(0); // size, patched below
    writeRequestHeader(
      w,
      { apiKey: api.key, apiVersion: version, correlationId, clientId: this.options.clientId ?? 'rill-cli' },
      inRange(api.request.flexible, version),
    );
    encodeMessage(api.request, version, body, w);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    this.socket.write(frame);
    if (!expectResponse) return Promise.resolve(null as Res);
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new KafkaClientError(`${api.name} timed out after ${this.options.timeoutMs ?? 30000} ms`));
      }, this.options.timeoutMs ?? 30000);
      this.pending.set(correlationId, { api, version, resolve: resolve as (b: Record<string, unknown>) => void, reject, timer });
    });
  }

  /** Whether the connection failed or was closed: a new one is needed. */
  get closed(): boolean {
    return this.failure !== undefined || this.socket.destroyed;
  }

  close(): void {
    clearTimeout(this.reauthTimer);
    this.socket.end();
    this.socket.destroy();
  }

  private fail(e: Error): void {
    clearTimeout(this.reauthTimer);
    this.failure ??= e;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(e);
    }
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    for (;;) {
      if (this.buffered < 4) return;
      if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
      const buf = this.chunks[0];
      const size = buf.readInt32BE(0);
      if (size < 4 || size > (this.options.maxResponseBytes ?? 100 * 1024 * 1024)) {
        this.fail(new KafkaClientError(`bad response size ${size}`));
        this.socket.destroy();
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = buf.subarray(4, 4 + size);
      this.chunks = buf.length > 4 + size ? [buf.subarray(4 + size)] : [];
      this.buffered -= 4 + size;
      this.onResponse(frame);
    }
  }

  private onResponse(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    try {
      const reader = new Reader(frame, 4);
      // ApiVersions responses keep header v0 at every version.
      if (inRange(p.api.response.flexible, p.version) && p.api.key !== apiVersions.key) skipTaggedFields(reader);
      p.resolve(decodeMessage(p.api.response, p.version, reader));
    } catch (e) {
      p.reject(new KafkaClientError(`cannot decode ${p.api.name} v${p.version} response: ${(e as Error).message}`));
    }
  }
}

/** "host:port" (port 9092 when left out, as Kafka clients do). */
export function parseHostPort(s: string): { host: string; port: number } {
  const t = s.trim();
  const colon = t.lastIndexOf(':');
  const host = (colon > 0 && !t.endsWith(']') ? t.slice(0, colon) : t).replace(/^\[|\]$/g, '');
  const port = colon > 0 && !t.endsWith(']') ? Number(t.slice(colon + 1)) : 9092;
  if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new KafkaClientError(`"${s}" is not host:port`);
  return { host, port };
}
