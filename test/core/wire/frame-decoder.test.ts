import { FrameDecoder } from '../../../core/wire';

const frame = (payload: string): Buffer => {
  const b = Buffer.alloc(4 + payload.length);
  b.writeUInt32BE(payload.length, 0);
  b.write(payload, 4);
  return b;
};

describe('FrameDecoder', () => {
  it('asks admission once per frame when its size is read, and holds that frame and every byte after it until resume()', () => {
    const asked: number[] = [];
    let room = true;
    const d = new FrameDecoder({
      maxFrameBytes: 100,
      admit: (size) => {
        asked.push(size);
        return room;
      },
    });
    const out: string[] = [];
    const onFrame = (f: Buffer): void => void out.push(f.toString());
    expect(d.push(frame('ab'), onFrame).ok).toBe(true);
    room = false;
    const bytes = Buffer.concat([frame('cde'), frame('f')]);
    expect(d.push(bytes.subarray(0, 5), onFrame).ok).toBe(true);
    expect(d.waiting).toBe(true);
    expect(d.push(bytes.subarray(5), onFrame).ok).toBe(true);
    expect(out).toEqual(['ab']);
    expect(asked).toEqual([2, 3]);
    expect(d.bufferedBytes).toBe(bytes.length - 4);
    room = true;
    expect(d.resume(onFrame).ok).toBe(true);
    expect(d.waiting).toBe(false);
    expect(out).toEqual(['ab', 'cde', 'f']);
    expect(asked).toEqual([2, 3, 1]);
    expect(d.bufferedBytes).toBe(0);
  });

  it('copies held bytes out of borrowed chunks, so the caller may reuse its read buffer', () => {
    let room = false;
    const d = new FrameDecoder({ maxFrameBytes: 100, borrowedChunks: true, admit: () => room });
    const out: string[] = [];
    const reused = Buffer.from(frame('xyz'));
    d.push(reused, (f) => out.push(f.toString()));
    reused.fill(0);
    room = true;
    d.resume((f) => out.push(f.toString()));
    expect(out).toEqual(['xyz']);
  });

  it('refuses a frame outside its bounds before admission is asked, naming the limit', () => {
    const asked: number[] = [];
    const admit = (size: number): boolean => {
      asked.push(size);
      return true;
    };
    expect(new FrameDecoder({ maxFrameBytes: 10, maxFrameName: 'max.bytes (10)', admit }).push(frame('x'.repeat(11)), () => {})).toEqual({
      ok: false,
      error: 'a frame of 11 bytes exceeds max.bytes (10)',
    });
    expect(new FrameDecoder({ maxFrameBytes: 10, minFrameBytes: 2, admit }).push(frame('x'), () => {})).toEqual({
      ok: false,
      error: 'a frame of 1 bytes is smaller than the minimum of 2',
    });
    expect(asked).toEqual([]);
  });

  it('stops at a frame its consumer refuses', () => {
    const d = new FrameDecoder({ maxFrameBytes: 10 });
    const seen: string[] = [];
    const r = d.push(Buffer.concat([frame('a'), frame('b'), frame('c')]), (f) => {
      seen.push(f.toString());
      return f.toString() !== 'b';
    });
    expect(r.ok).toBe(false);
    expect(seen).toEqual(['a', 'b']);
  });

  it("lets a reader fill a part-received frame's rest in place, and hands the frame on once whole", () => {
    const d = new FrameDecoder({ maxFrameBytes: 100, borrowedChunks: true });
    const out: string[] = [];
    const onFrame = (f: Buffer): void => void out.push(f.toString());
    expect(d.frameRest()).toBeUndefined();
    const bytes = Buffer.concat([frame('x'), frame('abcdefgh')]);
    expect(d.push(bytes.subarray(0, 12), onFrame).ok).toBe(true);
    // 'x' is whole; 'abc' of the second frame arrived, five bytes are missing.
    expect(out).toEqual(['x']);
    const rest = d.frameRest()!;
    expect(rest.length).toBe(5);
    bytes.copy(rest, 0, 12, 14);
    expect(d.restFilled(2, onFrame).ok).toBe(true);
    expect(out).toEqual(['x']);
    const more = d.frameRest()!;
    expect(more.length).toBe(3);
    bytes.copy(more, 0, 14);
    expect(d.restFilled(3, onFrame).ok).toBe(true);
    expect(out).toEqual(['x', 'abcdefgh']);
    expect(d.frameRest()).toBeUndefined();
  });

  it('refuses bytes said to be read into a frame rest that is not there', () => {
    const d = new FrameDecoder({ maxFrameBytes: 100 });
    expect(d.restFilled(1, () => {})).toEqual({ ok: false, error: '1 bytes were read past the frame being filled' });
    expect(d.push(frame('abcd').subarray(0, 6), () => {}).ok).toBe(true);
    expect(d.restFilled(3, () => {}).ok).toBe(false);
  });
});
