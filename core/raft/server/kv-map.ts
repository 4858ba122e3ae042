import type { ReplicatedStateMachine } from '../state-machine';

/**
 * A key-value map, the raft server's other demo state machine
 * (`--state-machine kv`): what etcd's put does, so bench:raft compares like
 * with like (a bounded state, overwritten keys). A command is
 * [u16 key length][key][value]; a snapshot is every pair as
 * [u16 key length][key][u32 value length][value].
 */
export class KvMap implements ReplicatedStateMachine<number> {
  private readonly map = new Map<string, Buffer>();
  private bytes = 0;

  static command(key: string, value: Buffer): Buffer {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > 0xffff) throw new RangeError(`a key is at most 65535 bytes, this one is ${keyBytes}`);
    const out = Buffer.allocUnsafe(2 + keyBytes + value.length);
    out.writeUInt16BE(keyBytes, 0);
    out.write(key, 2, 'utf8');
    value.copy(out, 2 + keyBytes);
    return out;
  }

  get entries(): Record<string, string> {
    return Object.fromEntries([...this.map].map(([k, v]) => [k, v.toString('utf8')]));
  }

  /** Returns the log index the value was written at. A malformed command changes nothing. */
  apply(command: Buffer, index: number): number {
    if (command.length < 2 || 2 + command.readUInt16BE(0) > command.length) return index;
    const keyEnd = 2 + command.readUInt16BE(0);
    const key = command.toString('utf8', 2, keyEnd);
    const value = command.subarray(keyEnd);
    const old = this.map.get(key);
    this.bytes += old === undefined ? keyEnd - 2 + value.length : value.length - old.length;
    this.map.set(key, value);
    return index;
  }

  snapshot(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes + 6 * this.map.size);
    let pos = 0;
    for (const [k, v] of this.map) {
      const kLen = out.write(k, pos + 2, 'utf8');
      out.writeUInt16BE(kLen, pos);
      pos = out.writeUInt32BE(v.length, pos + 2 + kLen);
      pos += v.copy(out, pos);
    }
    return out;
  }

  restore(snapshot: Buffer): void {
    this.map.clear();
    this.bytes = 0;
    let pos = 0;
    while (pos < snapshot.length) {
      if (pos + 2 > snapshot.length) throw new Error(`kv snapshot is cut short at byte ${pos}`);
      const keyEnd = pos + 2 + snapshot.readUInt16BE(pos);
      if (keyEnd + 4 > snapshot.length) throw new Error(`kv snapshot is cut short at byte ${pos}`);
      const valueEnd = keyEnd + 4 + snapshot.readUInt32BE(keyEnd);
      if (valueEnd > snapshot.length) throw new Error(`kv snapshot is cut short at byte ${keyEnd}`);
      const key = snapshot.toString('utf8', pos + 2, keyEnd);
      const value = Buffer.from(snapshot.subarray(keyEnd + 4, valueEnd));
      this.map.set(key, value);
      this.bytes += keyEnd - pos - 2 + value.length;
      pos = valueEnd;
    }
  }
}
