// Kafka's checkpoint text format (version line, entry count, one entry per line),
// written atomically: temp file, fsync, rename, fsync of the directory. A reader
// sees the old file or the new one, never a mix.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const VERSION = 0;

export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'CheckpointError';
  }
}

export function writeCheckpoint(file: string, lines: readonly string[]): void {
  writeCheckpointText(file, checkpointText(lines));
}

/** writeCheckpoint with the text already built (checkpointText), for a caller that built it to compare. */
export function writeCheckpointText(file: string, text: string): void {
  const tmp = file + '.tmp';
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDirectory(path.dirname(file));
}

/** The file's text: version line, entry count, the entries. */
export function checkpointText(lines: readonly string[]): string {
  return `${VERSION}\n${lines.length}\n${lines.map((l) => l + '\n').join('')}`;
}

/**
 * The middle of writeCheckpoint on libuv's threads, off the event loop: `text`
 * written to the open `fd` and fsynced, then `fd` closed. The caller created
 * the temp file and renames it over the checkpoint (then fsyncs the directory
 * with fsyncDirectoryAsync) if it is still the newest.
 */
export async function writeAndSyncAsync(fd: number, text: string): Promise<void> {
  try {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += (await promisify(fs.write)(fd, bytes, at, bytes.length - at)).bytesWritten;
    await promisify(fs.fsync)(fd);
  } finally {
    await promisify(fs.close)(fd);
  }
}

/** fsyncPath on libuv's threads. */
export async function fsyncPathAsync(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The entry lines, or undefined when the file does not exist. Throws CheckpointError when malformed. */
export function readCheckpoint(file: string): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== String(VERSION)) throw new CheckpointError(file, `unsupported version line ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) {
    throw new CheckpointError(file, `expected ${lines[1]} entries, found ${lines.length - 2}`);
  }
  return lines.slice(2);
}

/** A checkpoint holding one offset (recovery point, log start offset). */
export function readOffsetCheckpoint(file: string): number | undefined {
  const lines = readCheckpoint(file);
  if (lines === undefined || lines.length === 0) return undefined;
  const offset = Number(lines[0]);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new CheckpointError(file, `bad offset ${JSON.stringify(lines[0])}`);
  return offset;
}

export function writeOffsetCheckpoint(file: string, offset: number): void {
  writeCheckpoint(file, [String(offset)]);
}

/**
 * A checkpoint whose new text is in its temp file, neither fsynced nor renamed
 * yet: a log's close stages all of its files, fsyncs them together (in
 * parallel, off the event loop, for a broker closing 10,000 logs), and only
 * then renames them into place.
 */
export interface StagedCheckpoint {
  readonly tmp: string;
  readonly file: string;
}

export function stageCheckpoint(file: string, lines: readonly string[]): StagedCheckpoint {
  const tmp = file + '.tmp';
  fs.writeFileSync(tmp, checkpointText(lines), { mode: 0o644 });
  return { tmp, file };
}

/** Renames staged checkpoints over their files, once their temp files are fsynced (the caller fsyncs the directory next). */
export function placeStaged(staged: readonly StagedCheckpoint[]): void {
  for (const c of staged) fs.renameSync(c.tmp, c.file);
}

/** fsyncs a file or directory by its path (fsync is per file, not per descriptor: what any descriptor wrote is synced). */
export function fsyncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export const fsyncDirectory = fsyncPath;
export const fsyncDirectoryAsync = fsyncPathAsync;
