import * as net from 'node:net';

// The raft server's HTTP/1.1, on a plain TCP server: what bench:raft's
// clients and the tests send (a request line, headers, a content-length body,
// keep-alive) and nothing more. Node's http module costs the raft leader
// about 6 KB of garbage and several stream objects, timers and ticks per
// request (most of what a put allocated, in an allocation profile of
// bench:raft at 64 clients), and its GC pauses land on every request in
// flight. Here a request is parsed from the bytes received and answered with
// one write of one Buffer.
//
// Bad input is answered with a clear status and the connection closed; other
// connections are not affected. Chunked request bodies are refused (411):
// every client of this server sends a content-length. Memory and time per
// connection are bounded: a head and a body have size limits, bytes pipelined
// behind a request being answered stop being read beyond those limits, and a
// request received in pieces has a deadline for its head and one for the
// whole request (408).

export interface PlainRequest {
  readonly method: string;
  /** The request target as sent (path and query). */
  readonly url: string;
  /** A view of the bytes received: copy what you keep beyond the answer. */
  readonly body: Buffer;
}

/** Where a request's one answer goes. */
export interface Responder {
  /** Answer with a JSON text; later calls are ignored. */
  respond(status: number, json: string): void;
}

export type PlainHandler = (req: PlainRequest, res: Responder) => void;

export interface PlainHttpOptions {
  /** A larger body is answered 413. */
  readonly maxBodyBytes?: number;
  /** A larger request line and headers are answered 431. */
  readonly maxHeadBytes?: number;
  /** A connection idle this long is closed. */
  readonly idleTimeoutMs?: number;
  /** A request line and headers not whole this long after their first byte are answered 408 (slowloris). */
  readonly headersTimeoutMs?: number;
  /** A request not whole (head and body) this long after its first byte is answered 408. */
  readonly requestTimeoutMs?: number;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  411: 'Length Required',
  413: 'Payload Too Large',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  505: 'HTTP Version Not Supported',
};

const HEAD_END = Buffer.from('\r\n\r\n');
const LF = 10;
const ACTED_ON = ['content-length', 'transfer-encoding', 'connection'] as const;

/** `c` is `lower` (a lower-case letter or '-'), in either case. */
function sameLetter(c: number, lower: number): boolean {
  return c === lower || (lower >= 97 && lower <= 122 && c === lower - 32);
}

/** SP or HTAB. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** The header named text[from, colon) if it is one the server acts on (in any case). */
function headerName(text: string, from: number, colon: number): (typeof ACTED_ON)[number] | undefined {
  for (const name of ACTED_ON) {
    if (colon - from !== name.length) continue;
    let k = 0;
    while (k < name.length && sameLetter(text.charCodeAt(from + k), name.charCodeAt(k))) k++;
    if (k === name.length) return name;
  }
  return undefined;
}
const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/;

export function createPlainHttpServer(handler: PlainHandler, options: PlainHttpOptions = {}): net.Server {
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
    maxHeadBytes: options.maxHeadBytes ?? 16 << 10,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
  };
  return net.createServer({ noDelay: true }, (socket) => new Connection(socket, handler, limits));
}

/** What the head of a request said that the connection acts on. */
interface Head {
  readonly method: string;
  readonly url: string;
  readonly bodyBytes: number;
  readonly keepAlive: boolean;
}

