// The cluster's internal mutual TLS (core/cluster/net/internal-tls.ts) on the
// RPC and on Raft's transport, with certificates made by openssl at test time:
// nodes with certificates of the internal CA talk; a plaintext peer, a peer of
// another CA, and (with node principals listed) a peer of the right CA but
// another subject are refused with a line that says why, and the server goes
// on serving the others.
import { InternalTls, type InternalTlsOptions, RpcClient, RpcServer } from '../../../../core/cluster';
import { type Message, TcpTransport } from '../../../../core/raft';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';

/** Log lines, and a bounded wait for the first one (already logged or to come) that matches. */
function logLines() {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  return {
    lines,
    log: (m: string) => {
      lines.push(m);
      for (const w of [...waiters]) w();
    },
    next(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; lines: ${lines.join(' | ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

const NODE = 'User:CN=rill-node,O=Rill Tests';

describe('internal TLS on the cluster RPC', () => {
  let certs: TestCerts;
  let node: InternalTlsOptions;
  let server: RpcServer;
  let serverLog: ReturnType<typeof logLines>;
  const clients: RpcClient[] = [];

  const client = (options: InternalTlsOptions | undefined) => {
    const c = new RpcClient('127.0.0.1', server.port, undefined, undefined, options && InternalTls.load(options).sockets(() => {}));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    certs = makeTestCerts();
    node = { certFile: certs.node.cert, keyFile: certs.node.key, caFile: certs.ca, principals: [NODE] };
    serverLog = logLines();
    const sockets = InternalTls.load(node).sockets(serverLog.log);
    server = await RpcServer.listen(0, '127.0.0.1', (method, body, blob) => ({ body: { method, body }, blob }), serverLog.log, undefined, sockets);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
    certs?.remove();
  });

  it('carries calls and their blobs between nodes of the internal CA', async () => {
    // Larger than one read: frames cut across TLS records, the answer's rest read into its own memory. A pattern, so a byte out of place shows.
    const blob = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
    const r = await client(node).call('echo', { n: 1 }, 10_000, blob);
    expect(r.ok && r.body).toEqual({ method: 'echo', body: { n: 1 } });
    expect(r.ok && r.blob.equals(blob)).toBe(true);
  });

  it('refuses a plaintext peer with a line saying so, and goes on serving nodes', async () => {
    const r = await client(undefined).call('echo', {}, 10_000);
    expect(r.ok).toBe(false);
    expect(await serverLog.next(/internal TLS: refused a connection from 127\.0\.0\.1:\d+: it does not speak TLS/)).toBeDefined();
    const again = await client(node).call('echo', { after: 'plaintext' }, 10_000);
    expect(again.ok).toBe(true);
  });

  it('refuses a node whose certificate another CA signed, and the node learns why', async () => {
    const stranger = { certFile: certs.untrustedNode.cert, keyFile: certs.untrustedNode.key, caFile: certs.otherCa };
    const r = await client(stranger).call('echo', {}, 10_000);
    expect(r.ok).toBe(false);
    // It does not trust this server's certificate either: its own error names the setting to check.
    expect(!r.ok && r.error).toMatch(/internal TLS: .*internal\.ssl\.ca\.location/);
    // With the right CA but its own certificate from the other CA, the server is the one that refuses.
    const halfTrusted = { ...stranger, caFile: certs.ca };
    expect((await client(halfTrusted).call('echo', {}, 10_000)).ok).toBe(false);
    expect(await serverLog.next(/refused a connection from .*internal CA/)).toBeDefined();
    expect((await client(node).call('echo', {}, 10_000)).ok).toBe(true);
  });

  it('refuses a certificate of the right CA whose subject is not a node principal, on either side', async () => {
    const intruder = { certFile: certs.intruderNode.cert, keyFile: certs.intruderNode.key, caFile: certs.ca };
    expect((await client(intruder).call('echo', {}, 10_000)).ok).toBe(false);
    expect(await serverLog.next(/User:CN=rill-intruder,O=Rill Tests is not one of the node principals/)).toBeDefined();
    // A node that lists only other principals does not talk to this server.
    const picky = await client({ ...node, principals: ['User:CN=someone-else'] }).call('echo', {}, 10_000);
    expect(!picky.ok && picky.error).toMatch(/User:CN=rill-node,O=Rill Tests is not one of the node principals/);
  });

  it('a plaintext node says so when a node with internal TLS calls it', async () => {
    const plainLog = logLines();
    const plain = await RpcServer.listen(0, '127.0.0.1', () => ({ body: {} }), plainLog.log);
    try {
      const c = new RpcClient(
        '127.0.0.1',
        plain.port,
        undefined,
        undefined,
        InternalTls.load(node).sockets(() => {}),
      );
      clients.push(c);
      expect((await c.call('echo', {}, 10_000)).ok).toBe(false);
      expect(await plainLog.next(/it speaks TLS, and this node's internal links are plaintext/)).toBeDefined();
    } finally {
      await plain.close();
    }
  });

  it('names the setting of a file it cannot read', () => {
    expect(() => InternalTls.load({ ...node, keyFile: '/nonexistent/key.pem' })).toThrow(/internal\.ssl\.key\.location: cannot read \/nonexistent\/key\.pem/);
    expect(() => InternalTls.load({ ...node, principals: ['CN=node'] })).toThrow(/internal\.ssl\.principals: "CN=node" is not a principal/);
  });
});

describe("internal TLS on Raft's transport", () => {
  let certs: TestCerts;
  const transports: TcpTransport[] = [];

  beforeAll(() => {
    certs = makeTestCerts();
  });

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    certs?.remove();
  });

  const transport = (options: InternalTlsOptions, onMessage: (m: Message) => void, log: (m: string) => void = () => {}) => {
    const t = new TcpTransport({ onMessage, sockets: InternalTls.load(options).sockets(log), reconnectMinMs: 10, reconnectMaxMs: 50 });
    transports.push(t);
    return t;
  };

  it('delivers messages between nodes and none from a node of another CA', async () => {
    const node = { certFile: certs.node.cert, keyFile: certs.node.key, caFile: certs.ca };
    const received: Message[] = [];
    let arrived: () => void = () => {};
    const receiverLog = logLines();
    const receiver = transport(
      node,
      (m) => {
        received.push(m);
        arrived();
      },
      receiverLog.log,
    );
    const port = await receiver.listen(0);
    const heartbeat = (from: number): Message => ({ type: 'heartbeat', from, to: 1, term: 1, commit: 0, context: '' });

    const stranger = transport({ certFile: certs.untrustedNode.cert, keyFile: certs.untrustedNode.key, caFile: certs.ca }, () => {});
    stranger.setPeer(1, { host: '127.0.0.1', port });
    stranger.send(heartbeat(3));
    await receiverLog.next(/refused a connection from/);

    const sender = transport(node, () => {});
    sender.setPeer(1, { host: '127.0.0.1', port });
    await new Promise<void>((resolve) => {
      arrived = resolve;
      sender.send(heartbeat(2));
    });
    expect(received.map((m) => m.from)).toEqual([2]);
  });
});
