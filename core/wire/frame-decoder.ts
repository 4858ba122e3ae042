// The one frame decoder of Rill: length-prefixed frames ([u32 size][payload])
// cut from a byte stream (a Kafka connection, a raft link, a cluster RPC link).
// The size is checked against its bounds before anything is kept for it
// (DESIGN.md principle 8), so a bad or hostile peer costs at most one bounded
// frame; an optional admission step (a memory pool) may hold the frame back
// until there is room for it.

export type FrameResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface FrameDecoderOptions {
  /** Larger frames are an error (close the connection). */
  maxFrameBytes: number;
  /** How error messages name the limit, e.g. "socket.request.max.bytes (104857600)". */
  maxFrameName?: string;
  /** Smaller frames are an error. At least 1 (the default). */
  minFrameBytes?: number;
  /**
   * The caller may reuse a chunk's memory once push() returns (a socket's
   * `onread` buffer): every frame, and every byte held back, is copied out.
   */
  borrowedChunks?: boolean;
  /** Where a copied frame goes: a buffer of exactly `size` bytes. */
  allocate?: (size: number) => Buffer;
  /**
   * Called once per frame when its size is read, before any of its bytes are
   * kept: true to go on, false to hold the frame (and all bytes after it)
   * until resume() is called.
   */
  admit?: (size: number) => boolean;
}

const OK: FrameResult = { ok: true };

/**
 * A frame that lies whole inside one chunk is handed on as a view of it; one
 * that spans chunks is copied once into a buffer of its exact size (no
 * re-concatenation of everything buffered, chunk after chunk).
 */
export class FrameDecoder {
  private readonly maxFrameBytes: number;
  private readonly maxFrameName: string;
  private readonly minFrameBytes: number;
  private readonly borrowedChunks: boolean;
  private readonly allocate: (size: number) => Buffer;
  private readonly admit: ((size: number) => boolean) | undefined;

  private readonly head = Buffer.alloc(4);
  private headFill = 0;
  /** Size of the frame being received, or -1 before its prefix is read. */
  private size = -1;
  private admitted = false;
  /** The frame being filled, when it spans chunks. */
  private frame: Buffer | undefined;
  private frameFill = 0;
  /** Bytes received while admission holds a frame back. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private holding = false;

  constructor(options: FrameDecoderOptions) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxFrameName = options.maxFrameName ?? `the limit of ${options.maxFrameBytes}`;
    this.minFrameBytes = Math.max(1, options.minFrameBytes ?? 1);
    this.borrowedChunks = options.borrowedChunks ?? false;
    this.allocate = options.allocate ?? Buffer.allocUnsafe;
    this.admit = options.admit;
  }

  /** Whether admission holds a frame back (resume() goes on). */
  get waiting(): boolean {
    return this.holding;
  }

  /** Bytes received and not yet handed on as a frame. */
  get bufferedBytes(): number {
    return this.headFill + this.frameFill + this.heldBytes;
  }

  /**
   * Feeds bytes; calls `onFrame` for every complete frame (returning false from
   * it stops decoding: an error). An oversized or undersized frame is an error:
   * close the connection.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => unknown): FrameResult {
    if (this.holding) {
      this.hold(chunk);
      return OK;
    }
    return this.consume(chunk, onFrame);
  }

  /** Admission granted the held frame: goes on with the bytes held back. */
  resume(onFrame: (frame: Buffer) => unknown): FrameResult {
    if (!this.holding) return OK;
    this.holding = false;
    this.admitted = true;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (let i = 0; i < held.length; i++) {
      const r = this.consume(held[i], onFrame);
      if (!r.ok) return r;
      if (this.holding) {
        // Held again (by the next frame): keep the rest in order.
        for (let j = i + 1; j < held.length; j++) this.hold(held[j]);
        return OK;
      }
    }
    return OK;
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const kept = this.borrowedChunks ? Buffer.from(bytes) : bytes;
    this.held.push(kept);
    this.heldBytes += kept.length;
  }

  private consume(chunk: Buffer, onFrame: (frame: Buffer) => unknown): FrameResult {
    let at = 0;
    while (at < chunk.length) {
      if (this.size < 0) {
        let size: number;
        if (this.headFill === 0 && chunk.length - at >= 4) {
          size = chunk.readUInt32BE(at);
          at += 4;
        } else {
          const n = Math.min(4 - this.headFill, chunk.length - at);
          chunk.copy(this.head, this.headFill, at, at + n);
          this.headFill += n;
          at += n;
          if (this.headFill < 4) return OK;
          this.headFill = 0;
          size = this.head.readUInt32BE(0);
        }
        if (size > this.maxFrameBytes) return { ok: false, error: `a frame of ${size} bytes exceeds ${this.maxFrameName}` };
        if (size < this.minFrameBytes) return { ok: false, error: `a frame of ${size} bytes is smaller than the minimum of ${this.minFrameBytes}` };
        this.size = size;
        this.admitted = false;
      }
      if (!this.admitted) {
        if (this.admit !== undefined && !this.admit(this.size)) {
          this.holding = true;
          this.hold(chunk.subarray(at));
          return OK;
        }
        this.admitted = true;
      }
      if (this.frame === undefined) {
        if (!this.borrowedChunks && chunk.length - at >= this.size) {
          const frame = chunk.subarray(at, at + this.size);
          at += this.size;
          this.size = -1;
          if (onFrame(frame) === false) return { ok: false, error: 'the frame was refused' };
          continue;
        }
        this.frame = this.allocate(this.size);
        this.frameFill = 0;
      }
      const n = Math.min(this.frame.length - this.frameFill, chunk.length - at);
      chunk.copy(this.frame, this.frameFill, at, at + n);
      at += n;
      const r = this.filled(n, onFrame);
      if (!r.ok) return r;
    }
    return OK;
  }

  /**
   * The unfilled rest of a frame that spans chunks, for the next socket read
   * to land in directly (an `onread` buffer function): its bytes are then never
   * copied out of a read buffer. Undefined when no frame is part-filled.
   */
  frameRest(): Buffer | undefined {
    return this.frame === undefined || this.holding ? undefined : this.frame.subarray(this.frameFill);
  }

  /** `n` bytes were read into frameRest(): the frame is handed on once whole. */
  restFilled(n: number, onFrame: (frame: Buffer) => unknown): FrameResult {
    if (this.frame === undefined || n > this.frame.length - this.frameFill) return { ok: false, error: `${n} bytes were read past the frame being filled` };
    return this.filled(n, onFrame);
  }

  private filled(n: number, onFrame: (frame: Buffer) => unknown): FrameResult {
    const frame = this.frame!;
    this.frameFill += n;
    if (this.frameFill < frame.length) return OK;
    this.frame = undefined;
    this.frameFill = 0;
    this.size = -1;
    return onFrame(frame) === false ? { ok: false, error: 'the frame was refused' } : OK;
  }
}
