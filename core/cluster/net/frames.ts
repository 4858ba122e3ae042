// Length-prefixed frames ([u32 size][payload]) cut from a TCP byte stream. The
// size is checked against a bound before anything is buffered for it, so a bad
// or hostile peer costs at most one bounded frame.

export type FrameResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/**
 * A frame that lies whole inside one chunk is handed on as a view of it; one
 * that spans chunks is copied once into a buffer of its exact size (no
 * re-concatenation of everything buffered, chunk after chunk). With
 * `borrowedChunks` every frame is copied out, so the caller may read the next
 * chunk into the same buffer (a socket's `onread` buffer).
 */
export class FrameDecoder {
  private readonly head = Buffer.alloc(4);
  private headFill = 0;
  /** The frame being filled, when it spans chunks. */
  private frame: Buffer | undefined;
  private frameFill = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly minFrameBytes = 1,
    private readonly borrowedChunks = false,
    /** Where a copied frame goes (a buffer of exactly `size` bytes). */
    private readonly allocate: (size: number) => Buffer = Buffer.allocUnsafe,
  ) {}

  /** Feeds bytes; calls `onFrame` for every complete frame. An oversized or undersized frame is an error (close the connection). */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): FrameResult {
    let at = 0;
    while (at < chunk.length) {
      if (this.frame === undefined) {
        let size: number;
        if (this.headFill === 0 && chunk.length - at >= 4) {
          size = chunk.readUInt32BE(at);
          at += 4;
        } else {
          const n = Math.min(4 - this.headFill, chunk.length - at);
          chunk.copy(this.head, this.headFill, at, at + n);
          this.headFill += n;
          at += n;
          if (this.headFill < 4) return { ok: true };
          this.headFill = 0;
          size = this.head.readUInt32BE(0);
        }
        if (size > this.maxFrameBytes) return { ok: false, error: `a frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}` };
        if (size < this.minFrameBytes) return { ok: false, error: `a frame of ${size} bytes is smaller than the minimum of ${this.minFrameBytes}` };
        if (!this.borrowedChunks && chunk.length - at >= size) {
          onFrame(chunk.subarray(at, at + size));
          at += size;
          continue;
        }
        this.frame = this.allocate(size);
        this.frameFill = 0;
      }
      const n = Math.min(this.frame.length - this.frameFill, chunk.length - at);
      chunk.copy(this.frame, this.frameFill, at, at + n);
      this.frameFill += n;
      at += n;
      if (this.frameFill === this.frame.length) {
        const frame = this.frame;
        this.frame = undefined;
        onFrame(frame);
      }
    }
    return { ok: true };
  }
}