class Connection implements Responder {
  /**
   * Bytes received and not yet consumed, in arrival order. They are joined
   * into one Buffer only when a request may be whole, so a body arriving in
   * many chunks is copied once, not once per chunk.
   */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The head of the request being received or answered. */
  private head: Head | undefined;
  private headBytes = 0;
  /** A request was handed to the handler and has no answer yet: later bytes wait (pipelining). */
  private answering = false;
  private closing = false;
  /** parse() is on the stack: an answer given from inside the handler lets its loop go on. */
  private parsing = false;
  /**
   * The deadline of a request that arrives in pieces (armed only then: a
   * request received whole in one read costs no timer). The idle timer
   * restarts on every byte, so without it a client sending a byte at a time
   * would hold the connection forever.
   */
  private deadline: NodeJS.Timeout | undefined;
  private requestStartedAt = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: PlainHandler,
    private readonly limits: Required<PlainHttpOptions>,
  ) {
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.clearDeadline());
  }

  respond(status: number, json: string): void {
    if (!this.answering || this.socket.destroyed) return;
    this.answering = false;
    const keepAlive = this.head?.keepAlive === true && !this.closing;
    this.head = undefined;
    if (!keepAlive) this.closing = true;
    this.write(status, json, keepAlive);
    if (!this.parsing) this.parse();
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return; // the answer that closes was sent: what follows is not read
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (!this.answering && this.mayBeWhole(chunk)) this.parse();
    else this.settle();
  }

  /** Whether the bytes buffered may hold a whole request (or break the head limit): else parsing waits. */
  private mayBeWhole(last: Buffer): boolean {
    if (this.head !== undefined) return this.buffered >= this.headBytes + this.head.bodyBytes;
    // A head ends with "\r\n\r\n": the read that completes it holds its last "\n".
    return this.buffered > this.limits.maxHeadBytes || last.includes(LF);
  }

  /** Take every whole request received, one at a time. */
  private parse(): void {
    this.parsing = true;
    try {
      this.takeRequests();
    } finally {
      this.parsing = false;
    }
    this.settle();
  }

  /**
   * After the bytes received were looked at: while a request is answered,
   * bytes pipelined behind it are bounded (the socket is paused beyond one
   * request's limits, and resumed once answered); a request partly received
   * has its deadline.
   */
  private settle(): void {
    if (this.closing) {
      this.clearDeadline();
      // Read (and drop) what still comes, so the peer's end is seen and the socket closes.
      if (this.socket.isPaused()) this.socket.resume();
      return;
    }
    if (this.answering) {
      this.clearDeadline();
      if (this.buffered > this.limits.maxHeadBytes + this.limits.maxBodyBytes && !this.socket.isPaused()) this.socket.pause();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buffered === 0) this.clearDeadline();
    else if (this.deadline === undefined) {
      this.requestStartedAt = performance.now();
      this.deadline = setTimeout(() => this.expire(), Math.min(this.limits.headersTimeoutMs, this.limits.requestTimeoutMs));
    }
  }

  /** The deadline of the request partly received: answer 408, or wait for the body's deadline. */
  private expire(): void {
    this.deadline = undefined;
    if (this.answering || this.closing || this.buffered === 0) return;
    const headless = this.head === undefined;
    const limit = headless ? Math.min(this.limits.headersTimeoutMs, this.limits.requestTimeoutMs) : this.limits.requestTimeoutMs;
    const left = limit - (performance.now() - this.requestStartedAt);
    if (left > 0) {
      this.deadline = setTimeout(() => this.expire(), left);
      return;
    }
    this.refuse(408, headless ? `the request line and headers did not arrive within ${limit} ms` : `the request body did not arrive within ${limit} ms`);
  }

  private clearDeadline(): void {
    if (this.deadline === undefined) return;
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private takeRequests(): void {
    while (!this.answering && !this.closing && this.buffered > 0) {
      const buf = this.joined();
      if (this.head === undefined) {
        const end = buf.indexOf(HEAD_END);
        if (end < 0) {
          if (buf.length > this.limits.maxHeadBytes) this.refuse(431, `the request line and headers exceed ${this.limits.maxHeadBytes} bytes`);
          return;
        }
        if (end > this.limits.maxHeadBytes) return this.refuse(431, `the request line and headers exceed ${this.limits.maxHeadBytes} bytes`);
        const head = this.parseHead(buf.toString('latin1', 0, end));
        if (head === undefined) return;
        this.head = head;
        this.headBytes = end + HEAD_END.length;
      }
      const total = this.headBytes + this.head.bodyBytes;
      if (buf.length < total) return;
      this.chunks = buf.length === total ? [] : [buf.subarray(total)];
      this.buffered -= total;
      this.clearDeadline();
      this.answering = true;
      this.handler({ method: this.head.method, url: this.head.url, body: buf.subarray(this.headBytes, total) }, this);
    }
  }

  /** The bytes buffered as one Buffer (joined once, then kept joined). */
  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }

  /**
   * The request line and headers; undefined when refused (the connection is
   * closing). Only the three headers acted on are turned into strings.
   */
  private parseHead(text: string): Head | undefined {
    const lineEnd = text.indexOf('\r\n');
    const requestLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
    const line = REQUEST_LINE.exec(requestLine);
    if (line === null) {
      this.refuse(/^[A-Z]+ \S+ HTTP\/\d/.test(requestLine) ? 505 : 400, 'a request line is METHOD TARGET HTTP/1.1');
      return undefined;
    }
    let contentLength: string | undefined;
    let keepAlive = line[3] === '1';
    for (let at = lineEnd + 2; lineEnd >= 0 && at < text.length; ) {
      let end = text.indexOf('\r\n', at);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', at);
      if (colon <= at || colon >= end) {
        this.refuse(400, `a header line has no name: ${JSON.stringify(text.slice(at, Math.min(end, at + 80)))}`);
        return undefined;
      }
      // RFC 9112 5.1 and 5.2: no whitespace before the colon, no line folded onto the one before.
      if (isBlank(text.charCodeAt(at)) || isBlank(text.charCodeAt(colon - 1))) {
        this.refuse(400, `a header name has whitespace around it: ${JSON.stringify(text.slice(at, colon + 1))}`);
        return undefined;
      }
      const name = headerName(text, at, colon);
      if (name !== undefined) {
        const value = text.slice(colon + 1, end).trim();
        if (name === 'content-length') {
          if (!/^\d{1,15}$/.test(value)) {
            this.refuse(400, `content-length ${JSON.stringify(value)} is not a number of bytes`);
            return undefined;
          }
          // RFC 9112 6.3: lengths that differ leave the body's end unknown.
          if (contentLength !== undefined && contentLength !== value) {
            this.refuse(400, `two different content-length values: ${contentLength} and ${value}`);
            return undefined;
          }
          contentLength = value;
          if (Number(value) > this.limits.maxBodyBytes) {
            this.refuse(413, `a body is at most ${this.limits.maxBodyBytes} bytes, this one is ${value}`);
            return undefined;
          }
        } else if (name === 'transfer-encoding') {
          // Refused with or without a content-length (which RFC 9112 6.3 forbids beside it).
          this.refuse(411, 'send the body with a content-length (transfer-encoding is not supported)');
          return undefined;
        } else {
          const v = value.toLowerCase();
          if (v === 'close') keepAlive = false;
          else if (v === 'keep-alive') keepAlive = true;
        }
      }
      at = end + 2;
    }
    return { method: line[1], url: line[2], bodyBytes: contentLength === undefined ? 0 : Number(contentLength), keepAlive };
  }

  /** Answer bad input and close this connection (and only this one). */
  private refuse(status: number, error: string): void {
    this.closing = true;
    this.chunks = [];
    this.buffered = 0;
    this.clearDeadline();
    this.write(status, JSON.stringify({ error }), false);
  }

  private write(status: number, json: string, keepAlive: boolean): void {
    const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n${keepAlive ? '' : 'connection: close\r\n'}\r\n`;
    if (keepAlive) this.socket.write(head + json);
    else this.socket.end(head + json);
  }
}
