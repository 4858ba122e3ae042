// A small flag parser: `--name value` and `--flag`, with clear errors for unknown flags.

export class UsageError extends Error {}

export interface FlagSpec {
  [name: string]: 'string' | 'number' | 'boolean';
}

export function parseFlags<S extends FlagSpec>(argv: string[], spec: S): Record<keyof S, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const name = arg.slice(2);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown flag "${arg}"; known: ${Object.keys(spec).map((k) => '--' + k).join(', ')}`);
    if (kind === 'boolean') {
      out[name] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`flag "${arg}" needs a value`);
    if (kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`flag "${arg}" needs a number, got "${value}"`);
      out[name] = n;
    } else out[name] = value;
  }
  return out as Record<keyof S, string | number | boolean | undefined>;
}
