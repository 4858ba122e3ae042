import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { ENTRIES_HEADROOM, EntriesEncoder, appendFrame, decodeMessage, encodeMessage, entriesEncoder } from '../../../core/raft/codec';
import { FileStorage } from '../../../core/raft/file-storage';
import type { AppendEntries, Entry, Ready } from '../../../core/raft/types';

// A leader encodes a run of entries once: the append frames to every follower
// and its WAL record share the bytes (codec.EntriesEncoder). Decoded entries
// hold one copy of their run, never a view of the frame they came in.

const entry = (index: number, data: string): Entry => ({ index, term: 3, type: 'normal', data: Buffer.from(data) });
const run = [entry(5, 'five'), entry(6, ''), entry(7, 'seven'.repeat(300))];
const append = (to: number, entries: readonly Entry[]): AppendEntries => ({
  type: 'append',
  from: 1,
  to,
  term: 3,
  prevLogIndex: 4,
  prevLogTerm: 2,
  commit: 4,
  entries,
});

/**
 * Whether two Buffers are views of the same bytes. Comparing `.buffer` alone is not
 * enough: small Buffers are slices of Node's shared pool, so two separate encodings
 * often have the same ArrayBuffer.
 */
const sameBytes = (a: Buffer, b: Buffer, offset = 0) => a.buffer === b.buffer && a.byteOffset + offset === b.byteOffset;

describe('entries encoded once and shared', () => {
  it('frames an append in two parts whose bytes are the one-piece encoding', () => {
    const m = append(2, run);
    const [head, entries] = appendFrame(m, new EntriesEncoder());
    const frame = Buffer.concat([head, entries]);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4)).toEqual(encodeMessage(m));
  });

  it('reuses the bytes for the same entries in another array, and only then', () => {
    const encoder = new EntriesEncoder();
    const first = appendFrame(append(2, run), encoder)[1];
    const second = appendFrame(append(3, [...run]), encoder)[1];
    expect(sameBytes(second, first)).toBe(true);
    expect(encoder.stats).toEqual({ encoded: 1, reused: 1 });
    // Same length and content, one entry a different object: encoded anew.
    const replaced = [run[0], entry(6, 'other'), run[2]];
    const third = appendFrame(append(2, replaced), encoder)[1];
    expect(sameBytes(third, first)).toBe(false);
    expect(decodeMessage(Buffer.concat(appendFrame(append(2, replaced), encoder)).subarray(4))).toEqual(E.right(append(2, replaced)));
    expect(encoder.stats).toEqual({ encoded: 2, reused: 2 });
  });

  it('leaves the headroom free for a WAL header and never touches the shared entries bytes', () => {
    const bytes = new EntriesEncoder().encode(run);
    expect(bytes.readUInt32BE(ENTRIES_HEADROOM)).toBe(run.length);
  });

  it('decodes entries into their own copy of the run, not views of the frame', () => {
    const frame = encodeMessage(append(2, run));
    const decoded = decodeMessage(frame);
    if (E.isLeft(decoded) || decoded.right.type !== 'append') throw new Error('expected an append');
    const got = decoded.right.entries;
    expect(got).toEqual(run);
    frame.fill(0);
    expect(got.map((e) => e.data.toString())).toEqual(run.map((e) => e.data.toString()));
    // One copy of the run: entry 7's data lies in the same buffer as entry 5's,
    // after it by the two 17-byte entry headers between them (entry 6 is empty).
    expect(got[2].data.buffer).toBe(got[0].data.buffer);
    expect(got[2].data.byteOffset - (got[0].data.byteOffset + got[0].data.length)).toBe(34);
  });

  it('writes the WAL from the bytes the followers were sent, and recovers the entries', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-raft-share-'));
    try {
      const opened = FileStorage.open(dir);
      if (E.isLeft(opened)) throw new Error(opened.left);
      const rd: Ready = {
        softState: { role: 'leader', leader: 1 },
        hardState: { term: 3, vote: 1, commit: 4 },
        entries: [entry(1, 'a'), entry(2, 'b'), entry(3, 'c'), entry(4, 'd')],
        snapshot: undefined,
        committedEntries: [],
        messages: [],
        readStates: [],
        sendBeforePersist: false,
      };
      opened.right.save(rd);
      // The leader sends a run to its followers, then writes the same run to its WAL.
      const sent = appendFrame(append(2, run.slice()), entriesEncoder)[1];
      opened.right.save({ ...rd, hardState: undefined, entries: run });
      expect(sameBytes(entriesEncoder.encode(run), sent, ENTRIES_HEADROOM)).toBe(true);
      // The frame part sent is unchanged by the WAL header written before it.
      expect(sent).toEqual(new EntriesEncoder().encode(run).subarray(ENTRIES_HEADROOM));
      opened.right.close();
      const again = FileStorage.open(dir);
      if (E.isLeft(again)) throw new Error(again.left);
      expect(again.right.load().entries).toEqual([...rd.entries, ...run]);
      again.right.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
