// A store's local snapshot: every entry plus the changelog offset it reflects
// (the checkpoint). On start, a snapshot is loaded and only the changelog
// after the checkpoint is replayed. Written at graceful shutdown, after the
// final commit; a crash afterwards leaves it stale but still correct, since
// the replay from its checkpoint covers everything newer.
//
// Layout: "RILLSNP1", checkpoint (int64 BE), then entries of
// [u32 key length][key][u32 value length][value].
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StateStore } from '../state/state-store';

const MAGIC = Buffer.from('RILLSNP1', 'latin1');

export function snapshotPath(stateDir: string, applicationId: string, partition: number, store: string): string {
  return path.join(stateDir, applicationId, String(partition), `${store}.snapshot`);
}

export function writeSnapshot(file: string, store: StateStore, checkpoint: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const parts: Buffer[] = [MAGIC];
  const head = Buffer.alloc(8);
  head.writeBigInt64BE(BigInt(checkpoint));
  parts.push(head);
  for (const [k, v] of store.snapshot()) {
    const lk = Buffer.allocUnsafe(4);
    lk.writeUInt32BE(k.length);
    const lv = Buffer.allocUnsafe(4);
    lv.writeUInt32BE(v.length);
    parts.push(lk, k, lv, v);
  }
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat(parts));
  fs.renameSync(tmp, file);
}

/** Loads a snapshot into the store; returns its checkpoint, or undefined when there is none or it is unreadable. */
export function loadSnapshot(file: string, store: StateStore): number | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length < 16 || !bytes.subarray(0, 8).equals(MAGIC)) return undefined;
  const checkpoint = Number(bytes.readBigInt64BE(8));
  let pos = 16;
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) return fail(store);
    const kl = bytes.readUInt32BE(pos);
    pos += 4;
    if (pos + kl + 4 > bytes.length) return fail(store);
    const k = bytes.subarray(pos, pos + kl);
    pos += kl;
    const vl = bytes.readUInt32BE(pos);
    pos += 4;
    if (pos + vl > bytes.length) return fail(store);
    const v = bytes.subarray(pos, pos + vl);
    pos += vl;
    if (store.restore(k, v)) return fail(store);
  }
  return checkpoint;
}

/** A torn or foreign snapshot is ignored: the store restores from the changelog's start instead. */
function fail(store: StateStore): undefined {
  store.clear();
  return undefined;
}
