// A server-sent-events reader for tests: GET a URL with node's http client,
// split what arrives into events (data lines) and comments, and wait, bounded,
// for one that passes a check. Every line read wakes the waits.
import * as http from 'node:http';
import type { LiveEvent } from '../../console/model';

export interface EventStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The data of every event so far, parsed. */
  readonly events: LiveEvent[];
  /** Every comment line so far (without the colon). */
  readonly comments: string[];
  /** Resolves with the first event (from the start of the stream) that passes `check`; fails after `ms`. */
  event(check: (e: LiveEvent) => boolean, ms: number): Promise<LiveEvent>;
  /** Resolves once a comment passes `check`; fails after `ms`. */
  comment(check: (c: string) => boolean, ms: number): Promise<string>;
  /** Resolves with everything received once the server ended the answer (a refused stream's JSON error). */
  readonly ended: Promise<string>;
  close(): void;
}

export function openEventStream(url: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      const events: LiveEvent[] = [];
      const comments: string[] = [];
      const wakers = new Set<() => void>();
      let text = '';
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith('data: ')) events.push(JSON.parse(line.slice('data: '.length)) as LiveEvent);
            else if (line.startsWith(':')) comments.push(line.slice(1).trim());
          }
        }
        for (const wake of wakers) wake();
      });
      response.on('error', () => undefined);
      const ended = new Promise<string>((done) => response.once('close', () => done(text)));
      const waitFor = <T>(find: () => T | undefined, what: string, ms: number): Promise<T> =>
        new Promise((done, fail) => {
          const check = () => {
            const found = find();
            if (found === undefined) return false;
            clearTimeout(timer);
            wakers.delete(wake);
            done(found);
            return true;
          };
          const wake = () => void check();
          const timer = setTimeout(() => {
            wakers.delete(wake);
            fail(new Error(`no ${what} within ${ms} ms; events: ${JSON.stringify(events).slice(-2000)}`));
          }, ms);
          wakers.add(wake);
          check();
        });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        comments,
        event: (check, ms) => waitFor(() => events.find(check), 'such event', ms),
        comment: (check, ms) => waitFor(() => comments.find(check), 'such comment', ms),
        ended,
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}
