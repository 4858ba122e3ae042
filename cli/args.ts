// Flags of the `rill` commands: each command declares its flags once (kind,
// help, default, aliases); Node's util.parseArgs parses them and the same
// declarations print the command's help, defaults included.
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export type FlagKind = 'string' | 'number' | 'boolean' | 'strings';

export interface FlagDef {
  kind: FlagKind;
  /** What the help shows after the flag: `--partitions N`. */
  arg?: string;
  help?: string;
  /** Applied when the flag is absent, and shown in the help. */
  default?: string | number | boolean;
  /** The default as the help says it, where it is not a plain value ("$RILL_BOOTSTRAP or localhost:9092"). */
  defaultText?: string;
  /** Other names for the same flag (Kafka's tools' names: --bootstrap-server). */
  aliases?: readonly string[];
  /** The actions of the command the flag belongs to (help per action); all when omitted. */
  actions?: readonly string[];
}

export interface CommandSpec {
  [name: string]: FlagKind | FlagDef;
}

type KindOf<F> = F extends FlagDef ? F['kind'] : F;
type ValueOf<K> = K extends 'strings' ? string[] : K extends 'number' ? number : K extends 'boolean' ? boolean : string;

export type ParsedFlags<S extends CommandSpec> = {
  [K in keyof S]?: ValueOf<KindOf<S[K]>>;
};

function def(spec: FlagKind | FlagDef): FlagDef {
  return typeof spec === 'string' ? { kind: spec } : spec;
}

/** The bootstrap flag every tool shares, with Kafka's name as an alias. */
export const BOOTSTRAP_FLAG = {
  kind: 'string',
  arg: 'HOST:PORT,...',
  help: 'brokers to start from, comma-separated',
  defaultText: '$RILL_BOOTSTRAP or localhost:9092',
  aliases: ['bootstrap-server'],
} as const;

/** A number flag whose default the help shows (the code it configures applies it). */
export function numberFlag(help: string, defaultText?: number) {
  return { kind: 'number', help, ...(defaultText !== undefined ? { defaultText: String(defaultText) } : {}) } as const;
}

/** Kafka's --command-config: a properties file whose bootstrap.servers, TLS and SASL settings the tools use. */
export const COMMAND_CONFIG_FLAG = {
  kind: 'string',
  arg: 'FILE',
  help: 'a Kafka client properties file: bootstrap.servers (when --bootstrap is not given), security.protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), ssl.ca.location, ssl.certificate.location, ssl.key.location, sasl.mechanism, sasl.username, sasl.password (or sasl.jaas.config)',
} as const;

/** --format for listing and describe commands. */
export const FORMAT_FLAG = { kind: 'string', arg: 'text|json', help: 'output as aligned text or as JSON', default: 'text' } as const;

/** Refuses arguments a command does not take (what is left after the ones it does). */
export function noMoreArguments(extra: readonly string[]): void {
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
}

/** The ACTION of `rill COMMAND ACTION ...`, one of `actions`, and the positionals after it. */
export function takeAction<A extends string>(positional: readonly string[], actions: readonly A[]): { action: A; rest: string[] } {
  const [action, ...rest] = positional;
  if (!action) throw new UsageError(`give an action: ${actions.join(', ')}`);
  if (!(actions as readonly string[]).includes(action)) throw new UsageError(`unknown action "${action}"; use ${actions.join(', ')}`);
  return { action: action as A, rest };
}

/**
 * What `rill COMMAND ACTION` acts on (a topic, a group): the positional after
 * the action or the --COMMAND flag, given once; every action but list needs it
 * (for list it may be undefined).
 */
export function takeTarget(command: string, action: string, rest: readonly string[], flag: string | undefined, what: string): string {
  if (flag !== undefined && rest.length > 0) throw new UsageError(`give the ${command} once: "${rest[0]}" or --${command} ${flag}`);
  const [target, ...extra] = flag !== undefined ? [flag] : rest;
  noMoreArguments(extra);
  if (action !== 'list' && !target) throw new UsageError(`"${command} ${action}" needs a ${what}`);
  return target;
}

/** The --format value of a listing or describe command. */
export function outputFormat(value: string | undefined): 'text' | 'json' {
  const f = value ?? 'text';
  if (f !== 'text' && f !== 'json') throw new UsageError(`--format must be text or json, got "${f}"`);
  return f;
}

