// Binary codec of metadata records, one frame per record: type (int8), version
// (int8), then the fields. A Raft entry holds one batch: an unsigned varint count
// and that many records, applied atomically. Integers reuse core/log's varint
// codec (zigzag for values that may be -1); epochs that are int64 in Kafka are
// varlongs. Counts and lengths are bounded by the bytes left before anything is
// allocated, so a damaged entry is an error value, never a crash.
import * as E from 'fp-ts/Either';
import { varint } from '../../log';
import type { MetadataRecord, MetadataRecordType, TaskOwnership } from './records';

const VERSION = 0;

const TYPE_IDS: Record<MetadataRecordType, number> = {
  RegisterBroker: 1,
  FenceBroker: 2,
  UnfenceBroker: 3,
  UnregisterBroker: 4,
  Topic: 5,
  Partition: 6,
  PartitionChange: 7,
  RemoveTopic: 8,
  RegisterWorker: 9,
  UnregisterWorker: 10,
  TaskAssignment: 11,
  EpochCounters: 12,
  RegisterController: 13,
  UnregisterController: 14,
  TopicConfig: 15,
};
const TYPE_NAMES = new Map<number, MetadataRecordType>(
  Object.entries(TYPE_IDS).map(([name, id]) => [id, name as MetadataRecordType]),
);

