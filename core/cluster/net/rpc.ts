// The cluster's internal RPC: brokers to controllers (registration, heartbeats,
// AlterPartition, CreateTopics, metadata fetch) and followers to leaders
// (replica fetch, OffsetForLeaderEpoch). Rill's own small protocol, not Kafka's:
// length-prefixed frames over TCP, each [u8 kind][u32 id][u32 json length]
// [json][blob], where the JSON carries the message and the optional blob the
// bytes that must not be re-encoded (record batches, metadata entries).
// Frames are bounded; a malformed one closes that connection only. Connections
// are plain TCP, or mutual TLS when the node is given LinkSockets of
// internal-tls.ts.
import type * as net from 'node:net';
import { type LinkSockets, plainSockets } from '../../raft';
import { FrameDecoder, type FrameResult } from './frames';

export type { LinkSockets } from '../../raft';

const REQUEST = 0;
const RESPONSE = 1;
const HEADER = 9;

export const DEFAULT_MAX_RPC_FRAME_BYTES = 64 * 1024 * 1024;
/** A client's socket reads land here (Node's own reads are 64 KiB too). */
const READ_BUFFER_BYTES = 64 * 1024;
/** Smaller answers are carved from Node's shared pool and never recycled. */
const RECYCLED_FRAME_MIN_BYTES = 16 * 1024;
const MAX_SPARE_FRAMES = 4;
/** A frame's rest at least this large is read into the frame itself (below, one copy out of the read buffer costs less than another read). */
const DIRECT_READ_MIN_BYTES = 16 * 1024;

export interface RpcMessage {
  readonly body: unknown;
  /** Bytes sent as they are after the JSON; several buffers go out one after the other (the peer receives them as one blob). */
  readonly blob?: Buffer | readonly Buffer[];
}

/** The connection a request came on: lets a server tie soft state (a broker's heartbeat session) to it. */
export interface RpcPeer {
  /** Runs once the connection has closed (at once if it already has). */
  onClose(listener: () => void): void;
}

export type RpcHandler = (method: string, body: unknown, blob: Buffer, peer: RpcPeer) => Promise<RpcMessage> | RpcMessage;

/**
 * Which links deliver (a test hook for network partitions): called before a
 * request goes out and again when its response comes back; false drops the
 * message as a partitioned network would, so the call times out.
 */
export type LinkFilter = (to: { readonly host: string; readonly port: number }, method: string) => boolean;

export type RpcResult = { readonly ok: true; readonly body: unknown; readonly blob: Buffer } | { readonly ok: false; readonly error: string };

/** The size prefix, header and JSON in one buffer, then the blob's buffers as they are (never copied). */
function encodeFrame(kind: number, id: number, json: unknown, blob: Buffer | readonly Buffer[] | undefined): Buffer[] {
  const text = JSON.stringify(json);
  const textBytes = Buffer.byteLength(text);
  const blobs = blob === undefined ? [] : Buffer.isBuffer(blob) ? [blob] : blob;
  let blobBytes = 0;
  for (const b of blobs) blobBytes += b.length;
  const head = Buffer.allocUnsafe(4 + HEADER + textBytes);
  head.writeUInt32BE(HEADER + textBytes + blobBytes, 0);
  head.writeUInt8(kind, 4);
  head.writeUInt32BE(id, 5);
  head.writeUInt32BE(textBytes, 9);
  head.write(text, 4 + HEADER, 'utf8');
  const parts: Buffer[] = [head];
  if (blobBytes > 0) for (let i = 0; i < blobs.length; i++) if (blobs[i].length > 0) parts.push(blobs[i]);
  return parts;
}

type Decoded = { kind: number; id: number; json: unknown; blob: Buffer };

function decodeFrame(frame: Buffer): Decoded | string {
  if (frame.length < HEADER) return `frame of ${frame.length} bytes is shorter than the ${HEADER}-byte header`;
  const kind = frame.readUInt8(0);
  if (kind !== REQUEST && kind !== RESPONSE) return `unknown frame kind ${kind}`;
  const id = frame.readUInt32BE(1);
  const jsonLength = frame.readUInt32BE(5);
  if (jsonLength > frame.length - HEADER) return `JSON length ${jsonLength} exceeds the frame`;
  let json: unknown;
  try {
    // Decoded from the frame in place (no view made for it): this runs for every call and answer.
    json = JSON.parse(frame.toString('utf8', HEADER, HEADER + jsonLength));
  } catch (e) {
    return `bad JSON: ${(e as Error).message}`;
  }
  return { kind, id, json, blob: frame.subarray(HEADER + jsonLength) };
}

