import * as net from 'node:net';
import { createPlainHttpServer, type PlainHttpOptions, type PlainRequest, type Responder } from '../../../../core/raft/server/plain-http';

// The raft server's own HTTP/1.1: keep-alive, pipelined and split requests
// answered in order; bad input answered with a clear status on that
// connection only, which closes, while other connections go on being served.

describe('plain HTTP server', () => {
  let server: net.Server;
  let port: number;
  const seen: PlainRequest[] = [];

  beforeAll(async () => {
    server = createPlainHttpServer(
      (req, res) => {
        seen.push({ ...req, body: Buffer.from(req.body) });
        // Answer later for /later, so a pipelined request waits for it.
        const answer = () => res.respond(200, JSON.stringify({ method: req.method, url: req.url, body: req.body.toString() }));
        if (req.url === '/later') setImmediate(answer);
        else answer();
      },
      { maxBodyBytes: 1000, maxHeadBytes: 512 },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Send `parts` (one write each) and collect what comes back until `until` holds or the server closes. */
  function exchange(parts: string[], until: (text: string) => boolean): Promise<{ text: string; closed: boolean }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      let writes = parts.slice();
      const writeNext = () => {
        const next = writes.shift();
        if (next !== undefined) socket.write(next, () => setImmediate(writeNext));
      };
      socket.on('connect', writeNext);
      socket.on('data', (d) => {
        text += d.toString();
        if (until(text)) {
          writes = [];
          socket.destroy();
          resolve({ text, closed: false });
        }
      });
      socket.on('end', () => resolve({ text, closed: true }));
      socket.on('error', reject);
    });
  }

  const responses = (text: string) => text.split('HTTP/1.1 ').filter((s) => s.length > 0);

  it('answers keep-alive requests in order, pipelined or split across writes', async () => {
    const post = (url: string, body: string) => `POST ${url} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const pipelined = post('/later', 'one') + post('/b', 'two');
    const split = post('/c', 'three-body');
    const { text, closed } = await exchange([pipelined, split.slice(0, 10), split.slice(10, 40), split.slice(40)], (t) => responses(t).length === 3);
    expect(closed).toBe(false);
    const bodies = responses(text).map((r) => JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4)) as { url: string; body: string });
    expect(bodies).toEqual([
      { method: 'POST', url: '/later', body: 'one' },
      { method: 'POST', url: '/b', body: 'two' },
      { method: 'POST', url: '/c', body: 'three-body' },
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-type: application\/json\r\ncontent-length: \d+\r\n\r\n/);
  });

  it('reads header names in any case, and a repeated content-length that is the same', async () => {
    const { text } = await exchange(['POST /m HTTP/1.1\r\nCONTENT-length: 2\r\nX-Other: 1\r\ncontent-length:2\r\n\r\nhi'], (t) => responses(t).length === 1);
    expect(text).toMatch(/"body":"hi"/);
    // A name that differs in more than case is another header.
    const other = await exchange(['POST /n HTTP/1.1\r\ncontent\rlength: 5\r\n\r\n'], (t) => responses(t).length === 1);
    expect(other.text).toMatch(/"url":"\/n","body":""/);
  });

  it('closes after answering a request that asks for it', async () => {
    const { text, closed } = await exchange(['GET /x HTTP/1.1\r\nConnection: close\r\n\r\n'], () => false);
    expect(closed).toBe(true);
    expect(text).toMatch(/connection: close/);
  });

  it.each([
    ['a bad request line', 'HELLO\r\n\r\n', 400, /request line/],
    ['another HTTP version', 'GET / HTTP/2.0\r\n\r\n', 505, /request line/],
    ['a header without a name', 'GET / HTTP/1.1\r\n: x\r\n\r\n', 400, /no name/],
    ['a bad content-length', 'POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n', 400, /not a number/],
    ['a body over the limit', 'POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n', 413, /at most 1000 bytes/],
    ['a chunked body', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 411, /content-length/],
    ['a chunked body beside a content-length', 'POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 411, /content-length/],
    [
      'two different content-lengths',
      'POST / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nhello',
      400,
      /two different content-length values: 0 and 5/,
    ],
    ['a space before a colon', 'POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello', 400, /whitespace around/],
    ['a folded header line', 'GET / HTTP/1.1\r\nX-A: 1\r\n  X-B: 2\r\n\r\n', 400, /whitespace around/],
    ['headers over the limit', `GET / HTTP/1.1\r\nX: ${'y'.repeat(600)}`, 431, /exceed 512 bytes/],
  ])('answers %s with %i and closes, and keeps serving others', async (_what, request, status, message) => {
    const before = seen.length;
    const { text, closed } = await exchange([request], () => false);
    expect(closed).toBe(true);
    expect(text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect((JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: string }).error).toMatch(message);
    expect(seen.length).toBe(before);
    const ok = await exchange(['GET /still HTTP/1.1\r\n\r\n'], (t) => responses(t).length === 1);
    expect(ok.text.startsWith('HTTP/1.1 200 OK')).toBe(true);
  });
});

// Memory and time per connection are bounded: bytes pipelined behind a
// request being answered stop being read, and a request that arrives in
// pieces has deadlines that bytes trickling in do not push back.
describe('plain HTTP server bounds', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** A server whose handler gets `onRequest`, and the server side of its one connection. */
  async function start(onRequest: (req: PlainRequest, res: Responder) => void, options: PlainHttpOptions) {
    const server = createPlainHttpServer(onRequest, options);
    servers.push(server);
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    sockets.push(client);
    client.on('error', () => undefined); // the server may close while the client still writes
    let text = '';
    client.on('data', (d) => (text += d.toString()));
    const ended = new Promise<string>((r) => client.on('close', () => r(text)));
    return { client, serverSide: await accepted, ended };
  }

  it('stops reading bytes pipelined behind an unanswered request beyond one request, and reads on once it is answered', async () => {
    let held: ((res: Responder) => void) | undefined;
    const asked = new Promise<Responder>((r) => (held = r));
    const { client, serverSide, ended } = await start((_req, res) => held?.(res), { maxHeadBytes: 1024, maxBodyBytes: 1024 });
    const request = 'GET /values HTTP/1.1\r\n\r\n';
    client.write(request);
    const res = await asked;
    const paused = new Promise<number>((r) => serverSide.once('pause', () => r(serverSide.bytesRead)));
    const junk = Buffer.alloc(1 << 20, 0x41); // no "\r\n\r\n" anywhere: never a head
    for (let i = 0; i < 8; i++) client.write(junk);
    // Read when paused: the request, the 2 KiB allowed behind it and at most one read (64 KiB) past that.
    expect(await paused).toBeLessThanOrEqual(request.length + 2048 + (64 << 10));
    res.respond(200, '{}');
    const text = await ended;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/HTTP\/1\.1 431 [\s\S]*exceed 1024 bytes/);
  });

  it('answers 408 to headers trickling in past the headers deadline, however often a byte arrives', async () => {
    const seen: PlainRequest[] = [];
    const { client, ended } = await start((req) => seen.push(req), { headersTimeoutMs: 100, maxHeadBytes: 1 << 20 });
    let open = true;
    client.on('close', () => (open = false));
    // A byte per write: the idle timer (60 s) restarts on each, the deadline does not.
    const trickle = () => {
      if (open) client.write('a', () => setImmediate(trickle));
    };
    client.write('GET /status HTTP/1.1\r\nX-A: ', trickle);
    const text = await ended;
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*did not arrive within 100 ms/);
    expect(seen).toHaveLength(0);
  });

  it('answers 408 to a body not whole by the request deadline', async () => {
    const seen: PlainRequest[] = [];
    const { client, ended } = await start((req) => seen.push(req), { headersTimeoutMs: 60_000, requestTimeoutMs: 100 });
    client.write('POST /propose HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc');
    const text = await ended;
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*body did not arrive within 100 ms/);
    expect(seen).toHaveLength(0);
  });
});
