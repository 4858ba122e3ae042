// Lines from a stream (stdin by default) into a topic. A stream cannot be
// rewound, so there is no stored position: the position is the line number,
// and a line is let go once the log acknowledged it. Reading pauses while
// maxBuffered lines wait (backpressure); the source ends with the stream.
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { Waiters, type SourceConnector, type SourceEntry, type SourcePoll } from '../connector';
import type { LineFormat } from './formats';

export interface LineStreamSourceOptions<K, V> {
  readonly input: Readable;
  readonly format: LineFormat<V>;
  readonly name?: string;
  readonly key?: (value: V) => K | null;
  /** Lines read ahead before the input is paused (default 1000). */
  readonly maxBuffered?: number;
}

/** 1-based line number. */
export type LineNumber = number;

export function lineStreamSource<K = string, V = unknown>(options: LineStreamSourceOptions<K, V>): SourceConnector<K, V, LineNumber> {
  const maxBuffered = options.maxBuffered ?? 1000;
  const queue: string[] = [];
  let lineNo = 0;
  let ended = false;
  let header: string[] | undefined;
  const pollers = new Waiters();
  let rl: readline.Interface | undefined;

  return {
    name: options.name ?? 'line-stream',
    async start() {
      rl = readline.createInterface({ input: options.input, crlfDelay: Infinity });
      rl.on('line', (line) => {
        queue.push(line);
        if (queue.length >= maxBuffered) rl!.pause();
        pollers.wakeAll();
      });
      rl.on('close', () => {
        ended = true;
        pollers.wakeAll();
      });
    },
    async poll(max, signal): Promise<SourcePoll<K, V, LineNumber>> {
      while (queue.length === 0 && !ended && !signal.aborted) {
        await pollers.wait(undefined, signal);
      }
      const entries: SourceEntry<K, V, LineNumber>[] = [];
      for (const line of queue.splice(0, max)) {
        lineNo++;
        if (options.format.hasHeader && header === undefined) {
          const h = options.format.parseHeader!(line);
          if (h._tag === 'Right') header = h.right;
          else entries.push({ kind: 'bad', reason: `header line does not parse: ${h.left}`, raw: Buffer.from(line), position: lineNo });
          continue;
        }
        const v = options.format.parse(line, header);
        entries.push(
          v._tag === 'Left'
            ? { kind: 'bad', reason: `line ${lineNo}: ${v.left}`, raw: Buffer.from(line), position: lineNo }
            : { kind: 'record', record: { key: options.key?.(v.right) ?? null, value: v.right }, position: lineNo },
        );
      }
      if (queue.length < maxBuffered) rl?.resume();
      return { kind: 'entries', entries, end: ended && queue.length === 0 };
    },
    async acknowledge() {
      // Nothing to store: a stream cannot be read again.
    },
    async stop() {
      rl?.close();
    },
  };
}

export function stdinSource<K = string, V = unknown>(format: LineFormat<V>, key?: (value: V) => K | null): SourceConnector<K, V, LineNumber> {
  return lineStreamSource({ input: process.stdin, format, key, name: 'stdin' });
}
