// One connection's SASL authentication on a SASL_PLAINTEXT or SASL_SSL listener,
// as Kafka's SaslServerAuthenticator runs it:
//   handshake    -- ApiVersions and SaslHandshake only;
//   authenticate -- after SaslHandshake v1: SaslAuthenticate requests carry the tokens;
//   raw          -- after SaslHandshake v0: the next frames are bare SASL tokens
//                   (no request header) answered by bare, size-prefixed tokens;
//   done         -- authenticated: every API, principal "User:<name>".
// Any other request before `done` closes the connection, as Kafka does; a failed
// exchange answers SASL_AUTHENTICATION_FAILED (v1) and then closes.
// KIP-368: with connections.max.reauth.ms, SaslAuthenticate tells the client its
// session lifetime; an authenticated client re-authenticates (SaslHandshake v1
// and SaslAuthenticate again, as the same user) before it ends, and a request
// after it ends closes the connection.
import { ApiKey, ErrorCode } from '../../wire';
import type { SaslAuthenticateResponse } from '../apis';
import type { SecurityPort } from '../ports';
import { type SaslExchange, startSaslExchange } from '../sasl';

/** A listener's SASL: the mechanisms it enables and where credentials come from. */
export interface ListenerSasl {
  /** sasl.enabled.mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  readonly mechanisms: readonly string[];
  readonly security: SecurityPort;
  /** An exchange not finished this long after the connection opened closes it. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** sasl.server.max.receive.size: the largest frame read before authentication. Default 512 KiB (Kafka's). */
  readonly maxReceiveBytes?: number;
  /** connections.max.reauth.ms (KIP-368): an authentication lasts this long; 0 or absent: until the connection closes. */
  readonly reauthMs?: number;
}

export const DEFAULT_SASL_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_SASL_MAX_RECEIVE_BYTES = 524_288;

/** The mechanisms Rill's SASL listeners know. */
export const SASL_MECHANISM_NAMES: readonly string[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** What the connection does with a step's answer. */
export type SaslVerdict<T> = { readonly response: T; readonly close: boolean };

type State = 'handshake' | 'authenticate' | 'raw' | 'done';

export class SaslSession {
  private state: State = 'handshake';
  private exchange: SaslExchange | undefined;
  private user: string | undefined;
  /** When the session ends (KIP-368), if it does. */
  private expiresAt: number | undefined;
  private reauthenticating = false;
  private readonly security: SecurityPort;

  constructor(
    readonly listener: ListenerSasl,
    private readonly now: () => number = Date.now,
  ) {
    // The exchange sees the listener's mechanisms (a port serves every listener of the broker).
    this.security = { ...listener.security, saslMechanisms: listener.mechanisms };
  }

  /** Authenticated once (re-authenticating included). */
  get authenticated(): boolean {
    return this.user !== undefined;
  }

  /** The session's lifetime ran out (KIP-368): only a re-authentication may follow. */
  get expired(): boolean {
    return this.expiresAt !== undefined && this.now() >= this.expiresAt;
  }

  /** "User:<name>" once authenticated. */
  get principal(): string | undefined {
    return this.user === undefined ? undefined : `User:${this.user}`;
  }

  /** The next frame is a bare SASL token (after SaslHandshake v0), not a request. */
  get expectsRawToken(): boolean {
    return this.state === 'raw';
  }

  /** Whether a request of this API may be served now; false closes the connection (Kafka's IllegalSaslStateException). */
  allows(apiKey: number): boolean {
    switch (this.state) {
      case 'done':
        return !this.expired || apiKey === ApiKey.SaslHandshake;
      case 'handshake':
        return apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake;
      case 'authenticate':
        return apiKey === ApiKey.SaslAuthenticate;
      case 'raw':
        return false;
    }
  }

  /** SaslHandshake: starts the mechanism's exchange, or refuses an unknown mechanism (and the connection closes). */
  handshake(mechanism: string, version: number): SaslVerdict<{ errorCode: number; mechanisms: string[] }> {
    const mechanisms = [...this.listener.mechanisms];
    const reauthentication = this.state === 'done' && (this.listener.reauthMs ?? 0) > 0 && version >= 1;
    if (this.state !== 'handshake' && !reauthentication)
      return { response: { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }, close: this.state !== 'done' || this.expired };
    this.reauthenticating = reauthentication;
    this.exchange = startSaslExchange(mechanism, this.security);
    if (this.exchange === undefined) return { response: { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }, close: true };
    this.state = version === 0 ? 'raw' : 'authenticate';
    return { response: { errorCode: ErrorCode.NONE, mechanisms }, close: false };
  }

  /** SaslAuthenticate: one step of the exchange; a failure answers and closes. */
  authenticate(token: Buffer): SaslVerdict<SaslAuthenticateResponse> {
    const refused = (errorCode: number, errorMessage: string) => ({
      response: { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 },
      close: this.state !== 'done' || this.reauthenticating,
    });
    if (this.state !== 'authenticate' || this.exchange === undefined) return refused(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate not expected now');
    const step = this.exchange.step(token);
    if (step.kind === 'failed') return refused(step.errorCode, step.message);
    if (step.kind === 'done' && this.reauthenticating && step.principal !== this.user)
      return refused(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `re-authentication as ${JSON.stringify(step.principal)} on a connection of ${JSON.stringify(this.user)}: principals cannot change`,
      );
    if (step.kind === 'done') this.succeed(step.principal);
    const sessionLifetimeMs = step.kind === 'done' ? (this.listener.reauthMs ?? 0) : 0;
    return { response: { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs }, close: false };
  }

  /** A bare token after SaslHandshake v0: the bytes to send back (size-prefixed by the caller), or a failure message (the connection closes without an answer). */
  rawToken(token: Buffer): { ok: true; response: Buffer } | { ok: false; message: string } {
    if (this.state !== 'raw' || this.exchange === undefined) return { ok: false, message: 'SASL token not expected now' };
    const step = this.exchange.step(token);
    if (step.kind === 'failed') return { ok: false, message: step.message };
    if (step.kind === 'done') this.succeed(step.principal);
    return { ok: true, response: step.response };
  }

  private succeed(user: string): void {
    this.state = 'done';
    this.reauthenticating = false;
    const reauthMs = this.listener.reauthMs ?? 0;
    this.expiresAt = reauthMs > 0 ? this.now() + reauthMs : undefined;
    this.user = user;
    this.exchange = undefined;
  }
}
