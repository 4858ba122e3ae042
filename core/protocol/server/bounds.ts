// The bounds every Kafka listener applies, whatever answers the requests (the
// embedded broker's server or a cluster broker's listener):
//   - ConnectionLimiter: max.connections and max.connections.per.ip; a
//     connection beyond them is closed at once, with one log line per interval.
//   - MemoryPool: queued.max.request.bytes, the bytes of requests read and not
//     yet handled, across ALL connections. A frame's size is reserved when its
//     4-byte prefix is read; a connection whose frame does not fit stops
//     reading its socket until the pool has room (its bytes stay in the kernel).
//   - FrameReader: cuts one connection's byte stream into request frames under
//     socket.request.max.bytes and the pool (with core/wire's frame decoder).
//     A frame admitted to the pool must arrive whole within
//     request.receive.timeout.ms: a client sending it slowly (slowloris) would
//     otherwise hold its reservation, and starve everyone of the pool, forever.
import type { Socket } from 'node:net';
import { RateLimitedLog } from '../../log';
import { FrameDecoder, type FrameResult } from '../../wire';

export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 1024;
export const DEFAULT_QUEUED_MAX_REQUEST_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;
/** As Kafka's request.timeout.ms: a client that cannot send a request in 30 s has failed it anyway. */
export const DEFAULT_REQUEST_RECEIVE_TIMEOUT_MS = 30_000;

export interface ListenerBounds {
  /** max.connections: open connections of this listener. Default 4096. */
  maxConnections?: number;
  /** max.connections.per.ip. Default 1024. */
  maxConnectionsPerIp?: number;
  /** queued.max.request.bytes: request bytes read and not yet handled, all connections together. Default 128 MiB. */
  queuedMaxRequestBytes?: number;
  /** socket.request.max.bytes: larger frames are refused by closing. Default 100 MiB. */
  maxFrameBytes?: number;
  /** request.receive.timeout.ms: a frame admitted to the pool and not received whole by then closes its connection. Default 30 s. */
  requestReceiveTimeoutMs?: number;
}

export class ConnectionLimiter {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private readonly warnings: RateLimitedLog;
  /** Connections refused over the limiter's life. */
  refused = 0;

  constructor(
    readonly maxConnections: number,
    readonly maxConnectionsPerIp: number,
    log: (message: string) => void,
  ) {
    this.warnings = new RateLimitedLog(log);
  }

  get open(): number {
    return this.total;
  }

  /**
   * Counts the connection in, or closes it when a limit is reached (the client
   * sees the connection closed before any response, as with Kafka). Returns
   * false for a refused connection.
   */
  admit(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? '?';
    const fromIp = this.perIp.get(ip) ?? 0;
    const reason =
      this.total >= this.maxConnections
        ? `max.connections (${this.maxConnections})`
        : fromIp >= this.maxConnectionsPerIp
          ? `max.connections.per.ip (${this.maxConnectionsPerIp}) for ${ip}`
          : undefined;
    if (reason) {
      this.refused++;
      this.warnings.warn(reason, `refusing new connections from ${ip}: ${reason} reached`);
      socket.on('error', () => {});
      socket.destroy();
      return false;
    }
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    socket.once('close', () => {
      this.total--;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    });
    return true;
  }
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

/** queued.max.request.bytes as a counting pool (the bytes live in the frames; the pool says how many may). */
export class MemoryPool {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  /** Largest `used` seen (tests, metrics). */
  highWater = 0;

  constructor(readonly capacity: number) {}

  get usedBytes(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Reserves `bytes` now (true), or queues `grant` to be called once they are
   * reserved (false). Waiters are granted in order of arrival among those that
   * fit, so small requests are not stuck behind a large one.
   */
  reserve(bytes: number, grant: () => void): boolean {
    if (this.used + bytes <= this.capacity) {
      this.take(bytes);
      return true;
    }
    this.waiters.push({ bytes, grant });
    return false;
  }

  /** Withdraws a queued reservation (a connection that closed while waiting). */
  cancel(grant: () => void): void {
    const i = this.waiters.findIndex((w) => w.grant === grant);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.used < 0) this.used = 0;
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i];
      if (this.used + w.bytes > this.capacity) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      this.take(w.bytes);
      w.grant();
    }
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.highWater) this.highWater = this.used;
  }
}

/** A complete request frame (without its size prefix) and the pool bytes it holds until `release`. */
export interface Frame {
  bytes: Buffer;
  /** Gives the frame's bytes back to the pool; idempotent. */
  release: () => void;
}

export type FrameRead = { kind: 'frame'; frame: Frame } | { kind: 'wait' } | { kind: 'error'; message: string };

/** How long an admitted frame may take to arrive, and what to do when it has not (close the connection). */
export interface ReceiveDeadline {
  timeoutMs: number;
  onExpired: (message: string) => void;
}

/**
 * One connection's framing: core/wire's frame decoder, with each frame's size
 * checked against the frame limit and reserved in the pool before the frame's
 * bytes are kept. While a frame waits for the pool, `waitingForMemory` is true:
 * the caller stops reading its socket and `onGranted` tells it when to go on.
 * A frame that holds a reservation and is not received whole within the
 * deadline is reported to `deadline.onExpired` (the connection closes, and
 * close() gives the reservation back). Frames that arrive in the read that
 * admitted them (nearly all) never start a timer.
 */