/** A TLS handshake record (content type 22, version 3.x): a node with internal TLS calling a plaintext one. */
function looksLikeTlsHello(bytes: Buffer | undefined): boolean {
  return bytes !== undefined && bytes.length >= 2 && bytes[0] === 0x16 && bytes[1] === 0x03;
}

/**
 * Writes a frame's parts corked until the work of the current tick is done: the
 * frames one tick makes for a peer (a leader's answers to one follower's
 * fetches of several partitions, woken by one produce; the follower's next
 * fetches for them) leave in one writev instead of one each.
 */
function writeAll(socket: net.Socket, parts: Buffer[]): void {
  if (socket.writableCorked === 0) {
    socket.cork();
    process.nextTick(() => socket.uncork());
  }
  for (const p of parts) socket.write(p);
}

export class RpcServer {
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static listen(
    port: number,
    host: string,
    handler: RpcHandler,
    log: (m: string) => void,
    maxFrameBytes = DEFAULT_MAX_RPC_FRAME_BYTES,
    sockets: LinkSockets = plainSockets,
  ): Promise<RpcServer> {
    return new Promise((resolve, reject) => {
      let rpc: RpcServer;
      const server = sockets.createServer((socket) => {
        socket.on('error', () => {});
        const peer: RpcPeer = {
          onClose: (listener) => (socket.destroyed ? listener() : socket.once('close', listener)),
        };
        const decoder = new FrameDecoder(maxFrameBytes, HEADER);
        let firstBytes: Buffer | undefined;
        socket.on('data', (chunk: Buffer) => {
          firstBytes ??= Buffer.from(chunk.subarray(0, 2));
          const r = decoder.push(chunk, (frame) => {
            const d = decodeFrame(frame);
            if (typeof d === 'string' || d.kind !== REQUEST || typeof (d.json as { m?: unknown }).m !== 'string') {
              log(`rpc: closing connection from ${socket.remoteAddress}:${socket.remotePort}: ${typeof d === 'string' ? d : 'not a request'}`);
              socket.destroy();
              return;
            }
            const { m, b } = d.json as { m: string; b: unknown };
            Promise.resolve()
              .then(() => handler(m, b, d.blob, peer))
              .then(
                (res) => !socket.destroyed && writeAll(socket, encodeFrame(RESPONSE, d.id, { b: res.body }, res.blob)),
                (e: unknown) =>
                  !socket.destroyed && writeAll(socket, encodeFrame(RESPONSE, d.id, { e: e instanceof Error ? e.message : String(e) }, undefined)),
              );
          });
          if (!r.ok) {
            const why = looksLikeTlsHello(firstBytes)
              ? "it speaks TLS, and this node's internal links are plaintext (start every node with the same --internal-ssl-* flags)"
              : r.error;
            log(`rpc: closing connection from ${socket.remoteAddress}:${socket.remotePort}: ${why}`);
            socket.destroy();
          }
        });
      });
      // Every raw connection, authenticated or still in a TLS handshake, ends with close().
      server.on('connection', (socket: net.Socket) => {
        rpc.sockets.add(socket);
        socket.on('close', () => rpc.sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        rpc = new RpcServer(server, (server.address() as net.AddressInfo).port);
        resolve(rpc);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Pending {
  readonly method: string;
  readonly resolve: (r: RpcResult) => void;
  readonly timer: NodeJS.Timeout;
}

/** One connection to one peer, opened on demand and again after it breaks. Every call has a deadline. */
export class RpcClient {
  private socket: net.Socket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly dropped = new Set<Pending>();
  private closed = false;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  /** Memory of large answers their callers gave back (recycle()), for the next ones. */
  private readonly spares: Buffer[] = [];
  /** The memory of large answers this client made: only these may come back. */
  private readonly ownFrames = new WeakSet<ArrayBufferLike>();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly maxFrameBytes = DEFAULT_MAX_RPC_FRAME_BYTES,
    private readonly linkFilter?: LinkFilter,
    private readonly sockets: LinkSockets = plainSockets,
  ) {}

  call(method: string, body: unknown, timeoutMs: number, blob?: Buffer): Promise<RpcResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'client closed' });
    // Built only when a call times out: most calls are answered.
    const timedOut = (): RpcResult => ({ ok: false, error: `${method} to ${this.host}:${this.port} timed out after ${timeoutMs} ms` });
    if (this.linkFilter !== undefined && !this.linkFilter(this, method)) return this.drop(timedOut, timeoutMs);
    const socket = this.connect();
    const id = this.nextId++;
    if (this.nextId > 0xffffffff) this.nextId = 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(timedOut());
      }, timeoutMs);
      this.pending.set(id, { method, resolve, timer });
      writeAll(socket, encodeFrame(REQUEST, id, { m: method, b: body }, blob));
    });
  }

  /** A request the link filter lost: it times out like one a partitioned network lost (or ends at close()). */
  private drop(timedOut: () => RpcResult, timeoutMs: number): Promise<RpcResult> {
    return new Promise((resolve) => {
      const p: Pending = {
        method: '',
        resolve,
        timer: setTimeout(() => {
          this.dropped.delete(p);
          resolve(timedOut());
        }, timeoutMs),
      };
      this.dropped.add(p);
    });
  }

  private connect(): net.Socket {
    if (this.socket !== undefined) return this.socket;
    const decoder = new FrameDecoder(this.maxFrameBytes, HEADER, true, (size) => this.frameBuffer(size));
    // Answers (a leader's fetched batches) are read into one buffer of this
    // client's, never a fresh buffer per read. Once a large answer's size is
    // known, the reads after land in the answer's own memory (the decoder's
    // frameRest()): its bytes go from the kernel to where the follower appends
    // them from, with no copy in between. Smaller ones are copied out of the
    // read buffer once.
    const onread = {
      buffer: (): Buffer => {
        const rest = decoder.frameRest();
        return rest !== undefined && rest.length >= DIRECT_READ_MIN_BYTES ? rest : this.readBuffer;
      },
      callback: (n: number, buf: Buffer) => {
        if (buf === this.readBuffer) onData(buf.subarray(0, n));
        else settle(decoder.restFilled(n, onFrame));
        return true;
      },
    };
    const socket = this.sockets.connect({ host: this.host, port: this.port, onread });
    this.socket = socket;
    const fail = (error: string) => {
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve({ ok: false, error });
        this.pending.delete(id);
      }
    };
    socket.on('error', (e) => fail(`${this.host}:${this.port}: ${e.message}`));
    socket.on('close', () => fail(`connection to ${this.host}:${this.port} closed`));
    const onFrame = (frame: Buffer) => {
      const d = decodeFrame(frame);
      if (typeof d === 'string' || d.kind !== RESPONSE)
        return fail(`bad response from ${this.host}:${this.port}: ${typeof d === 'string' ? d : 'not a response'}`);
      const p = this.pending.get(d.id);
      if (p === undefined) return; // answered after its deadline
      if (this.linkFilter !== undefined && !this.linkFilter(this, p.method)) return; // lost on the way back: times out
      this.pending.delete(d.id);
      clearTimeout(p.timer);
      const json = d.json as { b?: unknown; e?: string };
      p.resolve(json.e !== undefined ? { ok: false, error: json.e } : { ok: true, body: json.b, blob: d.blob });
    };
    const settle = (r: FrameResult) => {
      if (!r.ok) fail(`bad frame from ${this.host}:${this.port}: ${r.error}`);
    };
    const onData = (chunk: Buffer) => settle(decoder.push(chunk, onFrame));
    return socket;
  }

  /**
   * The caller is done with an answer's blob (it keeps no view of it; call
   * once per answer): its memory may hold a later answer. A follower hands back each fetched batch
   * set once appended, so it receives into the same memory again and again
   * instead of a new buffer per fetch (new buffers that outlive a young
   * generation collection are what made a replicating broker run full ones).
   */
  recycle(blob: Buffer): void {
    const memory = blob.buffer;
    if (!this.ownFrames.has(memory) || this.spares.some((b) => b.buffer === memory)) return;
    this.spares.push(Buffer.from(memory, 0, memory.byteLength));
    // Keep the largest few: one per answer that may be in flight at once.
    if (this.spares.length > MAX_SPARE_FRAMES) this.spares.sort((a, b) => b.length - a.length).pop();
  }

  private frameBuffer(size: number): Buffer {
    if (size < RECYCLED_FRAME_MIN_BYTES) return Buffer.allocUnsafe(size);
    const i = this.spares.findIndex((b) => b.length >= size);
    if (i >= 0) return this.spares.splice(i, 1)[0].subarray(0, size);
    const fresh = Buffer.allocUnsafeSlow(size);
    this.ownFrames.add(fresh.buffer);
    return fresh;
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
    for (const p of this.dropped) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: 'client closed' });
    }
    this.dropped.clear();
  }
}

/** One call on a connection of its own, closed after the answer (status and admin tools). */
export async function callOnce(host: string, port: number, method: string, body: unknown, timeoutMs: number, sockets?: LinkSockets) {
  const client = new RpcClient(host, port, undefined, undefined, sockets);
  try {
    return await client.call(method, body, timeoutMs);
  } finally {
    client.close();
  }
}
