// The transaction coordinator's settings of `rill broker`, single node and
// cluster broker alike: Kafka's names as config keys, flags beside them. Each is
// a positive number of milliseconds that fits Kafka's int (these are int
// settings in Kafka, and a timer cannot wait longer than 2^31 - 1 ms anyway).
import type { TransactionSettings } from '../core/broker';
import { numberFlag, UsageError } from './args';

export interface TransactionConfig {
  transactionMaxTimeoutMs?: number;
  transactionalIdExpirationMs?: number;
  transactionAbortIntervalMs?: number;
}

const MAX_MS = 2 ** 31 - 1;

/** Config keys (Kafka's) and the setting each fills; with the flag of the same setting. */
const SETTINGS = [
  {
    key: 'transaction.max.timeout.ms',
    flag: 'transaction-max-timeout-ms',
    setting: 'transactionMaxTimeoutMs',
    option: 'maxTimeoutMs',
  },
  {
    key: 'transactional.id.expiration.ms',
    flag: 'transactional-id-expiration-ms',
    setting: 'transactionalIdExpirationMs',
    option: 'idExpirationMs',
  },
  {
    key: 'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    flag: 'transaction-abort-interval-ms',
    setting: 'transactionAbortIntervalMs',
    option: 'tickIntervalMs',
  },
] as const;

/** For broker-config's key table. */
export const TRANSACTION_KEYS: Record<string, { setting: keyof TransactionConfig; kind: 'int' }> = Object.fromEntries(
  SETTINGS.map((s) => [s.key, { setting: s.setting, kind: 'int' as const }]),
);

export const TRANSACTION_FLAGS = {
  'transaction-max-timeout-ms': numberFlag(
    'the longest transaction.timeout.ms a transactional producer may ask for (a longer one is refused); config key transaction.max.timeout.ms',
    900_000,
  ),
  'transactional-id-expiration-ms': numberFlag(
    'a transactional id with no transaction for this long is forgotten; config key transactional.id.expiration.ms',
    604_800_000,
  ),
  'transaction-abort-interval-ms': numberFlag(
    'how often transactions past their timeout are aborted (and unwritten markers retried); config key transaction.abort.timed.out.transaction.cleanup.interval.ms',
    1000,
  ),
} as const;

type TransactionFlags = { [F in keyof typeof TRANSACTION_FLAGS]?: number };

/** The transaction flags given, as config keys. */
export function transactionFlagsAsConfig(flags: TransactionFlags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of SETTINGS) if (flags[s.flag] !== undefined) out[s.key] = String(flags[s.flag]);
  return out;
}

/** The cluster node's transaction flags (it has no config file), checked as transactionSettings does. */
export function transactionSettingsOfFlags(flags: TransactionFlags): Pick<TransactionSettings, 'maxTimeoutMs' | 'idExpirationMs' | 'tickIntervalMs'> {
  return transactionSettings(Object.fromEntries(SETTINGS.map((s) => [s.setting, flags[s.flag]])));
}

/** The coordinator's settings, each checked (a UsageError naming the key otherwise); unset ones keep the coordinator's defaults. */
export function transactionSettings(c: TransactionConfig): Pick<TransactionSettings, 'maxTimeoutMs' | 'idExpirationMs' | 'tickIntervalMs'> {
  const out: Pick<TransactionSettings, 'maxTimeoutMs' | 'idExpirationMs' | 'tickIntervalMs'> = {};
  for (const s of SETTINGS) {
    const value = c[s.setting];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1 || value > MAX_MS)
      throw new UsageError(`${s.key} (--${s.flag}) must be a whole number of milliseconds from 1 to ${MAX_MS}, got ${value}`);
    out[s.option] = value;
  }
  return out;
}