export class FrameReader {
  private readonly decoder: FrameDecoder;
  /** Frames cut (their bytes reserved) and not yet returned by next(). */
  private readonly ready: Frame[] = [];
  private readyBytes = 0;
  private error: string | undefined;
  /** Bytes reserved for the frame being received. */
  private reserved = 0;
  private waiter: (() => void) | undefined;
  /** Runs while the frame being received holds a reservation. */
  private receiveTimer: NodeJS.Timeout | undefined;
  private readonly handedOut = new Set<Frame>();
  private closed = false;
  private readonly onFrame = (bytes: Buffer): void => this.cut(bytes);
  /** A further bound on a frame's size, checked on its size prefix (SASL's before authentication): a message refuses the frame. */
  sizeCheck: ((size: number) => string | undefined) | undefined;

  constructor(
    private readonly pool: MemoryPool,
    maxFrameBytes: number,
    private readonly onGranted: () => void,
    minFrameBytes = 8,
    private readonly deadline?: ReceiveDeadline,
  ) {
    const limit = Math.min(maxFrameBytes, pool.capacity);
    this.decoder = new FrameDecoder({
      maxFrameBytes: limit,
      maxFrameName: limit === maxFrameBytes ? `socket.request.max.bytes (${maxFrameBytes})` : `queued.max.request.bytes (${pool.capacity})`,
      minFrameBytes,
      admit: (size) => this.admit(size),
    });
  }

  get waitingForMemory(): boolean {
    return this.waiter !== undefined;
  }

  get bufferedBytes(): number {
    return this.readyBytes + this.decoder.bufferedBytes;
  }

  push(chunk: Buffer): void {
    if (this.closed || this.error !== undefined) return;
    this.check(this.decoder.push(chunk, this.onFrame));
    this.armDeadline();
  }

  /** Whether a call to next() may make progress. */
  get hasWork(): boolean {
    return this.ready.length > 0 || this.error !== undefined;
  }

  /** The api key of the frame next() would return. */
  peekApiKey(): number | undefined {
    const first = this.ready[0];
    return first !== undefined && first.bytes.length >= 2 ? first.bytes.readInt16BE(0) : undefined;
  }

  next(): FrameRead {
    if (this.closed) return { kind: 'wait' };
    const frame = this.ready.shift();
    if (frame !== undefined) {
      this.readyBytes -= frame.bytes.length;
      this.handedOut.add(frame);
      return { kind: 'frame', frame };
    }
    if (this.error !== undefined) return { kind: 'error', message: this.error };
    return { kind: 'wait' };
  }

  /** Drops what is buffered and gives every reservation back (the connection closed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.disarmDeadline();
    if (this.waiter) {
      this.pool.cancel(this.waiter);
      this.waiter = undefined;
    }
    if (this.reserved > 0) this.pool.release(this.reserved);
    this.reserved = 0;
    for (const f of this.ready.splice(0)) f.release();
    this.readyBytes = 0;
    for (const f of [...this.handedOut]) f.release();
  }

  /** Reserves a frame's size in the pool as soon as its prefix is read; false holds the decoder until granted. */
  private admit(size: number): boolean {
    const refused = this.sizeCheck?.(size);
    if (refused !== undefined) {
      this.error = refused; // the decoder stays held: next() reports the error
      return false;
    }
    const grant = (): void => {
      this.waiter = undefined;
      if (this.closed) {
        this.pool.release(size);
        return;
      }
      this.reserved = size;
      this.check(this.decoder.resume(this.onFrame));
      this.armDeadline();
      this.onGranted();
    };
    if (this.pool.reserve(size, grant)) {
      this.reserved = size;
      return true;
    }
    this.waiter = grant;
    return false;
  }

  /** Starts the receive deadline of a frame that holds a reservation and is still arriving. */
  private armDeadline(): void {
    if (this.deadline === undefined || this.reserved === 0 || this.receiveTimer !== undefined || this.closed || this.error !== undefined) return;
    const { timeoutMs, onExpired } = this.deadline;
    const size = this.reserved;
    this.receiveTimer = setTimeout(() => {
      this.receiveTimer = undefined;
      if (this.closed || this.reserved === 0) return;
      onExpired(
        `a frame of ${size} bytes was not received whole within request.receive.timeout.ms (${timeoutMs} ms); its reservation of queued.max.request.bytes goes back to the pool`,
      );
    }, timeoutMs);
    this.receiveTimer.unref();
  }

  private disarmDeadline(): void {
    clearTimeout(this.receiveTimer);
    this.receiveTimer = undefined;
  }

  private cut(bytes: Buffer): void {
    this.disarmDeadline();
    const held = this.reserved;
    this.reserved = 0;
    let released = false;
    const frame: Frame = {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.handedOut.delete(frame);
        this.pool.release(held);
      },
    };
    this.ready.push(frame);
    this.readyBytes += bytes.length;
  }

  private check(result: FrameResult): void {
    if (!result.ok) this.error = result.error;
  }
}

/** The limiter and pool of one listener, from its options. */
export function listenerBounds(
  bounds: ListenerBounds,
  log: (message: string) => void,
): { limiter: ConnectionLimiter; pool: MemoryPool; maxFrameBytes: number; requestReceiveTimeoutMs: number } {
  const positive = (name: string, n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
    return n;
  };
  return {
    limiter: new ConnectionLimiter(
      positive('max.connections', bounds.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
      positive('max.connections.per.ip', bounds.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP),
      log,
    ),
    pool: new MemoryPool(positive('queued.max.request.bytes', bounds.queuedMaxRequestBytes ?? DEFAULT_QUEUED_MAX_REQUEST_BYTES)),
    maxFrameBytes: positive('socket.request.max.bytes', bounds.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
    requestReceiveTimeoutMs: positive('request.receive.timeout.ms', bounds.requestReceiveTimeoutMs ?? DEFAULT_REQUEST_RECEIVE_TIMEOUT_MS),
  };
}
