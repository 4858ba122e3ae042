// Writes records as lines (JSON lines, CSV, plain text) to a file or to a
// stream such as stdout. A batch is acknowledged once its lines are written
// (and fsynced, for files, unless fsync is off). Tombstones have no line and
// are passed over; a value the format refuses is a bad record. A failing
// write (disk full, closed pipe) is retried by the runner, so lines may repeat
// after one (at-least-once).
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import { unavailable, written, type Rejection, type SinkConnector, type SinkWriteOutcome } from '../connector';
import type { LineFormat } from './formats';

export interface FileSinkOptions<V> {
  readonly path: string;
  readonly format: LineFormat<V>;
  readonly name?: string;
  /** fsync after each batch (default true). */
  readonly fsync?: boolean;
}

export interface StreamSinkOptions<V> {
  readonly stream: Writable;
  readonly format: LineFormat<V>;
  readonly name?: string;
}

/** The lines of a batch, and the records the format refused. */
function render<V>(format: LineFormat<V>, values: readonly (V | null)[], needsHeader: boolean): { text: string; rejected: Rejection[]; wroteHeader: boolean } {
  const rejected: Rejection[] = [];
  let text = '';
  let wroteHeader = false;
  values.forEach((value, index) => {
    if (value === null) return;
    const line = format.format(value);
    if (line._tag === 'Left') return void rejected.push({ index, reason: `${format.name}: ${line.left}` });
    if (needsHeader && !wroteHeader && format.headerFor) {
      text += format.headerFor(value) + '\n';
      wroteHeader = true;
    }
    text += line.right + '\n';
  });
  return { text, rejected, wroteHeader };
}

export function fileSink<V>(options: FileSinkOptions<V>): SinkConnector<unknown, V> {
  let handle: fs.promises.FileHandle | undefined;
  let needsHeader = false;
  return {
    name: options.name ?? `file-${options.path}`,
    async start() {
      handle = await fs.promises.open(options.path, 'a');
      needsHeader = options.format.hasHeader === true && (await handle.stat()).size === 0;
    },
    async write(batch): Promise<SinkWriteOutcome> {
      const { text, rejected, wroteHeader } = render(
        options.format,
        batch.map((r) => r.value),
        needsHeader,
      );
      try {
        handle ??= await fs.promises.open(options.path, 'a');
        if (text) await handle.appendFile(text);
        if (options.fsync !== false) await handle.sync();
      } catch (e) {
        await handle?.close().catch(() => undefined);
        handle = undefined;
        return unavailable(`file ${options.path}: ${(e as Error).message}`);
      }
      if (wroteHeader) needsHeader = false;
      return written(rejected);
    },
    async stop() {
      await handle?.close();
      handle = undefined;
    },
  };
}

/** Lines to a stream (process.stdout by default in stdoutSink); acknowledged once the stream took them. */
export function streamSink<V>(options: StreamSinkOptions<V>): SinkConnector<unknown, V> {
  let needsHeader = options.format.hasHeader === true;
  return {
    name: options.name ?? 'stream',
    async write(batch) {
      const { text, rejected, wroteHeader } = render(
        options.format,
        batch.map((r) => r.value),
        needsHeader,
      );
      if (text) {
        const error = await new Promise<Error | null | undefined>((resolve) => options.stream.write(text, resolve));
        if (error) return unavailable(`stream: ${error.message}`);
      }
      if (wroteHeader) needsHeader = false;
      return written(rejected);
    },
  };
}

export function stdoutSink<V>(format: LineFormat<V>): SinkConnector<unknown, V> {
  return streamSink({ stream: process.stdout, format, name: 'stdout' });
}
