// A cluster topic's configuration: the log settings every replica's log takes
// (validated by the embedded broker's rules, core/broker), plus the replication
// settings only a cluster has. Overrides are kept as Kafka keeps them, strings.
import * as E from 'fp-ts/Either';
import { validateTopicConfig as validateLogConfig } from '../../broker';
import { LOG_CONFIG_KEYS, type LogConfig } from '../../log';
import { ErrorCode, refusal, type Refusal } from '../errors';

/** The replication settings and their defaults (Kafka's). */
export const REPLICATION_CONFIG_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  'min.insync.replicas': '1',
  'unclean.leader.election.enable': 'false',
});

export interface ValidTopicConfig {
  /** The overrides to store, replication values normalised ("TRUE" -> "true"). */
  readonly overrides: Record<string, string>;
  /** Every log setting with its effective value. */
  readonly log: LogConfig;
}

/** Checks a topic's overrides: log settings by core/log's rules, replication settings against the topic's replication factor. */
export function validateTopicConfig(topic: string, config: Readonly<Record<string, string>>, replicationFactor: number): E.Either<Refusal, ValidTopicConfig> {
  const invalid = (message: string) => E.left(refusal(ErrorCode.INVALID_CONFIG, `Topic ${topic}: ${message}`));
  const overrides: Record<string, string> = {};
  const logOverrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'min.insync.replicas') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > replicationFactor) {
        return invalid(`min.insync.replicas=${value} must be an integer from 1 to the replication factor (${replicationFactor}).`);
      }
      overrides[key] = String(n);
    } else if (key === 'unclean.leader.election.enable') {
      const flag = value.trim().toLowerCase();
      if (flag !== 'true' && flag !== 'false') return invalid(`unclean.leader.election.enable=${value} must be true or false.`);
      overrides[key] = flag;
    } else if ((LOG_CONFIG_KEYS as readonly string[]).includes(key)) {
      logOverrides[key] = value;
    } else {
      return invalid(`unknown topic config "${key}". Known keys: ${[...LOG_CONFIG_KEYS, ...Object.keys(REPLICATION_CONFIG_DEFAULTS)].join(', ')}.`);
    }
  }
  const log = validateLogConfig(topic, logOverrides);
  if (E.isLeft(log)) return E.left(refusal(log.left.code, log.left.message));
  return E.right({ overrides: { ...overrides, ...log.right.overrides }, log: log.right.full });
}
