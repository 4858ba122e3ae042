// Length-prefixed frames ([u32 size][payload]) cut from a TCP byte stream, with
// core/wire's one frame decoder. The size is checked against a bound before
// anything is buffered for it, so a bad or hostile peer costs at most one
// bounded frame.
import { FrameDecoder as WireFrameDecoder } from '../../wire';

export type { FrameResult } from '../../wire';

/**
 * core/wire's decoder with the positional options the cluster's RPC links use.
 * With `borrowedChunks` every frame is copied out, so the caller may read the
 * next chunk into the same buffer (a socket's `onread` buffer).
 */
export class FrameDecoder extends WireFrameDecoder {
  constructor(maxFrameBytes: number, minFrameBytes = 1, borrowedChunks = false, allocate?: (size: number) => Buffer) {
    super({ maxFrameBytes, minFrameBytes, borrowedChunks, allocate });
  }
}
