// Rill's log lines: pino, one root logger per process and one child per
// component (bindings: component, nodeId, topic, partition, task). JSON lines
// when the destination is not a terminal (what a log shipper reads), pretty
// text on a terminal. Pretty printing runs synchronously in this thread, never
// as a worker-thread transport, so a process exits as soon as its work is done
// and a test reads every line the moment it was logged.
import type { Writable } from 'node:stream';
import pino from 'pino';
import pinoPretty from 'pino-pretty';

export type Logger = pino.Logger;

/** Values a line carries beside its message; client-supplied strings go here, never into the message. */
export type LogFields = Record<string, unknown>;

/** The function seam of the parts that take one: a message, and the fields it is about. */
export type LogLine = (message: string, fields?: LogFields) => void;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The environment variable that sets the level when no flag or option does. */
export const LOG_LEVEL_ENV = 'RILL_LOG_LEVEL';

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/** The level to use: the flag or option's value, else RILL_LOG_LEVEL, else info. A bad value is an error naming the choices. */
export function chooseLogLevel(given: string | undefined, env: Record<string, string | undefined> = process.env): LogLevel {
  const source = given !== undefined ? '--log-level' : LOG_LEVEL_ENV;
  const text = given ?? env[LOG_LEVEL_ENV];
  if (text === undefined || text === '') return 'info';
  const level = text.trim().toLowerCase();
  if (!isLogLevel(level)) throw new RangeError(`${source}: "${text}" is not a log level (one of ${LOG_LEVELS.join(', ')})`);
  return level;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go: stderr by default. */
  destination?: Writable | NodeJS.WriteStream;
  /** Pretty text instead of JSON; by default, when the destination is a terminal. */
  pretty?: boolean;
  /** Fields on every line (e.g. the process's role). */
  bindings?: LogFields;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const pretty = options.pretty ?? (destination as NodeJS.WriteStream).isTTY === true;
  const settings: pino.LoggerOptions = { level: options.level ?? 'info', base: { pid: process.pid, ...options.bindings } };
  if (!pretty) return pino(settings, destination === process.stderr ? pino.destination({ dest: 2, sync: true }) : destination);
  return pino(
    settings,
    pinoPretty({
      sync: true,
      // stderr by its descriptor: written synchronously, as the JSON lines are.
      destination: destination === process.stderr ? 2 : destination,
      colorize: (destination as NodeJS.WriteStream).isTTY === true,
      ignore: 'pid,hostname',
      // Fields are printed JSON-quoted; the message is printed as it is, so
      // control characters in it are escaped here: a newline or an ANSI
      // sequence cannot start a forged line or repaint the terminal.
      messageFormat: (line, key) => escapeControlCharacters(String(line[key] ?? '')),
    }),
  );
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0 and C1 controls, DEL and the Unicode line separators as \n, \u001b, ...: nothing a terminal acts on. */
export function escapeControlCharacters(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

let processRoot: Logger | undefined;

/**
 * The process's own root logger, for a part given none: stderr (JSON lines,
 * pretty on a terminal) at RILL_LOG_LEVEL, else info. Made on first use.
 */
export function processLogger(): Logger {
  processRoot ??= createLogger({ level: chooseLogLevel(undefined) });
  return processRoot;
}

/** A logger that prints nothing (for tests and for callers that want quiet). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** One parsed line of a memory logger. */
export interface LoggedLine extends LogFields {
  level: number;
  msg: string;
}

/** A logger handing each line, parsed, to `write` (synchronously): what a test or an embedding program collects. */
export function loggerTo(write: (line: LoggedLine) => void, level: LogLevel = 'trace'): Logger {
  return pino({ level, base: undefined }, { write: (s: string) => write(JSON.parse(s) as LoggedLine) });
}

/** A logger keeping its lines in memory, parsed: for tests. */
export function memoryLogger(level: LogLevel = 'trace'): { logger: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  return { logger: loggerTo((l) => lines.push(l), level), lines };
}

/** pino's label of a numeric level (30 -> 'info'). */
export function levelLabel(level: number): string {
  return pino.levels.labels[level] ?? String(level);
}

/** The function seam over a logger: each call one line at `level`. */
export function lineLog(logger: Logger, level: Exclude<LogLevel, 'silent'> = 'info'): LogLine {
  return (message, fields) => (fields === undefined ? logger[level](message) : logger[level](fields, message));
}
