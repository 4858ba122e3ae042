import * as net from 'node:net';
import { createPlainHttpServer, type PlainRequest } from '../../../../core/raft/server/plain-http';

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

  it('reads header names in any case, with spaces around them', async () => {
    const { text } = await exchange(['POST /m HTTP/1.1\r\nCONTENT-length : 2\r\nX-Other: 1\r\n\r\nhi'], (t) => responses(t).length === 1);
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
