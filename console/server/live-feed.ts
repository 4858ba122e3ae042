// Live pages by server-sent events: GET /api/live?path=/api/topics[&path=...]
// opens one stream per open page (text/event-stream) carrying the answers of
// the API paths the page draws. Each path is polled by the server once per
// refresh interval however many pages show it (its feed starts with its first
// subscriber and stops with its last), and an answer is sent only when it
// changed; a comment line every heartbeat keeps proxies from closing a quiet
// stream. The number of streams is bounded (503 beyond it), as is what a slow
// reader may leave unread (its stream is closed; EventSource opens it again).
import type * as http from 'node:http';

/** An API answer: the HTTP status and the JSON body, as the console answers GET path. */
export type PathAnswer = (path: URL) => Promise<{ readonly status: number; readonly body: string }>;

export interface LiveFeedOptions {
  readonly answer: PathAnswer;
  readonly refreshMs: number;
  /** How often a comment keeps a quiet stream open (default 15 s). */
  readonly heartbeatMs?: number;
  /** Streams open at once, at most (default 64). */
  readonly maxStreams?: number;
}

/** Paths one stream may carry, at most. */
const MAX_PATHS = 4;
/** Bytes a stream's reader may leave unread before the stream is closed. */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

/** One client's stream. */
interface Stream {
  readonly response: http.ServerResponse;
  readonly paths: readonly string[];
  readonly heartbeat: NodeJS.Timeout;
}

/** One path's polling, shared by the streams that carry it. */
interface Feed {
  readonly url: URL;
  readonly streams: Set<Stream>;
  timer?: NodeJS.Timeout;
  /** The last event sent (its data line), sent at once to a stream that joins. */
  last?: string;
}

export class LiveFeeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly streams = new Set<Stream>();
  private closed = false;

  constructor(private readonly o: LiveFeedOptions) {}

  /** Streams open now. */
  get open(): number {
    return this.streams.size;
  }

  /** Paths being polled now (each once, whatever the number of its streams). */
  get polled(): number {
    return this.feeds.size;
  }

  /** Serves GET /api/live: a 400 or 503 JSON answer, or a stream that lasts until the client goes. */
  serve(request: http.IncomingMessage, response: http.ServerResponse, url: URL, headers: Record<string, string>): void {
    const paths = [...new Set(url.searchParams.getAll('path'))];
    const bad = paths.length === 0 || paths.length > MAX_PATHS ? `give 1 to ${MAX_PATHS} ?path=/api/... to follow` : paths.map(pathError).find((e) => e);
    if (bad !== undefined) return refuse(response, 400, bad, headers);
    if (this.closed || this.streams.size >= (this.o.maxStreams ?? 64))
      return refuse(response, 503, 'too many live streams are open; the page polls instead', { ...headers, 'retry-after': '5' });
    response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // EventSource reconnects after this long when the stream breaks.
    response.write(`retry: ${this.o.refreshMs}\n\n`);
    const heartbeat = setInterval(() => this.send(stream, ': heartbeat\n\n'), this.o.heartbeatMs ?? 15_000);
    heartbeat.unref();
    const stream: Stream = { response, paths, heartbeat };
    this.streams.add(stream);
    request.once('close', () => this.detach(stream));
    response.once('close', () => this.detach(stream));
    for (const path of paths) {
      let feed = this.feeds.get(path);
      if (feed === undefined) {
        feed = { url: new URL(path, 'http://console'), streams: new Set() };
        this.feeds.set(path, feed);
        this.poll(path, feed);
      } else if (feed.last !== undefined) this.send(stream, feed.last);
      feed.streams.add(stream);
    }
  }

  /** Ends every stream and stops polling. */
  close(): void {
    this.closed = true;
    for (const stream of [...this.streams]) {
      this.detach(stream);
      stream.response.end();
    }
  }

  private poll(path: string, feed: Feed): void {
    void this.o
      .answer(feed.url)
      .catch((e: Error) => ({ status: 500, body: JSON.stringify({ error: e.message }) }))
      .then(({ status, body }) => {
        if (this.feeds.get(path) !== feed) return;
        // A LiveEvent. The body is JSON text already: spliced in, not parsed and written again. JSON holds no raw line break.
        const event = status === 200 ? `{"path":${JSON.stringify(path)},"body":${body}}` : `{"path":${JSON.stringify(path)},"error":${body}}`;
        const data = `data: ${event}\n\n`;
        if (data !== feed.last) {
          feed.last = data;
          for (const stream of feed.streams) this.send(stream, data);
        }
        feed.timer = setTimeout(() => this.poll(path, feed), this.o.refreshMs);
        feed.timer.unref();
      });
  }

  private send(stream: Stream, text: string): void {
    if (stream.response.writableLength > MAX_UNREAD_BYTES) {
      // The reader does not keep up: it is dropped rather than buffered for without bound.
      this.detach(stream);
      stream.response.destroy();
      return;
    }
    stream.response.write(text);
  }

  private detach(stream: Stream): void {
    if (!this.streams.delete(stream)) return;
    clearInterval(stream.heartbeat);
    for (const path of stream.paths) {
      const feed = this.feeds.get(path);
      if (feed === undefined) continue;
      feed.streams.delete(stream);
      if (feed.streams.size > 0) continue;
      clearTimeout(feed.timer);
      this.feeds.delete(path);
    }
  }
}

/** Why a path cannot be followed: only the console's own JSON API, and not the stream itself. */
function pathError(path: string): string | undefined {
  if (!path.startsWith('/api/') || path.startsWith('/api/live')) return `"${path}" is not a path of the console's API (/api/...)`;
  return undefined;
}

function refuse(response: http.ServerResponse, status: number, error: string, headers: Record<string, string>): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify({ error }));
}
