// Binary codec of metadata records, one frame per record: type (int8), version
// (int8), then the fields. A Raft entry holds one batch: an unsigned varint count
// and that many records, applied atomically. Written and read with core/wire's
// Reader/Writer: integers are varints (zigzag for values that may be -1), epochs
// that are int64 in Kafka are varlongs, and strings are an unsigned varint
// length and UTF-8 (not Kafka's compact form, which adds 1: these bytes are in
// every cluster's Raft log already). Counts and lengths are bounded by the bytes left before anything is
// allocated, so a damaged entry is an error value, never a crash.
import * as E from 'fp-ts/Either';
import { DecodeError, Reader, Writer } from '../../wire';
import type { BrokerListener, MetadataRecord, MetadataRecordType, TaskOwnership } from './records';

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
  AccessControlEntry: 16,
  RemoveAccessControlEntry: 17,
  UserScramCredential: 18,
  RemoveUserScramCredential: 19,
};
const TYPE_NAMES = new Map<number, MetadataRecordType>(Object.entries(TYPE_IDS).map(([name, id]) => [id, name as MetadataRecordType]));

// ---------------------------------------------------------------- writing

/** What records write besides core/wire's primitives. */
const write = {
  string(w: Writer, s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    w.unsignedVarint(bytes.length).raw(bytes);
  },
  nullableString(w: Writer, s: string | null): void {
    w.bool(s !== null);
    if (s !== null) write.string(w, s);
  },
  ints(w: Writer, vs: readonly number[]): void {
    w.unsignedVarint(vs.length);
    for (const v of vs) w.varint(v);
  },
  strings(w: Writer, vs: readonly string[]): void {
    w.unsignedVarint(vs.length);
    for (const v of vs) write.string(w, v);
  },
  bytes(w: Writer, b: Buffer): void {
    w.unsignedVarint(b.length).raw(b);
  },
  /** A topic config: its keys in order, each with its value. */
  config(w: Writer, config: Readonly<Record<string, string>>): void {
    const keys = Object.keys(config).sort();
    w.unsignedVarint(keys.length);
    for (const k of keys) {
      write.string(w, k);
      write.string(w, config[k]);
    }
  },
};

/** RegisterBroker version 1 adds the named listeners; a registration without them is still written as version 0. */
const REGISTER_BROKER_WITH_LISTENERS = 1;

function writeRecord(w: Writer, r: MetadataRecord): void {
  const withListeners = r.type === 'RegisterBroker' && (r.listeners?.length ?? 0) > 0;
  w.int8(TYPE_IDS[r.type]).int8(withListeners ? REGISTER_BROKER_WITH_LISTENERS : VERSION);
  switch (r.type) {
    case 'RegisterBroker':
      w.varint(r.brokerId);
      w.varlong(r.brokerEpoch);
      write.nullableString(w, r.rack);
      write.string(w, r.host);
      w.varint(r.port);
      if (!withListeners) return;
      w.unsignedVarint(r.listeners!.length);
      for (const l of r.listeners!) {
        write.string(w, l.name);
        write.string(w, l.host);
        w.varint(l.port);
      }
      return;
    case 'FenceBroker':
    case 'UnfenceBroker':
    case 'UnregisterBroker':
      w.varint(r.brokerId);
      w.varlong(r.brokerEpoch);
      return;
    case 'Topic':
      write.string(w, r.name);
      w.varlong(r.topicId);
      write.config(w, r.config);
      return;
    case 'TopicConfig':
      w.varlong(r.topicId);
      write.config(w, r.config);
      return;
    case 'Partition':
      w.varlong(r.topicId);
      w.varint(r.partition);
      write.ints(w, r.replicas);
      write.ints(w, r.isr);
      w.varint(r.leader);
      w.varint(r.leaderEpoch);
      w.varint(r.partitionEpoch);
      return;
    case 'PartitionChange':
      w.varlong(r.topicId);
      w.varint(r.partition);
      w.varint(r.partitionEpoch);
      w.bool(r.leader !== undefined);
      if (r.leader !== undefined) w.varint(r.leader);
      w.bool(r.isr !== undefined);
      if (r.isr !== undefined) write.ints(w, r.isr);
      return;
    case 'RemoveTopic':
      w.varlong(r.topicId);
      return;
    case 'UserScramCredential':
      write.string(w, r.name);
      w.int8(r.mechanism);
      write.bytes(w, r.salt);
      write.bytes(w, r.storedKey);
      write.bytes(w, r.serverKey);
      w.varint(r.iterations);
      return;
    case 'RemoveUserScramCredential':
      write.string(w, r.name);
      w.int8(r.mechanism);
      return;
    case 'RegisterWorker':
      write.string(w, r.app);
      write.string(w, r.workerId);
      w.varlong(r.workerEpoch);
      write.strings(w, r.inputTopics);
      w.varint(r.numStandbyReplicas);
      return;
    case 'UnregisterWorker':
      write.string(w, r.app);
      write.string(w, r.workerId);
      w.varlong(r.workerEpoch);
      return;
    case 'TaskAssignment':
      write.string(w, r.app);
      w.varint(r.generation);
      w.unsignedVarint(r.tasks.length);
      for (const t of r.tasks) {
        write.string(w, t.task);
        write.string(w, t.owner);
        w.varint(t.taskEpoch);
        write.strings(w, t.standbys);
      }
      return;
    case 'EpochCounters':
      w.varlong(r.lastBrokerEpoch);
      w.varlong(r.lastTopicId);
      w.varlong(r.lastWorkerEpoch);
      return;
    case 'RegisterController':
      w.varint(r.controllerId);
      write.string(w, r.host);
      w.varint(r.port);
      return;
    case 'UnregisterController':
      w.varint(r.controllerId);
      return;
    case 'AccessControlEntry':
    case 'RemoveAccessControlEntry':
      w.int8(r.resourceType);
      write.string(w, r.resourceName);
      w.int8(r.patternType);
      write.string(w, r.principal);
      write.string(w, r.host);
      w.int8(r.operation);
      w.int8(r.permission);
      return;
  }
}

