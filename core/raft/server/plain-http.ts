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
// every client of this server sends a content-length.

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
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  411: 'Length Required',
  413: 'Payload Too Large',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  505: 'HTTP Version Not Supported',
};

const HEAD_END = Buffer.from('\r\n\r\n');
const ACTED_ON = ['content-length', 'transfer-encoding', 'connection'] as const;

/** `c` is `lower` (a lower-case letter or '-'), in either case. */
function sameLetter(c: number, lower: number): boolean {
  return c === lower || (lower >= 97 && lower <= 122 && c === lower - 32);
}

/** The header named in text[from, colon) if it is one the server acts on (any case, spaces around allowed). */
function headerName(text: string, from: number, colon: number): (typeof ACTED_ON)[number] | undefined {
  while (from < colon && text.charCodeAt(from) === 32) from++;
  while (colon > from && text.charCodeAt(colon - 1) === 32) colon--;
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
  /** Bytes received and not yet consumed. */
  private pending: Buffer | undefined;
  /** The head of the request being received or answered. */
  private head: Head | undefined;
  private headBytes = 0;
  /** A request was handed to the handler and has no answer yet: later bytes wait (pipelining). */
  private answering = false;
  private closing = false;
  /** parse() is on the stack: an answer given from inside the handler lets its loop go on. */
  private parsing = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: PlainHandler,
    private readonly limits: Required<PlainHttpOptions>,
  ) {
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
      this.parse();
    });
    socket.on('error', () => socket.destroy());
  }

  respond(status: number, json: string): void {
    if (!this.answering || this.socket.destroyed) return;
    this.answering = false;
    const keepAlive = this.head?.keepAlive === true && !this.closing;
    this.head = undefined;
    if (!keepAlive) this.closing = true;
    this.write(status, json, keepAlive);
    if (keepAlive && !this.parsing) this.parse();
  }

  /** Take every whole request received, one at a time. */
  private parse(): void {
    this.parsing = true;
    try {
      this.takeRequests();
    } finally {
      this.parsing = false;
    }
  }

  private takeRequests(): void {
    while (!this.answering && !this.closing && this.pending !== undefined) {
      const buf = this.pending;
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
      this.pending = buf.length === total ? undefined : buf.subarray(total);
      this.answering = true;
      this.handler({ method: this.head.method, url: this.head.url, body: buf.subarray(this.headBytes, total) }, this);
    }
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
    let bodyBytes = 0;
    let keepAlive = line[3] === '1';
    for (let at = lineEnd + 2; lineEnd >= 0 && at < text.length; ) {
      let end = text.indexOf('\r\n', at);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', at);
      if (colon <= at || colon >= end) {
        this.refuse(400, `a header line has no name: ${JSON.stringify(text.slice(at, Math.min(end, at + 80)))}`);
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
          bodyBytes = Number(value);
          if (bodyBytes > this.limits.maxBodyBytes) {
            this.refuse(413, `a body is at most ${this.limits.maxBodyBytes} bytes, this one is ${bodyBytes}`);
            return undefined;
          }
        } else if (name === 'transfer-encoding') {
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
    return { method: line[1], url: line[2], bodyBytes, keepAlive };
  }

  /** Answer bad input and close this connection (and only this one). */
  private refuse(status: number, error: string): void {
    this.closing = true;
    this.pending = undefined;
    this.write(status, JSON.stringify({ error }), false);
  }

  private write(status: number, json: string, keepAlive: boolean): void {
    const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n${keepAlive ? '' : 'connection: close\r\n'}\r\n`;
    if (keepAlive) this.socket.write(head + json);
    else this.socket.end(head + json);
  }
}
