// Kafka's ConsumerProtocol bytes, carried opaquely by the group coordinator:
// the Subscription each member sends in JoinGroup and the Assignment the leader
// hands out in SyncGroup. Each is an int16 version followed by a message,
// described as data with the versions and fields of Kafka's
// ConsumerProtocolSubscription.json and ConsumerProtocolAssignment.json
// (never flexible: INT32 arrays, INT16 strings, INT32 bytes), as kafkajs and
// librdkafka write them. Rill writes Subscription v1 and Assignment v0; a newer
// version is read with the newest format known, as Kafka's own consumer does
// (versions only add fields at the end).
import { Either, left, right } from 'fp-ts/Either';
import { DecodeError, Reader, Writer, array, decodeMessage, encodeMessage, field, message } from '../wire';

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

const SUBSCRIPTION_VERSION = 1;
const NEWEST_SUBSCRIPTION_VERSION = 2;
const ASSIGNMENT_VERSION = 0;
const NEWEST_ASSIGNMENT_VERSION = 2;

const ConsumerProtocolSubscription = message('none', [
  field('topics', array('string'), '0+'),
  field('userData', 'bytes', '0+', { nullable: '0+', default: null }),
  field('ownedPartitions', array([field('topic', 'string', '1+'), field('partitions', array('int32'), '1+')]), '1+'),
  field('generationId', 'int32', '2+', { default: -1 }),
]);

const ConsumerProtocolAssignment = message('none', [
  field('assignedPartitions', array([field('topic', 'string', '0+'), field('partitions', array('int32'), '0+')]), '0+'),
  field('userData', 'bytes', '0+', { nullable: '0+', default: null }),
]);

interface TopicPartitions {
  topic: string;
  partitions: number[];
}

function byTopic(tps: readonly TopicPartition[]): TopicPartitions[] {
  return [...groupByTopic(tps)].map(([topic, partitions]) => ({ topic, partitions }));
}

function flatten(list: TopicPartitions[]): TopicPartition[] {
  return list.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
}

/**
 * User data is copied out of the request it came in: the coordinator keeps it
 * for the group's life, and a view would keep the whole request frame alive.
 */
function ownCopy(b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b);
}

/** Decodes `int16 version | message`, a version above `newest` with the newest format; malformed bytes are a left. */
function decodeVersioned(buf: Buffer, what: string, newest: number, decode: (version: number, r: Reader) => unknown): Either<string, Record<string, unknown>> {
  try {
    const r = new Reader(buf);
    const version = r.int16();
    if (version < 0) return left(`malformed consumer ${what}: version ${version}`);
    return right(decode(Math.min(version, newest), r) as Record<string, unknown>);
  } catch (e) {
    if (e instanceof DecodeError) return left(`malformed consumer ${what}: ${e.message}`);
    throw e;
  }
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
  const w = new Writer(128).int16(SUBSCRIPTION_VERSION);
  const m = { topics: s.topics, userData: s.userData, ownedPartitions: byTopic(s.ownedPartitions) };
  return encodeMessage(ConsumerProtocolSubscription, SUBSCRIPTION_VERSION, m, w).toBuffer();
}

export function decodeSubscription(buf: Buffer): Either<string, Subscription> {
  const m = decodeVersioned(buf, 'subscription', NEWEST_SUBSCRIPTION_VERSION, (v, r) => decodeMessage(ConsumerProtocolSubscription, v, r));
  if (m._tag === 'Left') return m;
  const { topics, userData, ownedPartitions } = m.right as { topics: string[]; userData: Buffer | null; ownedPartitions: TopicPartitions[] };
  return right({ topics, userData: ownCopy(userData), ownedPartitions: flatten(ownedPartitions) });
}

export function encodeAssignment(a: Assignment): Buffer {
  const w = new Writer(128).int16(ASSIGNMENT_VERSION);
  const m = { assignedPartitions: byTopic(a.partitions), userData: a.userData };
  return encodeMessage(ConsumerProtocolAssignment, ASSIGNMENT_VERSION, m, w).toBuffer();
}

export function decodeAssignment(buf: Buffer): Either<string, Assignment> {
  // An empty assignment (a member that got nothing, as some clients send it) has no bytes at all.
  if (buf.length === 0) return right({ partitions: [], userData: null });
  const m = decodeVersioned(buf, 'assignment', NEWEST_ASSIGNMENT_VERSION, (v, r) => decodeMessage(ConsumerProtocolAssignment, v, r));
  if (m._tag === 'Left') return m;
  const { assignedPartitions, userData } = m.right as { assignedPartitions: TopicPartitions[]; userData: Buffer | null };
  return right({ partitions: flatten(assignedPartitions), userData: ownCopy(userData) });
}
