import * as net from 'net';
import { TcpTransport } from '../../../core/raft/tcp-transport';
import type { Message } from '../../../core/raft/types';

const hb = (from: number, to: number, commit: number): Message => ({ type: 'heartbeat', from, to, term: 1, commit, context: '' });

/** Collects messages and lets a test wait for the n-th one (no sleeps). */
class Inbox {
  readonly got: Message[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  push = (m: Message) => {
    this.got.push(m);
    this.waiters = this.waiters.filter((w) => (this.got.length >= w.n ? (w.resolve(), false) : true));
  };
  waitFor(n: number): Promise<void> {
    if (this.got.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

describe('TcpTransport', () => {
  const open: TcpTransport[] = [];
  const make = (onMessage: (m: Message) => void, opts: { maxQueuedFrames?: number; maxFrameBytes?: number } = {}) => {
    const t = new TcpTransport({ onMessage, ...opts });
    open.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it('delivers messages in order between two nodes', async () => {
    const inbox = new Inbox();
    const b = make(inbox.push);
    const port = await b.listen(0);
    const a = make(() => {});
    await a.listen(0);
    a.setPeer(2, { host: '127.0.0.1', port });
    for (let i = 1; i <= 500; i++) a.send(hb(1, 2, i));
    await inbox.waitFor(500);
    expect(inbox.got.map((m) => (m.type === 'heartbeat' ? m.commit : -1))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });

  it('drops what its link filter refuses (a cut link), counts it, and delivers again once the link is healed', async () => {
    const inbox = new Inbox();
    const b = make(inbox.push);
    const port = await b.listen(0);
    let cut = true;
    const a = new TcpTransport({ onMessage: () => {}, linkFilter: (to) => !(cut && to === 2) });
    open.push(a);
    a.setPeer(2, { host: '127.0.0.1', port });
    a.send(hb(1, 2, 1));
    a.send(hb(1, 2, 2));
    expect(a.stats.dropped).toBe(2);
    cut = false;
    a.send(hb(1, 2, 3));
    await inbox.waitFor(1);
    // One connection, in order: had the first two left, they would have arrived first.
    expect(inbox.got).toEqual([hb(1, 2, 3)]);
  });

  it('reconnects to a peer that restarted on a new address', async () => {
    const first = new Inbox();
    const b1 = make(first.push);
    const port1 = await b1.listen(0);
    const a = make(() => {}, {});
    a.setPeer(2, { host: '127.0.0.1', port: port1 });
    a.send(hb(1, 2, 1));
    await first.waitFor(1);
    await b1.close();
    const second = new Inbox();
    const b2 = make(second.push);
    const port2 = await b2.listen(0);
    a.setPeer(2, { host: '127.0.0.1', port: port2 });
    a.send(hb(1, 2, 2));
    await second.waitFor(1);
    expect(second.got[0]).toEqual(hb(1, 2, 2));
  });

  it('bounds the queue for an unreachable peer', async () => {
    const a = make(() => {}, { maxQueuedFrames: 10 });
    // A port nobody listens on: grab one and release it.
    const probe = net.createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    a.setPeer(2, { host: '127.0.0.1', port });
    for (let i = 0; i < 100; i++) a.send(hb(1, 2, i));
    expect(a.stats.dropped).toBe(90);
  });

  it('closes a connection that sends garbage or an oversized frame, and keeps serving others', async () => {
    const inbox = new Inbox();
    const b = make(inbox.push, { maxFrameBytes: 1024 });
    const port = await b.listen(0);
    for (const bad of [Buffer.from([0, 0, 0, 3, 250, 1, 2]), Buffer.from([0x7f, 0xff, 0xff, 0xff])]) {
      const sock = net.connect({ host: '127.0.0.1', port });
      await new Promise((r) => sock.once('connect', r));
      const closed = new Promise((r) => sock.once('close', r));
      sock.on('error', () => {});
      sock.write(bad);
      await closed;
    }
    expect(b.stats.badFrames).toBe(2);
    const a = make(() => {});
    a.setPeer(2, { host: '127.0.0.1', port });
    a.send(hb(1, 2, 7));
    await inbox.waitFor(1);
    expect(inbox.got).toEqual([hb(1, 2, 7)]);
  });
});
