// core/cluster's internal RPC: calls and answers with their blobs, bounded
// frames, and a malformed frame closing only its own connection.
import * as net from 'node:net';
import { RpcClient, RpcServer } from '../../../../core/cluster';
import { FrameDecoder } from '../../../../core/cluster/net/frames';

describe('FrameDecoder', () => {
  it('cuts frames split across chunks and joined in one', () => {
    const d = new FrameDecoder(100);
    const frames: string[] = [];
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('abc'), Buffer.from([0, 0, 0, 2]), Buffer.from('de')]);
    for (const b of [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)]) expect(d.push(b, (f) => frames.push(f.toString())).ok).toBe(true);
    expect(frames).toEqual(['abc', 'de']);
  });

  it('copies every frame out of borrowed chunks, so the reader may reuse its buffer', () => {
    const d = new FrameDecoder(100, 1, true);
    const frames: Buffer[] = [];
    const bytes = Buffer.concat([
      Buffer.from([0, 0, 0, 3]),
      Buffer.from('abc'),
      Buffer.from([0, 0, 0, 5]),
      Buffer.from('defgh'),
      Buffer.from([0, 0, 0, 1]),
      Buffer.from('i'),
    ]);
    const reused = Buffer.alloc(4);
    for (let at = 0; at < bytes.length; at += 4) {
      const n = bytes.copy(reused, 0, at, at + 4);
      expect(d.push(reused.subarray(0, n), (f) => frames.push(f)).ok).toBe(true);
    }
    reused.fill(0);
    expect(frames.map((f) => f.toString())).toEqual(['abc', 'defgh', 'i']);
  });

  it('refuses a frame larger than the bound before buffering it', () => {
    const r = new FrameDecoder(10).push(Buffer.from([0x7f, 0xff, 0xff, 0xff]), () => {});
    expect(r).toEqual({ ok: false, error: 'a frame of 2147483647 bytes exceeds the limit of 10' });
  });
});

describe('RpcServer and RpcClient', () => {
  let server: RpcServer;
  const logs: string[] = [];

  beforeAll(async () => {
    server = await RpcServer.listen(
      0,
      '127.0.0.1',
      (method, body, blob) => {
        if (method === 'fail') throw new Error('refused on purpose');
        return { body: { method, body, blobLength: blob.length }, blob: Buffer.from('answer') };
      },
      (m) => logs.push(m),
      1024,
    );
  });

  afterAll(() => server.close());

  it('answers a call with its body and blob', async () => {
    const c = new RpcClient('127.0.0.1', server.port);
    const r = await c.call('echo', { x: 1 }, 2000, Buffer.from('bytes'));
    expect(r).toEqual({ ok: true, body: { method: 'echo', body: { x: 1 }, blobLength: 5 }, blob: Buffer.from('answer') });
    expect(await c.call('fail', null, 2000)).toEqual({ ok: false, error: 'refused on purpose' });
    c.close();
  });

  it('closes a connection that sends a malformed or oversized frame, and goes on serving others', async () => {
    const bad = [Buffer.from([0, 0, 0, 9, 7, 0, 0, 0, 1, 0, 0, 0, 0]), Buffer.from([0, 0, 0x10, 0])];
    for (const frame of bad) {
      const closed = await new Promise<boolean>((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () => s.write(frame));
        s.on('close', () => resolve(true));
        s.on('error', () => {});
      });
      expect(closed).toBe(true);
    }
    expect(logs.some((l) => l.includes('unknown frame kind 7'))).toBe(true);
    expect(logs.some((l) => l.includes('exceeds the limit of 1024'))).toBe(true);
    const c = new RpcClient('127.0.0.1', server.port);
    expect((await c.call('echo', 1, 2000)).ok).toBe(true);
    c.close();
  });

  it('loses messages on a link its filter cuts, both ways, until the link heals', async () => {
    let cut = false;
    const seen: string[] = [];
    const c = new RpcClient('127.0.0.1', server.port, undefined, (to, method) => {
      seen.push(`${to.port === server.port}:${method}`);
      return !cut;
    });
    expect((await c.call('echo', 1, 2000)).ok).toBe(true);
    cut = true;
    expect(await c.call('echo', 2, 100)).toEqual({ ok: false, error: `echo to 127.0.0.1:${server.port} timed out after 100 ms` });
    // A request that went out before the cut loses its answer on the way back.
    cut = false;
    const late = c.call('echo', 3, 200);
    cut = true;
    expect((await late).ok).toBe(false);
    cut = false;
    expect((await c.call('echo', 4, 2000)).ok).toBe(true);
    expect(seen.every((s) => s.startsWith('true:echo'))).toBe(true);
    // close() ends a call the filter is holding.
    cut = true;
    const held = c.call('echo', 5, 60_000);
    c.close();
    expect(await held).toEqual({ ok: false, error: 'client closed' });
  });

  it('receives a large answer into the memory of one its caller recycled, and only into memory it made', async () => {
    const big = await RpcServer.listen(
      0,
      '127.0.0.1',
      (_m, body) => ({ body: null, blob: Buffer.alloc(100_000, body as number) }),
      () => {},
    );
    const c = new RpcClient('127.0.0.1', big.port);
    try {
      const first = await c.call('get', 1, 2000);
      if (!first.ok) throw new Error(first.error);
      c.recycle(first.blob);
      c.recycle(Buffer.alloc(200_000)); // not this client's: ignored
      const second = await c.call('get', 2, 2000);
      if (!second.ok) throw new Error(second.error);
      expect(second.blob.buffer).toBe(first.blob.buffer);
      expect(second.blob.equals(Buffer.alloc(100_000, 2))).toBe(true);
      // Not recycled: the next answer gets memory of its own.
      const third = await c.call('get', 3, 2000);
      if (!third.ok) throw new Error(third.error);
      expect(third.blob.buffer).not.toBe(second.blob.buffer);
      expect(second.blob.equals(Buffer.alloc(100_000, 2))).toBe(true);
    } finally {
      c.close();
      await big.close();
    }
  });

  it('reads the rest of a large answer straight into its own memory, answers before and after it intact', async () => {
    const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
    const sizes = [300_000, 10, 200_000, 70_000, 3];
    const big = await RpcServer.listen(
      0,
      '127.0.0.1',
      (_m, body) => ({ body: { n: body }, blob: pattern(sizes[body as number], body as number) }),
      () => {},
    );
    const c = new RpcClient('127.0.0.1', big.port);
    const direct = jest.spyOn(FrameDecoder.prototype, 'restFilled');
    try {
      // All in flight at once: the answers follow each other on the connection, small ones between large ones.
      const answers = await Promise.all(sizes.map((_, i) => c.call('get', i, 5000)));
      answers.forEach((a, i) => {
        if (!a.ok) throw new Error(a.error);
        expect(a.body).toEqual({ n: i });
        expect(a.blob.equals(pattern(sizes[i], i))).toBe(true);
      });
      // A 300,000-byte answer is larger than a read buffer and the direct-read minimum: its rest was read in place.
      expect(direct).toHaveBeenCalled();
    } finally {
      direct.mockRestore();
      c.close();
      await big.close();
    }
  });

  it('reports an unreachable peer as an error value', async () => {
    const probe = await RpcServer.listen(
      0,
      '127.0.0.1',
      () => ({ body: null }),
      () => {},
    );
    const port = probe.port;
    await probe.close();
    const c = new RpcClient('127.0.0.1', port);
    const r = await c.call('echo', 1, 2000);
    expect(r.ok).toBe(false);
    c.close();
  });
});
