import * as net from 'net';
import * as E from 'fp-ts/Either';
import { appendFrame, decodeMessage, entriesEncoder, messageSizeHint, withHeader, writeMessage } from './codec';
import type { Message, NodeId } from './types';
import { FrameDecoder } from '../wire';

// Raft messages between nodes over TCP: one outbound connection per peer,
// length-prefixed frames ([u32 length][message]), reconnect with backoff, and
// a bounded queue per peer. Raft tolerates lost messages, so a full queue
// drops the newest message instead of growing memory without bound.

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * How a transport's connections are made: plain TCP by default; core/cluster
 * passes mutual TLS (core/cluster/net/internal-tls.ts). A TLS socket may emit
 * 'connect' before its handshake ends: what is written meanwhile waits for it.
 */
export interface LinkSockets {
  /** A server handing each accepted connection (for TLS: authenticated) to `onSocket`; 'connection' still sees every raw one. */
  createServer(onSocket: (socket: net.Socket) => void): net.Server;
  connect(options: { host: string; port: number; onread?: net.OnReadOpts }): net.Socket;
}

export const plainSockets: LinkSockets = {
  createServer: (onSocket) => net.createServer({ noDelay: true }, onSocket),
  connect: (options) => net.connect({ ...options, noDelay: true }),
};

export interface TransportOptions {
  readonly onMessage: (m: Message) => void;
  /** How connections are made (default: plain TCP). */
  readonly sockets?: LinkSockets;
  /** Frames queued per peer before new ones are dropped. */
  readonly maxQueuedFrames?: number;
  /** Larger incoming frames close the connection (bad input never allocates unbounded memory). */
  readonly maxFrameBytes?: number;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /**
   * Test hook for network partitions: whether a message to `to` may leave;
   * false drops it as a cut link would (count it in `dropped`). Each side of a
   * cut filters what it sends, so cutting both sides cuts the link both ways.
   */
  readonly linkFilter?: (to: NodeId) => boolean;
}

export interface TransportStats {
  sent: number;
  received: number;
  dropped: number;
  badFrames: number;
}

class PeerLink {
  private socket: net.Socket | undefined;
  private connected = false;
  /** Queued frames' bytes: an append frame is two Buffers (appendFrame). */
  private queue: Buffer[] = [];
  private queuedFrames = 0;
  private timer: NodeJS.Timeout | undefined;
  private backoff: number;
  private closed = false;

  constructor(
    private address: PeerAddress,
    private readonly opts: Required<Omit<TransportOptions, 'onMessage' | 'linkFilter'>>,
    private readonly stats: TransportStats,
  ) {
    this.backoff = opts.reconnectMinMs;
  }

  setAddress(address: PeerAddress): void {
    if (address.host === this.address.host && address.port === this.address.port) return;
    this.address = address;
    this.backoff = this.opts.reconnectMinMs;
    // Forget the old connection now (its 'close' comes later and is ignored),
    // so nothing more is written to it.
    const old = this.socket;
    this.socket = undefined;
    this.connected = false;
    old?.destroy();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length > 0) this.connect();
  }

  /** Queue one frame, given as its parts in order. */
  send(frame: Buffer, rest?: Buffer): void {
    if (this.closed) return;
    if (this.queuedFrames >= this.opts.maxQueuedFrames) {
      this.stats.dropped++;
      return;
    }
    this.queue.push(frame);
    if (rest !== undefined) this.queue.push(rest);
    this.queuedFrames++;
    if (this.connected) this.flush();
    else if (this.socket === undefined && this.timer === undefined) this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.queue = [];
    this.queuedFrames = 0;
  }

  private connect(): void {
    const socket = this.opts.sockets.connect({ host: this.address.host, port: this.address.port });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.backoff = this.opts.reconnectMinMs;
      this.flush();
    });
    socket.on('drain', () => this.flush());
    socket.on('error', () => {
      // 'close' follows; reconnecting is handled there.
    });
    socket.on('data', () => {
      // Peers never answer on this connection.
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      if (this.closed) return;
      const delay = this.backoff;
      this.backoff = Math.min(this.backoff * 2, this.opts.reconnectMaxMs);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed && this.queue.length > 0) this.connect();
      }, delay);
      this.timer.unref();
    });
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket || !this.connected || this.queue.length === 0 || socket.writableNeedDrain) return;
    const parts = this.queue;
    this.stats.sent += this.queuedFrames;
    this.queue = [];
    this.queuedFrames = 0;
    if (parts.length === 1) {
      socket.write(parts[0]);
      return;
    }
    // One writev for the lot, without copying the parts (shared entry runs among them) into one Buffer.
    socket.cork();
    for (const part of parts) socket.write(part);
    socket.uncork();
  }
}

export class TcpTransport {
  private readonly server: net.Server;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<net.Socket>();
  private readonly opts: Required<Omit<TransportOptions, 'onMessage' | 'linkFilter'>>;
  readonly stats: TransportStats = { sent: 0, received: 0, dropped: 0, badFrames: 0 };

  constructor(private readonly options: TransportOptions) {
    this.opts = {
      maxQueuedFrames: options.maxQueuedFrames ?? 4096,
      maxFrameBytes: options.maxFrameBytes ?? 64 << 20,
      reconnectMinMs: options.reconnectMinMs ?? 20,
      reconnectMaxMs: options.reconnectMaxMs ?? 1000,
      sockets: options.sockets ?? plainSockets,
    };
    this.server = this.opts.sockets.createServer((socket) => this.accept(socket));
    // Every raw connection, authenticated or still in a TLS handshake, ends with close().
    this.server.on('connection', (socket: net.Socket) => {
      this.inbound.add(socket);
      socket.on('close', () => this.inbound.delete(socket));
    });
  }

  /** Listen (port 0 picks a free port); resolves to the bound port. */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  setPeer(id: NodeId, address: PeerAddress): void {
    const link = this.links.get(id);
    if (link) link.setAddress(address);
    else this.links.set(id, new PeerLink(address, this.opts, this.stats));
  }

  send(m: Message): void {
    const link = this.links.get(m.to);
    if (!link || this.options.linkFilter?.(m.to) === false) {
      this.stats.dropped++;
      return;
    }
    if (m.type === 'append') {
      const [head, entries] = appendFrame(m, entriesEncoder);
      link.send(head, entries);
      return;
    }
    const frame = withHeader(4, (w) => writeMessage(w, m), messageSizeHint(m));
    frame.writeUInt32BE(frame.length - 4, 0);
    link.send(frame);
  }

  close(): Promise<void> {
    for (const link of this.links.values()) link.close();
    for (const s of this.inbound) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const decoder = new FrameDecoder({ maxFrameBytes: this.opts.maxFrameBytes });
    socket.on('data', (chunk: Buffer) => {
      const read = decoder.push(chunk, (frame) => {
        const m = decodeMessage(frame);
        if (E.isLeft(m)) return false;
        this.stats.received++;
        this.options.onMessage(m.right);
        return true;
      });
      if (!read.ok) {
        // Malformed or oversized input: drop this connection, keep serving everyone else.
        this.stats.badFrames++;
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
  }
}
