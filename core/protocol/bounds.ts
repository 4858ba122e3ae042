// The bounds every Kafka listener applies, whatever answers the requests (the
// embedded broker's server or a cluster broker's listener):
//   - ConnectionLimiter: max.connections and max.connections.per.ip; a
//     connection beyond them is closed at once, with one log line per interval.
//   - MemoryPool: queued.max.request.bytes, the bytes of requests read and not
//     yet handled, across ALL connections. A frame's size is reserved when its
//     4-byte prefix is read; a connection whose frame does not fit stops
//     reading its socket until the pool has room (its bytes stay in the kernel).
//   - FrameReader: cuts one connection's byte stream into request frames under
//     socket.request.max.bytes and the pool.
import type { Socket } from 'node:net';
import { RateLimitedLog } from '../log';

export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 1024;
export const DEFAULT_QUEUED_MAX_REQUEST_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

export interface ListenerBounds {
  /** max.connections: open connections of this listener. Default 4096. */
  maxConnections?: number;
  /** max.connections.per.ip. Default 1024. */
  maxConnectionsPerIp?: number;
  /** queued.max.request.bytes: request bytes read and not yet handled, all connections together. Default 128 MiB. */
  queuedMaxRequestBytes?: number;
  /** socket.request.max.bytes: larger frames are refused by closing. Default 100 MiB. */
  maxFrameBytes?: number;
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
      this.total >= this.maxConnections ? `max.connections (${this.maxConnections})` : fromIp >= this.maxConnectionsPerIp ? `max.connections.per.ip (${this.maxConnectionsPerIp}) for ${ip}` : undefined;
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

/**
 * One connection's framing: 4-byte size, checked against the frame limit and
 * reserved in the pool before the frame's bytes are kept. While a frame waits
 * for the pool, `waitingForMemory` is true: the caller stops reading its socket
 * and `onGranted` tells it when to go on.
 */
export class FrameReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private frameSize = -1;
  /** Bytes reserved for the frame being received. */
  private reserved = 0;
  private waiter: (() => void) | undefined;
  private readonly handedOut = new Set<Frame>();
  private closed = false;

  constructor(
    private readonly pool: MemoryPool,
    private readonly maxFrameBytes: number,
    private readonly onGranted: () => void,
    private readonly minFrameBytes = 8,
  ) {}

  get waitingForMemory(): boolean {
    return this.waiter !== undefined;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Whether a call to next() may make progress. */
  get hasWork(): boolean {
    if (this.waiter) return false;
    return this.frameSize >= 0 ? this.buffered >= 4 + this.frameSize : this.buffered >= 4;
  }

  /** The api key of the frame next() would return, once its first bytes are buffered. */
  peekApiKey(): number | undefined {
    if (this.buffered < 6) return undefined;
    this.coalesce(6);
    return this.chunks[0].readInt16BE(4);
  }

  next(): FrameRead {
    if (this.closed || this.waiter) return { kind: 'wait' };
    if (this.frameSize < 0) {
      if (this.buffered < 4) return { kind: 'wait' };
      this.coalesce(4);
      const size = this.chunks[0].readInt32BE(0);
      const limit = Math.min(this.maxFrameBytes, this.pool.capacity);
      if (size < this.minFrameBytes) return { kind: 'error', message: `a frame of ${size} bytes is too small for a request header` };
      if (size > limit) {
        const which = limit === this.maxFrameBytes ? `socket.request.max.bytes (${this.maxFrameBytes})` : `queued.max.request.bytes (${this.pool.capacity})`;
        return { kind: 'error', message: `a frame of ${size} bytes exceeds ${which}` };
      }
      this.frameSize = size;
      const grant = (): void => {
        this.waiter = undefined;
        if (this.closed) {
          this.pool.release(size);
          return;
        }
        this.reserved = size;
        this.onGranted();
      };
      if (this.pool.reserve(size, grant)) this.reserved = size;
      else {
        this.waiter = grant;
        return { kind: 'wait' };
      }
    }
    if (this.buffered < 4 + this.frameSize) return { kind: 'wait' };
    const bytes = this.take(4 + this.frameSize).subarray(4);
    const held = this.reserved;
    this.reserved = 0;
    this.frameSize = -1;
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
    this.handedOut.add(frame);
    return { kind: 'frame', frame };
  }

  /** Drops what is buffered and gives every reservation back (the connection closed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks.length = 0;
    this.buffered = 0;
    if (this.waiter) {
      this.pool.cancel(this.waiter);
      this.waiter = undefined;
    }
    if (this.reserved > 0) this.pool.release(this.reserved);
    this.reserved = 0;
    for (const f of [...this.handedOut]) f.release();
  }

  private coalesce(n: number): void {
    if (this.chunks[0].length >= n) return;
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks.length = 0;
    this.chunks.push(all);
  }

  /** Removes n bytes from the front (a view when they sit in one chunk). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/** The limiter and pool of one listener, from its options. */
export function listenerBounds(bounds: ListenerBounds, log: (message: string) => void): { limiter: ConnectionLimiter; pool: MemoryPool; maxFrameBytes: number } {
  const positive = (name: string, n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
    return n;
  };
  return {
    limiter: new ConnectionLimiter(positive('max.connections', bounds.maxConnections ?? DEFAULT_MAX_CONNECTIONS), positive('max.connections.per.ip', bounds.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP), log),
    pool: new MemoryPool(positive('queued.max.request.bytes', bounds.queuedMaxRequestBytes ?? DEFAULT_QUEUED_MAX_REQUEST_BYTES)),
    maxFrameBytes: positive('socket.request.max.bytes', bounds.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
  };
}
