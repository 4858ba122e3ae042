import type { ReplicatedStateMachine } from '../state-machine';

/**
 * The demo state machine of the raft server: an append-only list of values.
 * Values stay the Buffers the log hands over (no string per entry for the GC
 * to trace), and a snapshot is their length-prefixed concatenation: one
 * memcpy, not a JSON encoding of the whole list on the event loop.
 */
export class AppendList implements ReplicatedStateMachine<number> {
  private items: Buffer[] = [];
  private bytes = 0;

  get values(): string[] {
    return this.items.map((v) => v.toString('utf8'));
  }

  apply(command: Buffer): number {
    this.items.push(command);
    this.bytes += command.length;
    return this.items.length;
  }

  /** [u32 length][value] per value. */
  snapshot(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes + 4 * this.items.length);
    let pos = 0;
    for (const v of this.items) {
      pos = out.writeUInt32BE(v.length, pos);
      pos += v.copy(out, pos);
    }
    return out;
  }

  restore(snapshot: Buffer): void {
    const items: Buffer[] = [];
    let pos = 0;
    while (pos + 4 <= snapshot.length) {
      const len = snapshot.readUInt32BE(pos);
      if (pos + 4 + len > snapshot.length) throw new Error(`append-list snapshot is cut short at byte ${pos}`);
      items.push(Buffer.from(snapshot.subarray(pos + 4, pos + 4 + len)));
      pos += 4 + len;
    }
    if (pos !== snapshot.length) throw new Error(`append-list snapshot has ${snapshot.length - pos} stray bytes at its end`);
    this.items = items;
    this.bytes = items.reduce((n, v) => n + v.length, 0);
  }
}
