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

// ---------------------------------------------------------------- commands with positionals and repeated flags

export interface CommandSpec {
  [name: string]: 'string' | 'number' | 'boolean' | 'strings';
}

export type ParsedFlags<S extends CommandSpec> = {
  [K in keyof S]?: S[K] extends 'strings' ? string[] : S[K] extends 'number' ? number : S[K] extends 'boolean' ? boolean : string;
};

/**
 * Parses `--name value`, `--name=value`, boolean `--flag`, repeated flags
 * ('strings': every occurrence kept) and positional arguments.
 */
export function parseCommand<S extends CommandSpec>(argv: string[], spec: S): { flags: ParsedFlags<S>; positional: string[] } {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown flag "--${name}"; known: ${Object.keys(spec).map((k) => '--' + k).join(', ')}`);
    if (kind === 'boolean') {
      if (eq > 0) throw new UsageError(`flag "--${name}" takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`flag "--${name}" needs a value`);
    if (kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`flag "--${name}" needs a number, got "${value}"`);
      flags[name] = n;
    } else if (kind === 'strings') {
      ((flags[name] ??= []) as string[]).push(value);
    } else flags[name] = value;
  }
  return { flags: flags as ParsedFlags<S>, positional };
}

/** "k=v" pairs (configs, headers) into an object; `what` names them in errors. */
export function keyValues(pairs: readonly string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`${what} "${p}" must look like name=value`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}