/**
 * Parses `--name value`, `--name=value`, boolean `--flag`, repeated flags
 * ('strings': every occurrence kept), aliases and positional arguments, with
 * util.parseArgs; applies defaults. A value may start with "-" (`--offset -1`).
 */
export function parseCommand<S extends CommandSpec>(argv: string[], spec: S): { flags: ParsedFlags<S>; positional: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  const canonical = new Map<string, string>();
  for (const [name, raw] of Object.entries(spec)) {
    const d = def(raw);
    for (const n of [name, ...(d.aliases ?? [])]) {
      options[n] = { type: d.kind === 'boolean' ? 'boolean' : 'string', ...(d.kind === 'strings' ? { multiple: true } : {}) };
      canonical.set(n, name);
    }
  }
  // parseArgs takes a value starting with "-" only as --name=value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && argv[i + 1]?.startsWith('-') && argv[i + 1] !== '--') {
      args.push(`${a}=${argv[++i]}`);
    } else args.push(a);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(usageMessage(e as Error & { code?: string }, spec));
  }
  const flags: Record<string, unknown> = {};
  for (const [given, value] of Object.entries(parsed.values)) {
    const name = canonical.get(given)!;
    const d = def(spec[name]);
    if (d.kind === 'number') {
      const text = value as string;
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`flag "--${given}" needs a number, got "${text}"`);
      flags[name] = n;
    } else if (d.kind === 'strings') {
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), ...(value as string[])];
    } else flags[name] = value;
  }
  for (const [name, raw] of Object.entries(spec)) {
    const d = def(raw);
    if (flags[name] === undefined && d.default !== undefined) flags[name] = d.default;
  }
  return { flags: flags as ParsedFlags<S>, positional: parsed.positionals };
}

function usageMessage(e: Error & { code?: string }, spec: CommandSpec): string {
  const known = () =>
    Object.keys(spec)
      .map((k) => '--' + k)
      .join(', ');
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? e.message;
      return `unknown flag "${flag}"; known: ${known()}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = /--[\w-]+/.exec(e.message)?.[0] ?? '';
      return /argument missing/.test(e.message) ? `flag "${flag}" needs a value` : `flag "${flag}" takes no value`;
    }
    default:
      return e.message;
  }
}

/** The options section of a help text, from the flag declarations (those of `action` only, when given). */
export function optionsHelp(spec: CommandSpec, action?: string): string {
  const rows: [string, string][] = [];
  for (const [name, raw] of Object.entries(spec)) {
    const d = def(raw);
    if (d.help === undefined) continue;
    if (action !== undefined && d.actions !== undefined && !d.actions.includes(action)) continue;
    const names = [name, ...(d.aliases ?? [])].map((n) => `--${n}`).join(', ');
    const left = d.kind === 'boolean' ? names : `${names} ${d.arg ?? (d.kind === 'number' ? 'N' : 'VALUE')}`;
    const dflt = d.defaultText ?? (d.default !== undefined && d.kind !== 'boolean' ? String(d.default) : undefined);
    rows.push([left, `${d.help}${d.kind === 'strings' ? ' (repeatable)' : ''}${dflt !== undefined ? ` (default ${dflt})` : ''}`]);
  }
  const width = Math.min(30, Math.max(...rows.map(([l]) => l.length)) + 2);
  const pad = '\n  ' + ' '.repeat(width);
  return rows.map(([l, r]) => `  ${l.length + 2 > width ? l + pad : l.padEnd(width)}${wrap(r, 96 - width).join(pad)}`).join('\n');
}

/** Words into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** A command's help: a title, usage lines, the options from the declarations, notes. */
export function commandHelp(opts: { title: string; usage: readonly string[]; spec: CommandSpec; action?: string; notes?: string }): string {
  const options = optionsHelp(opts.spec, opts.action);
  return [
    opts.title,
    '',
    'Usage:',
    ...opts.usage.map((u) => `  ${u}`),
    ...(options ? ['', 'Options:', options] : []),
    '',
    ...(opts.notes ? [opts.notes, ''] : []),
    'Exit codes: 0 ok, 1 failure, 2 bad usage.',
  ].join('\n');
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
