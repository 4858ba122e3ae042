// Kafka's ConsumerProtocol bytes, carried opaquely by the group coordinator:
// the Subscription each member sends in JoinGroup and the Assignment the leader
// hands out in SyncGroup. Non-flexible encoding (int16 version, INT32 arrays,
// INT16 strings, INT32 bytes), as kafkajs and librdkafka write them.
//
//   Subscription v1: version | topics [string] | userData bytes | ownedPartitions [topic, [int32]]
//   Assignment  v0+: version | assigned [topic, [int32]] | userData bytes
import { Either, left, right } from 'fp-ts/Either';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface Subscription {
  topics: string[];
  userData: Buffer | null;
  /** Partitions the member owns now (cooperative rebalancing, v1+). */
  ownedPartitions: TopicPartition[];
}

export interface Assignment {
  partitions: TopicPartition[];
  userData: Buffer | null;
}

class Writer {
  private readonly chunks: Buffer[] = [];
  int16(n: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(n);
    this.chunks.push(b);
    return this;
  }
  int32(n: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(n);
    this.chunks.push(b);
    return this;
  }
  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.chunks.push(b);
    return this;
  }
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    this.chunks.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError(`needs ${n} bytes at ${this.pos}, ${this.buf.length - this.pos} left`);
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string(): string {
    const n = this.int16();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    this.need(n);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
  /** An INT32-counted array; the count is bounded by the bytes left (each item takes at least `minItem`). */
  array<T>(minItem: number, item: () => T): T[] {
    const n = this.int32();
    if (n < 0) return [];
    if (n * minItem > this.buf.length - this.pos) throw new RangeError(`array of ${n} items cannot fit in ${this.buf.length - this.pos} bytes`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
}

function writeTopicPartitions(w: Writer, tps: readonly TopicPartition[]): void {
  const byTopic = groupByTopic(tps);
  w.int32(byTopic.size);
  for (const [topic, partitions] of byTopic) {
    w.string(topic).int32(partitions.length);
    for (const p of partitions) w.int32(p);
  }
}

function readTopicPartitions(r: Reader): TopicPartition[] {
  return r
    .array(6, () => {
      const topic = r.string();
      return r.array(4, () => r.int32()).map((partition) => ({ topic, partition }));
    })
    .flat();
}

export function groupByTopic(tps: readonly TopicPartition[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    let list = m.get(tp.topic);
    if (!list) m.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  for (const list of m.values()) list.sort((a, b) => a - b);
  return m;
}

export function encodeSubscription(s: Subscription): Buffer {
  const w = new Writer().int16(1).int32(s.topics.length);
  for (const t of s.topics) w.string(t);
  w.bytes(s.userData);
  writeTopicPartitions(w, s.ownedPartitions);
  return w.build();
}

export function decodeSubscription(buf: Buffer): Either<string, Subscription> {
  try {
    const r = new Reader(buf);
    const version = r.int16();
    const topics = r.array(2, () => r.string());
    const userData = r.done ? null : r.bytes();
    const ownedPartitions = version >= 1 && !r.done ? readTopicPartitions(r) : [];
    return right({ topics, userData, ownedPartitions });
  } catch (e) {
    return left(`malformed consumer subscription: ${(e as Error).message}`);
  }
}

export function encodeAssignment(a: Assignment): Buffer {
  const w = new Writer().int16(0);
  writeTopicPartitions(w, a.partitions);
  w.bytes(a.userData);
  return w.build();
}

export function decodeAssignment(buf: Buffer): Either<string, Assignment> {
  if (buf.length === 0) return right({ partitions: [], userData: null });
  try {
    const r = new Reader(buf);
    r.int16();
    const partitions = readTopicPartitions(r);
    const userData = r.done ? null : r.bytes();
    return right({ partitions, userData });
  } catch (e) {
    return left(`malformed consumer assignment: ${(e as Error).message}`);
  }
}
