// Per-partition log configuration, with Kafka's topic-level names and defaults.
// Every key is validated: unknown keys, wrong types and out-of-range values are
// refused with a message naming the key and what is allowed.
import { Either, left, right } from 'fp-ts/Either';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  /** Roll the active segment once it would grow past this many bytes. */
  'segment.bytes': number;
  /** Roll the active segment once its first record is this old (ms). */
  'segment.ms': number;
  /** Add an offset/time index entry after this many bytes of batches. */
  'index.interval.bytes': number;
  /** Delete closed segments whose newest record is older than this (ms); -1 keeps forever. */
  'retention.ms': number;
  /** Delete the oldest closed segments while the log is larger than this; -1 means no limit. */
  'retention.bytes': number;
  'cleanup.policy': CleanupPolicy;
  /** How long the cleaner keeps tombstones (null values) before dropping them (ms). */
  'delete.retention.ms': number;
  /** Compact only when dirty bytes / total bytes of closed segments is at least this. */
  'min.cleanable.dirty.ratio': number;
  /** A record younger than this (ms) is never compacted away. */
  'min.compaction.lag.ms': number;
  /** fsync after this many records appended since the last flush. */
  'flush.messages': number;
  /** fsync when the oldest unflushed append is this old (ms), checked by maybeFlush(). */
  'flush.ms': number;
  /** Largest batch accepted by append. */
  'max.message.bytes': number;
  'message.timestamp.type': TimestampType;
}

/** Kafka's Long.MAX_VALUE stands for "never"; Number.MAX_SAFE_INTEGER is our never. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  'segment.bytes': 1024 * 1024 * 1024,
  'segment.ms': 7 * 24 * 3600 * 1000,
  'index.interval.bytes': 4096,
  'retention.ms': 7 * 24 * 3600 * 1000,
  'retention.bytes': -1,
  'cleanup.policy': 'delete',
  'delete.retention.ms': 24 * 3600 * 1000,
  'min.cleanable.dirty.ratio': 0.5,
  'min.compaction.lag.ms': 0,
  'flush.messages': NEVER,
  'flush.ms': NEVER,
  'max.message.bytes': 1048588,
  'message.timestamp.type': 'CreateTime',
});

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Rule = { kind: 'int'; min: number; max?: number; allowMinusOne?: boolean } | { kind: 'ratio' } | { kind: 'enum'; values: readonly string[] };

const RULES: Record<keyof LogConfig, Rule> = {
  'segment.bytes': { kind: 'int', min: 14, max: 2 ** 31 - 1 },
  'segment.ms': { kind: 'int', min: 1 },
  'index.interval.bytes': { kind: 'int', min: 0, max: 2 ** 31 - 1 },
  'retention.ms': { kind: 'int', min: 0, allowMinusOne: true },
  'retention.bytes': { kind: 'int', min: 0, allowMinusOne: true },
  'cleanup.policy': { kind: 'enum', values: ['delete', 'compact', 'compact,delete'] },
  'delete.retention.ms': { kind: 'int', min: 0 },
  'min.cleanable.dirty.ratio': { kind: 'ratio' },
  'min.compaction.lag.ms': { kind: 'int', min: 0 },
  'flush.messages': { kind: 'int', min: 1 },
  'flush.ms': { kind: 'int', min: 0 },
  'max.message.bytes': { kind: 'int', min: 0, max: 2 ** 31 - 1 },
  'message.timestamp.type': { kind: 'enum', values: ['CreateTime', 'LogAppendTime'] },
};

export const LOG_CONFIG_KEYS = Object.keys(RULES) as (keyof LogConfig)[];

function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'int':
      return `an integer${rule.allowMinusOne ? ' (-1 for unlimited) or' : ''} >= ${rule.min}${rule.max !== undefined ? ` and <= ${rule.max}` : ''}`;
    case 'ratio':
      return 'a number between 0 and 1';
    case 'enum':
      return `one of ${rule.values.map((v) => `"${v}"`).join(', ')}`;
  }
}

function parseValue(key: string, rule: Rule, raw: unknown): Either<ConfigError, number | string> {
  const bad = (): Either<ConfigError, never> =>
    left(new ConfigError(key, `Invalid value ${JSON.stringify(raw)} for log config "${key}": expected ${describeRule(rule)}.`));
  if (rule.kind === 'enum') {
    if (typeof raw !== 'string') return bad();
    const normalized = raw
      .split(',')
      .map((s) => s.trim())
      .sort()
      .join(',');
    return rule.values.includes(normalized) ? right(normalized) : bad();
  }
  // Kafka clients send configs as strings; accept "1000" as well as 1000.
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) {
    // Kafka's Long.MAX_VALUE ("never") does not fit a double exactly; accept it as NEVER.
    if (typeof raw === 'string' && raw.trim() === '9223372036854775807') return right(NEVER);
    return bad();
  }
  if (rule.kind === 'ratio') return n >= 0 && n <= 1 ? right(n) : bad();
  if (!Number.isInteger(n)) {
    return n >= 2 ** 53 ? right(NEVER) : bad();
  }
  if (rule.allowMinusOne && n === -1) return right(-1);
  if (n < rule.min || (rule.max !== undefined && n > rule.max)) return bad();
  return right(Math.min(n, NEVER));
}

/**
 * Validates a partial config (values as numbers or Kafka-style strings) and fills
 * the rest from `base` (Kafka's defaults unless given).
 */
export function parseLogConfig(input: Readonly<Record<string, unknown>> = {}, base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): Either<ConfigError, LogConfig> {
  const config: Record<string, unknown> = { ...base };
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const rule = RULES[key as keyof LogConfig];
    if (!rule) {
      const known = LOG_CONFIG_KEYS.join(', ');
      return left(new ConfigError(key, `Unknown log config "${key}". Known keys: ${known}.`));
    }
    const parsed = parseValue(key, rule, raw);
    if (parsed._tag === 'Left') return parsed;
    config[key] = parsed.right;
  }
  return right(config as unknown as LogConfig);
}

/** parseLogConfig for callers that treat a bad config as a programming error. */
export function logConfigOrThrow(input?: Readonly<Record<string, unknown>>): LogConfig {
  const parsed = parseLogConfig(input);
  if (parsed._tag === 'Left') throw parsed.left;
  return parsed.right;
}

export function isCompacted(config: LogConfig): boolean {
  return config['cleanup.policy'] !== 'delete';
}

export function deletesOldSegments(config: LogConfig): boolean {
  return config['cleanup.policy'] !== 'compact';
}
