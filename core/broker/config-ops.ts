// Kafka's IncrementalAlterConfigs on a topic's overrides: each operation sets,
// deletes (back to the default), appends to or subtracts from one key, and the
// rest stay as they are (AlterConfigs, by contrast, replaces every override).
// Pure: the embedded broker and the cluster's controller both apply it to the
// overrides they hold, then validate the result as any new config.
import * as E from 'fp-ts/Either';
import { DEFAULT_LOG_CONFIG } from '../log';
import { BrokerError, ErrorCode } from './errors';

/** Kafka's AlterConfigOp.OpType. */
export const ConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface ConfigOperation {
  readonly name: string;
  readonly op: number;
  readonly value: string | null;
}

/** List-valued keys, with their items in the one order the config accepts. */
const LIST_KEYS: Readonly<Record<string, { readonly order: readonly string[]; readonly fallback: string }>> = {
  'cleanup.policy': { order: ['compact', 'delete'], fallback: DEFAULT_LOG_CONFIG['cleanup.policy'] },
};

const refuse = (message: string) => E.left(new BrokerError(ErrorCode.INVALID_CONFIG, message));

/** The overrides after `ops`, applied in order to `overrides`; or why they cannot be. */
export function applyConfigOps(overrides: Readonly<Record<string, string>>, ops: readonly ConfigOperation[]): E.Either<BrokerError, Record<string, string>> {
  const next: Record<string, string> = { ...overrides };
  const seen = new Set<string>();
  for (const { name, op, value } of ops) {
    if (seen.has(name)) return refuse(`Config ${name} is named twice in one request; give one operation per key.`);
    seen.add(name);
    if (op === ConfigOp.DELETE) {
      delete next[name];
      continue;
    }
    if (op !== ConfigOp.SET && op !== ConfigOp.APPEND && op !== ConfigOp.SUBTRACT) {
      return E.left(
        new BrokerError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op} for ${name}; use 0 (SET), 1 (DELETE), 2 (APPEND) or 3 (SUBTRACT).`),
      );
    }
    if (value === null) return refuse(`Config ${name} needs a value for ${op === ConfigOp.SET ? 'SET' : op === ConfigOp.APPEND ? 'APPEND' : 'SUBTRACT'}.`);
    if (op === ConfigOp.SET) {
      next[name] = value;
      continue;
    }
    const list = LIST_KEYS[name];
    if (list === undefined)
      return refuse(
        `Config ${name} is not a list, so it cannot be appended to or subtracted from; SET it instead. (List-valued: ${Object.keys(LIST_KEYS).join(', ')}.)`,
      );
    const items = new Set(
      (next[name] ?? list.fallback)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );
    for (const item of value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)) {
      if (op === ConfigOp.APPEND) items.add(item);
      else items.delete(item);
    }
    // In the config's own order, so "delete" + APPEND "compact" reads "compact,delete"; unknown items are left for validation to refuse.
    const ordered = [...list.order.filter((i) => items.has(i)), ...[...items].filter((i) => !list.order.includes(i))];
    next[name] = ordered.join(',');
  }
  return E.right(next);
}
