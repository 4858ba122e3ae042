// Reads a file of lines (JSON lines, CSV, plain text) into a topic, and can
// follow it as it grows (like `tail -F`). Its position — the byte offset after
// the last line the log acknowledged — is stored durably beside the file, so a
// restart goes on from there: lines are not lost, and repeated only if the
// process died between the append and the position write (at-least-once).
// A file that shrinks (truncated) or is replaced (new inode) is read from the start.
import * as fs from 'node:fs';
import type { Logger } from '../../dsl';
import type { SourceConnector, SourceEntry, SourcePoll } from '../connector';
import type { LineFormat } from './formats';
import { loadPosition, storePosition } from './position-store';

export interface FileSourceOptions<K, V> {
  readonly path: string;
  readonly format: LineFormat<V>;
  readonly name?: string;
  /** Keep reading as the file grows (default false: end at the end of the file). */
  readonly follow?: boolean;
  /** Where the position is kept (default `<path>.rill-position`). */
  readonly positionFile?: string;
  /** The record key of a value (default: no key). */
  readonly key?: (value: V) => K | null;
  /** While following: how often to look for growth when no change event came (default 250 ms). */
  readonly pollIntervalMs?: number;
  readonly logger?: Logger;
}

/** A byte offset in the file: the position after a line. */
export type FileOffset = number;

const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;

export function fileSource<K = string, V = unknown>(options: FileSourceOptions<K, V>): SourceConnector<K, V, FileOffset> {
  const positionFile = options.positionFile ?? `${options.path}.rill-position`;
  const format = options.format;
  let handle: fs.promises.FileHandle | undefined;
  let inode = -1;
  /** Next byte to read (ahead of the acknowledged position while a batch is in flight). */
  let readOffset = 0;
  /** Bytes read after the last newline. */
  let partial = Buffer.alloc(0);
  let header: string[] | undefined;

  async function open(): Promise<boolean> {
    try {
      handle = await fs.promises.open(options.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && options.follow) return false;
      throw e;
    }
    inode = (await handle.stat()).ino;
    const stored = loadPosition(positionFile);
    const size = (await handle.stat()).size;
    readOffset = stored && stored.inode === inode && stored.offset <= size ? stored.offset : 0;
    if (stored && readOffset === 0 && stored.offset > 0)
      options.logger?.warn(`file source ${options.path}: the file was replaced or truncated since position ${stored.offset}; reading from the start`);
    partial = Buffer.alloc(0);
    header = undefined;
    if (format.hasHeader && readOffset > 0) await readHeaderAgain();
    return true;
  }

  /** After a restart mid-file: the header is the first line. */
  async function readHeaderAgain(): Promise<void> {
    const buf = Buffer.alloc(CHUNK);
    const { bytesRead } = await handle!.read(buf, 0, CHUNK, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(NEWLINE);
    if (nl < 0) return;
    const parsed = format.parseHeader!(lineText(buf.subarray(0, nl)));
    if (parsed._tag === 'Right') header = parsed.right;
  }

  /** Reads what is there; returns the complete lines with the offset after each. */
  async function readLines(max: number): Promise<{ line: Buffer; end: FileOffset }[]> {
    const lines: { line: Buffer; end: FileOffset }[] = [];
    const buf = Buffer.alloc(CHUNK);
    while (lines.length < max) {
      const { bytesRead } = await handle!.read(buf, 0, CHUNK, readOffset + partial.length);
      if (bytesRead === 0) break;
      let data = Buffer.concat([partial, buf.subarray(0, bytesRead)]);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0 && lines.length < max; nl = data.indexOf(NEWLINE, start)) {
        lines.push({ line: data.subarray(start, nl), end: readOffset + nl + 1 });
        start = nl + 1;
      }
      readOffset += start;
      data = data.subarray(start);
      partial = Buffer.from(data);
      if (lines.length >= max) {
        // Lines past `max` stay unread: forget them, they are read again next poll.
        partial = Buffer.alloc(0);
        break;
      }
    }
    return lines;
  }

  function toEntry(line: Buffer, end: FileOffset): SourceEntry<K, V, FileOffset> | undefined {
    const text = lineText(line);
    const begin = end - line.length - 1;
    if (format.hasHeader && begin <= 0 && header === undefined) {
      const h = format.parseHeader!(text);
      if (h._tag === 'Right') {
        header = h.right;
        return undefined;
      }
      return { kind: 'bad', reason: `${options.path}: header line does not parse: ${h.left}`, raw: line, position: end };
    }
    const v = format.parse(text, header);
    if (v._tag === 'Left') return { kind: 'bad', reason: `${options.path}, line ending at byte ${end}: ${v.left}`, raw: line, position: end };
    return { kind: 'record', record: { key: options.key?.(v.right) ?? null, value: v.right }, position: end };
  }

  /** Resolves when the file may have changed, after pollIntervalMs at most, or on abort. */
  function waitForGrowth(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let watcher: fs.FSWatcher | undefined;
      const done = () => {
        clearTimeout(timer);
        watcher?.close();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, options.pollIntervalMs ?? 250);
      signal.addEventListener('abort', done, { once: true });
      try {
        watcher = fs.watch(options.path, done);
        watcher.on('error', done);
      } catch {
        // No watch (the file is not there yet, or the platform says no): the timer does it.
      }
    });
  }

  /** A truncated or replaced file: start over from its beginning. */
  async function checkRotation(): Promise<void> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(options.path);
    } catch {
      return;
    }
    const current = await handle!.stat();
    if (st.ino !== inode || current.size < readOffset) {
      options.logger?.warn(`file source ${options.path}: the file was ${st.ino !== inode ? 'replaced' : 'truncated'}; reading from the start`);
      await handle!.close();
      handle = undefined;
    }
  }

  return {
    name: options.name ?? `file-${options.path}`,
    async poll(max, signal): Promise<SourcePoll<K, V, FileOffset>> {
      for (;;) {
        if (!handle && !(await open())) {
          await waitForGrowth(signal);
          if (signal.aborted) return { kind: 'entries', entries: [] };
          continue;
        }
        const lines = await readLines(max);
        const entries = lines.map((l) => toEntry(l.line, l.end)).filter((e): e is SourceEntry<K, V, FileOffset> => e !== undefined);
        if (lines.length > 0 && (entries.length > 0 || !options.follow)) return { kind: 'entries', entries };
        if (lines.length > 0) continue; // only the header
        if (!options.follow) {
          // The last line may lack its newline.
          if (partial.length > 0) {
            const end = readOffset + partial.length;
            const last = toEntry(partial, end + 1);
            readOffset = end;
            partial = Buffer.alloc(0);
            return { kind: 'entries', entries: last ? [{ ...last, position: end }] : [], end: true };
          }
          return { kind: 'entries', entries: [], end: true };
        }
        await checkRotation();
        if (!handle) continue;
        await waitForGrowth(signal);
        if (signal.aborted) return { kind: 'entries', entries: [] };
      }
    },
    async acknowledge(entries) {
      const last = entries[entries.length - 1];
      if (last) await storePosition(positionFile, { offset: last.position, inode });
    },
    async stop() {
      await handle?.close();
      handle = undefined;
    },
  };
}

function lineText(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  return line.toString('utf8', 0, end);
}
