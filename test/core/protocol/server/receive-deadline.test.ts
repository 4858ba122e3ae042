// request.receive.timeout.ms: a frame admitted to the memory pool must arrive
// whole in time, or its connection closes and the reservation goes back. The
// FrameReader is driven with fake timers; the slowloris over a real socket
// waits on events (the pool's counters, the socket's close), never on the clock.
import { FrameReader, MemoryPool, apis } from '../../../../core/protocol';
import { startTestCluster, waitFor } from '../harness';
import { rawConnect, requestFrame } from '../raw';

/** A size prefix declaring `size` bytes, and the first `sent` of them. */
function partialFrame(size: number, sent: number): Buffer {
  const b = Buffer.alloc(4 + sent, 0x41);
  b.writeInt32BE(size, 0);
  b.writeInt16BE(0, 4); // api key Produce
  return b;
}

describe('FrameReader with a receive deadline (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function reader(pool: MemoryPool, timeoutMs = 1000): { frames: FrameReader; expired: string[] } {
    const expired: string[] = [];
    const frames = new FrameReader(pool, 1 << 20, () => undefined, 8, { timeoutMs, onExpired: (m) => expired.push(m) });
    return { frames, expired };
  }

  test('a frame that arrives in the read that admitted it starts no timer', () => {
    const pool = new MemoryPool(1 << 20);
    const { frames, expired } = reader(pool);
    frames.push(partialFrame(100, 100));
    expect(jest.getTimerCount()).toBe(0);
    expect(frames.next().kind).toBe('frame');
    jest.advanceTimersByTime(10_000);
    expect(expired).toEqual([]);
  });

  test('a frame completed before the deadline keeps its connection', () => {
    const pool = new MemoryPool(1 << 20);
    const { frames, expired } = reader(pool);
    frames.push(partialFrame(100, 40));
    expect(pool.usedBytes).toBe(100);
    jest.advanceTimersByTime(999);
    frames.push(Buffer.alloc(60, 0x41));
    expect(frames.next().kind).toBe('frame');
    jest.advanceTimersByTime(10_000);
    expect(expired).toEqual([]);
  });

  test('a frame still arriving at the deadline is reported, and closing gives its reservation back', () => {
    const pool = new MemoryPool(1 << 20);
    const { frames, expired } = reader(pool);
    frames.push(partialFrame(4096, 40));
    // Trickling bytes does not move the deadline: it is the frame's, not the socket's.
    jest.advanceTimersByTime(600);
    frames.push(Buffer.alloc(10, 0x41));
    jest.advanceTimersByTime(400);
    expect(expired).toEqual([expect.stringContaining('a frame of 4096 bytes was not received whole within request.receive.timeout.ms (1000 ms)')]);
    frames.close();
    expect(pool.usedBytes).toBe(0);
  });

  test('a frame waiting for the pool holds nothing, so its deadline starts when it is admitted', () => {
    const pool = new MemoryPool(1000);
    const first = reader(pool);
    const second = reader(pool);
    first.frames.push(partialFrame(800, 20));
    second.frames.push(partialFrame(800, 20));
    expect(second.frames.waitingForMemory).toBe(true);
    jest.advanceTimersByTime(1000);
    expect([first.expired.length, second.expired.length]).toEqual([1, 0]);
    first.frames.close();
    expect(second.frames.waitingForMemory).toBe(false);
    expect(pool.usedBytes).toBe(800);
    jest.advanceTimersByTime(999);
    expect(second.expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(second.expired).toHaveLength(1);
    second.frames.close();
    expect(pool.usedBytes).toBe(0);
  });
});

test('slowloris over the wire: the admitted frame is cut at the deadline and its reservation returned; other connections are served', async () => {
  const MiB = 1024 * 1024;
  // Idle connections are never cut here: only the receive deadline can end the attack.
  const own = await startTestCluster({ server: { queuedMaxRequestBytes: 3 * MiB, maxFrameBytes: 2 * MiB, idleTimeoutMs: 0, requestReceiveTimeoutMs: 300 } });
  try {
    const slow = await rawConnect(own.server.port);
    slow.socket.write(partialFrame(2 * MiB, 1000));
    // Admitted (or already cut, on a slow machine): either way it reserved its 2 MiB.
    await waitFor(() => own.server.pool.highWater === 2 * MiB, 'the slow frame admitted');
    const honest = await rawConnect(own.server.port);
    honest.socket.write(requestFrame(apis.apiVersions, 0, 7, {}));
    expect((await honest.responses(1))[0].readInt32BE(0)).toBe(7);
    await slow.closed;
    expect(own.server.pool.usedBytes).toBe(0);
    expect(own.logs.filter((l) => l.includes('a frame of 2097152 bytes was not received whole within request.receive.timeout.ms (300 ms)'))).toHaveLength(1);
    // The honest connection was not touched.
    honest.socket.write(requestFrame(apis.apiVersions, 0, 8, {}));
    expect((await honest.responses(2))[1].readInt32BE(0)).toBe(8);
    honest.socket.destroy();
  } finally {
    await own.stop();
  }
});
