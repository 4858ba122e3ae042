// Where a file source has got to, kept durably beside the file: the byte
// offset after the last line the log acknowledged, and the file's inode (a
// different inode means the file was replaced, e.g. rotated: start over).
// Written to a temp file, fsynced, then renamed, so a crash leaves the old
// position or the new one, never a torn one.
import * as fs from 'node:fs';

export interface FilePosition {
  readonly offset: number;
  readonly inode: number;
}

export function loadPosition(file: string): FilePosition | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const p = JSON.parse(text) as Partial<FilePosition>;
    if (typeof p.offset === 'number' && p.offset >= 0 && typeof p.inode === 'number') return { offset: p.offset, inode: p.inode };
  } catch {
    // A position file that does not parse is treated as absent (and reported by the caller).
  }
  return undefined;
}

export async function storePosition(file: string, position: FilePosition): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.promises.open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(position));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
}