export function encodeRecord(r: MetadataRecord): Buffer {
  const w = new Writer();
  writeRecord(w, r);
  return w.toBuffer();
}

/**
 * One Raft entry's payload: the records of one decision, applied atomically.
 * (Not a Kafka RecordBatch: that is core/log's encodeRecordBatch.)
 */
export function encodeMetadataBatch(records: readonly MetadataRecord[]): Buffer {
  const w = new Writer();
  w.unsignedVarint(records.length);
  for (const r of records) writeRecord(w, r);
  return w.toBuffer();
}

// ---------------------------------------------------------------- reading

/** What records read besides core/wire's primitives; every failure names the field. */
const read = {
  fail(r: Reader, what: string): never {
    throw new DecodeError(`metadata record truncated or malformed at byte ${r.pos} (${what})`);
  },
  /** Runs one primitive read, naming the field if it fails. */
  field<T>(r: Reader, what: string, get: () => T): T {
    try {
      return get();
    } catch (e) {
      if (e instanceof DecodeError) read.fail(r, what);
      throw e;
    }
  },
  int8: (r: Reader, what: string): number => read.field(r, what, () => r.int8()),
  int: (r: Reader, what: string): number => read.field(r, what, () => r.varint()),
  long: (r: Reader, what: string): number => read.field(r, what, () => r.varlong()),
  bool(r: Reader, what: string): boolean {
    const b = read.int8(r, what);
    if (b !== 0 && b !== 1) read.fail(r, what);
    return b === 1;
  },
  /** A count of items each at least one byte long: bounded by what is left. */
  count(r: Reader, what: string): number {
    const n = read.field(r, what, () => r.unsignedVarint());
    if (n > r.remaining) read.fail(r, `${what}: count ${n} exceeds the ${r.remaining} bytes left`);
    return n;
  },
  string(r: Reader, what: string): string {
    const n = read.count(r, what);
    const s = r.buf.toString('utf8', r.pos, r.pos + n);
    r.pos += n;
    return s;
  },
  nullableString: (r: Reader, what: string): string | null => (read.bool(r, what) ? read.string(r, what) : null),
  bytes(r: Reader, what: string): Buffer {
    const n = read.count(r, what);
    const b = Buffer.from(r.buf.subarray(r.pos, r.pos + n));
    r.pos += n;
    return b;
  },
  config(r: Reader): Record<string, string> {
    const n = read.count(r, 'config');
    const config: Record<string, string> = {};
    for (let i = 0; i < n; i++) config[read.string(r, 'config key')] = read.string(r, 'config value');
    return config;
  },
  ints(r: Reader, what: string): number[] {
    const n = read.count(r, what);
    const vs: number[] = [];
    for (let i = 0; i < n; i++) vs.push(read.int(r, what));
    return vs;
  },
  strings(r: Reader, what: string): string[] {
    const n = read.count(r, what);
    const vs: string[] = [];
    for (let i = 0; i < n; i++) vs.push(read.string(r, what));
    return vs;
  },
};

