// Length-prefixed frames ([u32 size][payload]) cut from a TCP byte stream. The
// size is checked against a bound before anything is buffered for it, so a bad
// or hostile peer costs at most one bounded frame.

export type FrameResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly minFrameBytes = 1,
  ) {}

  /** Feeds bytes; calls `onFrame` for every complete frame. An oversized or undersized frame is an error (close the connection). */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): FrameResult {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < 4) return { ok: true };
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : this.flatten();
      const size = head.readUInt32BE(0);
      if (size > this.maxFrameBytes) return { ok: false, error: `a frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}` };
      if (size < this.minFrameBytes) return { ok: false, error: `a frame of ${size} bytes is smaller than the minimum of ${this.minFrameBytes}` };
      if (this.buffered < 4 + size) return { ok: true };
      const all = this.flatten();
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      onFrame(frame);
    }
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }
}

export function sizePrefix(length: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(length, 0);
  return b;
}