// ---------------------------------------------------------------- writing

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
  }
  /** int32, zigzag. */
  int(v: number): void {
    this.ensure(5);
    this.pos = varint.writeVarint(this.buf, this.pos, v);
  }
  uint(v: number): void {
    this.ensure(5);
    this.pos = varint.writeUnsignedVarint(this.buf, this.pos, v);
  }
  /** int64, zigzag. */
  long(v: number): void {
    this.ensure(10);
    this.pos = varint.writeVarlong(this.buf, this.pos, v);
  }
  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.uint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  nullableString(s: string | null): void {
    this.bool(s !== null);
    if (s !== null) this.string(s);
  }
  ints(vs: readonly number[]): void {
    this.uint(vs.length);
    for (const v of vs) this.int(v);
  }
  strings(vs: readonly string[]): void {
    this.uint(vs.length);
    for (const v of vs) this.string(v);
  }
  /** A topic config: its keys in order, each with its value. */
  config(config: Readonly<Record<string, string>>): void {
    const keys = Object.keys(config).sort();
    this.uint(keys.length);
    for (const k of keys) {
      this.string(k);
      this.string(config[k]);
    }
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function writeRecord(w: Writer, r: MetadataRecord): void {
  w.int8(TYPE_IDS[r.type]);
  w.int8(VERSION);
  switch (r.type) {
    case 'RegisterBroker':
      w.int(r.brokerId);
      w.long(r.brokerEpoch);
      w.nullableString(r.rack);
      w.string(r.host);
      w.int(r.port);
      return;
    case 'FenceBroker':
    case 'UnfenceBroker':
    case 'UnregisterBroker':
      w.int(r.brokerId);
      w.long(r.brokerEpoch);
      return;
    case 'Topic':
      w.string(r.name);
      w.long(r.topicId);
      w.config(r.config);
      return;
    case 'TopicConfig':
      w.long(r.topicId);
      w.config(r.config);
      return;
    case 'Partition':
      w.long(r.topicId);
      w.int(r.partition);
      w.ints(r.replicas);
      w.ints(r.isr);
      w.int(r.leader);
      w.int(r.leaderEpoch);
      w.int(r.partitionEpoch);
      return;
    case 'PartitionChange':
      w.long(r.topicId);
      w.int(r.partition);
      w.int(r.partitionEpoch);
      w.bool(r.leader !== undefined);
      if (r.leader !== undefined) w.int(r.leader);
      w.bool(r.isr !== undefined);
      if (r.isr !== undefined) w.ints(r.isr);
      return;
    case 'RemoveTopic':
      w.long(r.topicId);
      return;
    case 'RegisterWorker':
      w.string(r.app);
      w.string(r.workerId);
      w.long(r.workerEpoch);
      w.strings(r.inputTopics);
      w.int(r.numStandbyReplicas);
      return;
    case 'UnregisterWorker':
      w.string(r.app);
      w.string(r.workerId);
      w.long(r.workerEpoch);
      return;
    case 'TaskAssignment':
      w.string(r.app);
      w.int(r.generation);
      w.uint(r.tasks.length);
      for (const t of r.tasks) {
        w.string(t.task);
        w.string(t.owner);
        w.int(t.taskEpoch);
        w.strings(t.standbys);
      }
      return;
    case 'EpochCounters':
      w.long(r.lastBrokerEpoch);
      w.long(r.lastTopicId);
      w.long(r.lastWorkerEpoch);
      return;
    case 'RegisterController':
      w.int(r.controllerId);
      w.string(r.host);
      w.int(r.port);
      return;
    case 'UnregisterController':
      w.int(r.controllerId);
      return;
  }
}

export function encodeRecord(r: MetadataRecord): Buffer {
  const w = new Writer();
  writeRecord(w, r);
  return w.done();
}

/** One Raft entry's payload: the records of one decision, applied atomically. */
export function encodeRecordBatch(records: readonly MetadataRecord[]): Buffer {
  const w = new Writer();
  w.uint(records.length);
  for (const r of records) writeRecord(w, r);
  return w.done();
}

// ---------------------------------------------------------------- reading

class DecodeError extends Error {}

class Reader {
  private readonly out: varint.VarintValue = { value: 0 };
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private fail(what: string): never {
    throw new DecodeError(`metadata record truncated or malformed at byte ${this.pos} (${what})`);
  }
  private varint(read: typeof varint.readVarint, what: string): number {
    const next = read(this.buf, this.pos, this.buf.length, this.out);
    if (next < 0) this.fail(what);
    this.pos = next;
    return this.out.value;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  int8(what: string): number {
    if (this.pos >= this.buf.length) this.fail(what);
    return this.buf.readInt8(this.pos++);
  }
  int(what: string): number {
    return this.varint(varint.readVarint, what);
  }
  uint(what: string): number {
    return this.varint(varint.readUnsignedVarint, what);
  }
  long(what: string): number {
    return this.varint(varint.readVarlong, what);
  }
  bool(what: string): boolean {
    const b = this.int8(what);
    if (b !== 0 && b !== 1) this.fail(what);
    return b === 1;
  }
  /** A count of items each at least one byte long: bounded by what is left. */
  count(what: string): number {
    const n = this.uint(what);
    if (n > this.remaining) this.fail(`${what}: count ${n} exceeds the ${this.remaining} bytes left`);
    return n;
  }
  string(what: string): string {
    const n = this.count(what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  nullableString(what: string): string | null {
    return this.bool(what) ? this.string(what) : null;
  }
  config(): Record<string, string> {
    const n = this.count('config');
    const config: Record<string, string> = {};
    for (let i = 0; i < n; i++) config[this.string('config key')] = this.string('config value');
    return config;
  }
  ints(what: string): number[] {
    const n = this.count(what);
    const vs: number[] = [];
    for (let i = 0; i < n; i++) vs.push(this.int(what));
    return vs;
  }
  strings(what: string): string[] {
    const n = this.count(what);
    const vs: string[] = [];
    for (let i = 0; i < n; i++) vs.push(this.string(what));
    return vs;
  }
}

function readRecord(r: Reader): MetadataRecord {
  const id = r.int8('type');
  const type = TYPE_NAMES.get(id);
  if (type === undefined) throw new DecodeError(`unknown metadata record type ${id} at byte ${r.pos - 1}`);
  const version = r.int8('version');
  if (version !== VERSION) throw new DecodeError(`${type} record version ${version} is not supported (this node reads version ${VERSION}); upgrade this node`);
  switch (type) {
    case 'RegisterBroker':
      return { type, brokerId: r.int('brokerId'), brokerEpoch: r.long('brokerEpoch'), rack: r.nullableString('rack'), host: r.string('host'), port: r.int('port') };
    case 'FenceBroker':
    case 'UnfenceBroker':
    case 'UnregisterBroker':
      return { type, brokerId: r.int('brokerId'), brokerEpoch: r.long('brokerEpoch') };
    case 'Topic': {
      const name = r.string('name');
      const topicId = r.long('topicId');
      return { type, name, topicId, config: r.config() };
    }
    case 'TopicConfig': {
      const topicId = r.long('topicId');
      return { type, topicId, config: r.config() };
    }
    case 'Partition':
      return {
        type,
        topicId: r.long('topicId'),
        partition: r.int('partition'),
        replicas: r.ints('replicas'),
        isr: r.ints('isr'),
        leader: r.int('leader'),
        leaderEpoch: r.int('leaderEpoch'),
        partitionEpoch: r.int('partitionEpoch'),
      };
    case 'PartitionChange': {
      const topicId = r.long('topicId');
      const partition = r.int('partition');
      const partitionEpoch = r.int('partitionEpoch');
      const leader = r.bool('has leader') ? r.int('leader') : undefined;
      const isr = r.bool('has isr') ? r.ints('isr') : undefined;
      return { type, topicId, partition, partitionEpoch, ...(leader !== undefined && { leader }), ...(isr !== undefined && { isr }) };
    }
    case 'RemoveTopic':
      return { type, topicId: r.long('topicId') };
    case 'RegisterWorker':
      return { type, app: r.string('app'), workerId: r.string('workerId'), workerEpoch: r.long('workerEpoch'), inputTopics: r.strings('inputTopics'), numStandbyReplicas: r.int('numStandbyReplicas') };
    case 'UnregisterWorker':
      return { type, app: r.string('app'), workerId: r.string('workerId'), workerEpoch: r.long('workerEpoch') };
    case 'TaskAssignment': {
      const app = r.string('app');
      const generation = r.int('generation');
      const n = r.count('tasks');
      const tasks: TaskOwnership[] = [];
      for (let i = 0; i < n; i++) {
        tasks.push({ task: r.string('task'), owner: r.string('owner'), taskEpoch: r.int('taskEpoch'), standbys: r.strings('standbys') });
      }
      return { type, app, generation, tasks };
    }
    case 'EpochCounters':
      return { type, lastBrokerEpoch: r.long('lastBrokerEpoch'), lastTopicId: r.long('lastTopicId'), lastWorkerEpoch: r.long('lastWorkerEpoch') };
    case 'RegisterController':
      return { type, controllerId: r.int('controllerId'), host: r.string('host'), port: r.int('port') };
    case 'UnregisterController':
      return { type, controllerId: r.int('controllerId') };
  }
}

function decodeWith<T>(buf: Buffer, body: (r: Reader) => T): E.Either<string, T> {
  const r = new Reader(buf);
  try {
    const value = body(r);
    if (r.remaining !== 0) return E.left(`${r.remaining} unexpected bytes after the metadata records`);
    return E.right(value);
  } catch (e) {
    if (e instanceof DecodeError) return E.left(e.message);
    throw e;
  }
}

export function decodeRecord(buf: Buffer): E.Either<string, MetadataRecord> {
  return decodeWith(buf, readRecord);
}

export function decodeRecordBatch(buf: Buffer): E.Either<string, MetadataRecord[]> {
  return decodeWith(buf, (r) => {
    const n = r.count('record count');
    const records: MetadataRecord[] = [];
    for (let i = 0; i < n; i++) records.push(readRecord(r));
    return records;
  });
}