function readRecord(r: Reader): MetadataRecord {
  const id = read.int8(r, 'type');
  const type = TYPE_NAMES.get(id);
  if (type === undefined) throw new DecodeError(`unknown metadata record type ${id} at byte ${r.pos - 1}`);
  const version = read.int8(r, 'version');
  const newest = type === 'RegisterBroker' ? REGISTER_BROKER_WITH_LISTENERS : VERSION;
  if (version < VERSION || version > newest)
    throw new DecodeError(`${type} record version ${version} is not supported (this node reads up to version ${newest}); upgrade this node`);
  switch (type) {
    case 'RegisterBroker': {
      const registration = {
        type,
        brokerId: read.int(r, 'brokerId'),
        brokerEpoch: read.long(r, 'brokerEpoch'),
        rack: read.nullableString(r, 'rack'),
        host: read.string(r, 'host'),
        port: read.int(r, 'port'),
      };
      if (version < REGISTER_BROKER_WITH_LISTENERS) return registration;
      const n = read.count(r, 'listeners');
      const listeners: BrokerListener[] = [];
      for (let i = 0; i < n; i++)
        listeners.push({ name: read.string(r, 'listener name'), host: read.string(r, 'listener host'), port: read.int(r, 'listener port') });
      return { ...registration, listeners };
    }
    case 'FenceBroker':
    case 'UnfenceBroker':
    case 'UnregisterBroker':
      return { type, brokerId: read.int(r, 'brokerId'), brokerEpoch: read.long(r, 'brokerEpoch') };
    case 'Topic': {
      const name = read.string(r, 'name');
      const topicId = read.long(r, 'topicId');
      return { type, name, topicId, config: read.config(r) };
    }
    case 'TopicConfig': {
      const topicId = read.long(r, 'topicId');
      return { type, topicId, config: read.config(r) };
    }
    case 'Partition':
      return {
        type,
        topicId: read.long(r, 'topicId'),
        partition: read.int(r, 'partition'),
        replicas: read.ints(r, 'replicas'),
        isr: read.ints(r, 'isr'),
        leader: read.int(r, 'leader'),
        leaderEpoch: read.int(r, 'leaderEpoch'),
        partitionEpoch: read.int(r, 'partitionEpoch'),
      };
    case 'PartitionChange': {
      const topicId = read.long(r, 'topicId');
      const partition = read.int(r, 'partition');
      const partitionEpoch = read.int(r, 'partitionEpoch');
      const leader = read.bool(r, 'has leader') ? read.int(r, 'leader') : undefined;
      const isr = read.bool(r, 'has isr') ? read.ints(r, 'isr') : undefined;
      return { type, topicId, partition, partitionEpoch, ...(leader !== undefined && { leader }), ...(isr !== undefined && { isr }) };
    }
    case 'RemoveTopic':
      return { type, topicId: read.long(r, 'topicId') };
    case 'UserScramCredential':
      return {
        type,
        name: read.string(r, 'name'),
        mechanism: read.int8(r, 'mechanism'),
        salt: read.bytes(r, 'salt'),
        storedKey: read.bytes(r, 'storedKey'),
        serverKey: read.bytes(r, 'serverKey'),
        iterations: read.int(r, 'iterations'),
      };
    case 'RemoveUserScramCredential':
      return { type, name: read.string(r, 'name'), mechanism: read.int8(r, 'mechanism') };
    case 'RegisterWorker':
      return {
        type,
        app: read.string(r, 'app'),
        workerId: read.string(r, 'workerId'),
        workerEpoch: read.long(r, 'workerEpoch'),
        inputTopics: read.strings(r, 'inputTopics'),
        numStandbyReplicas: read.int(r, 'numStandbyReplicas'),
      };
    case 'UnregisterWorker':
      return { type, app: read.string(r, 'app'), workerId: read.string(r, 'workerId'), workerEpoch: read.long(r, 'workerEpoch') };
    case 'TaskAssignment': {
      const app = read.string(r, 'app');
      const generation = read.int(r, 'generation');
      const n = read.count(r, 'tasks');
      const tasks: TaskOwnership[] = [];
      for (let i = 0; i < n; i++) {
        tasks.push({
          task: read.string(r, 'task'),
          owner: read.string(r, 'owner'),
          taskEpoch: read.int(r, 'taskEpoch'),
          standbys: read.strings(r, 'standbys'),
        });
      }
      return { type, app, generation, tasks };
    }
    case 'EpochCounters':
      return {
        type,
        lastBrokerEpoch: read.long(r, 'lastBrokerEpoch'),
        lastTopicId: read.long(r, 'lastTopicId'),
        lastWorkerEpoch: read.long(r, 'lastWorkerEpoch'),
      };
    case 'RegisterController':
      return { type, controllerId: read.int(r, 'controllerId'), host: read.string(r, 'host'), port: read.int(r, 'port') };
    case 'UnregisterController':
      return { type, controllerId: read.int(r, 'controllerId') };
    case 'AccessControlEntry':
    case 'RemoveAccessControlEntry':
      return {
        type,
        resourceType: read.int8(r, 'resourceType'),
        resourceName: read.string(r, 'resourceName'),
        patternType: read.int8(r, 'patternType'),
        principal: read.string(r, 'principal'),
        host: read.string(r, 'host'),
        operation: read.int8(r, 'operation'),
        permission: read.int8(r, 'permission'),
      };
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

/** The records of one Raft entry (encodeMetadataBatch's bytes). */
export function decodeMetadataBatch(buf: Buffer): E.Either<string, MetadataRecord[]> {
  return decodeWith(buf, (r) => {
    const n = read.count(r, 'record count');
    const records: MetadataRecord[] = [];
    for (let i = 0; i < n; i++) records.push(readRecord(r));
    return records;
  });
}
