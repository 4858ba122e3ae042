// Topic names as Kafka allows them (org.apache.kafka.common.internals.Topic):
// 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..". 249 leaves room for the
// "-<partition>" suffix of the partition directory within a 255-byte file name.
import { Either, left, right } from 'fp-ts/Either';
import { BrokerError, ErrorCode } from './errors';

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const SCHEMAS_TOPIC = '_schemas';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC]);

export function validateTopicName(name: unknown): Either<BrokerError, string> {
  const invalid = (why: string) => left(new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Invalid topic name ${JSON.stringify(name)}: ${why}`));
  if (typeof name !== 'string') return invalid('a topic name is a string.');
  if (name.length === 0) return invalid('the name is empty.');
  if (name === '.' || name === '..') return invalid('"." and ".." are not allowed.');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return invalid(`${name.length} characters, the limit is ${MAX_TOPIC_NAME_LENGTH}.`);
  }
  if (!LEGAL.test(name)) {
    const bad = [...new Set([...name].filter((c) => !/[a-zA-Z0-9._-]/.test(c)))].map((c) => JSON.stringify(c)).join(', ');
    return invalid(`illegal character(s) ${bad}; use only ASCII letters, digits, ".", "_" and "-".`);
  }
  return right(name);
}

/**
 * Kafka turns "." into "_" in metric names, so two topics that differ only there
 * collide; it refuses to create the second one, and so do we.
 */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}
