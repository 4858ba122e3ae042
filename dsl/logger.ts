// Where the runtime's log lines go: a pino logger (core/logging), one child per
// task with its bindings (task, partition). Every error line names the record
// (topic, partition, offset) so it can be found and replayed.
import { createLogger, levelLabel, loggerTo, processLogger, silentLogger, type Logger, type LogLevel } from '../core/logging';

export type { Logger, LogLevel };
export { silentLogger };

/**
 * The default when none is given: one root logger per process on stderr
 * (JSON lines, pretty on a terminal), at RILL_LOG_LEVEL or info.
 */
export const defaultLogger = processLogger;

/** The logger an application runs with: the one given, else a root logger at `level`, else the default. */
export function loggerFor(options: { logger?: Logger; logLevel?: LogLevel }): Logger {
  if (options.logger) return options.logger;
  return options.logLevel === undefined ? defaultLogger() : createLogger({ level: options.logLevel });
}

/** Keeps lines in memory as "LEVEL message" (and parsed, in `records`); for tests and for the test driver's callers. */
export function memoryLogger(): Logger & { lines: string[]; records: Record<string, unknown>[] } {
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const logger = loggerTo((line) => {
    records.push(line);
    lines.push(`${levelLabel(line.level).toUpperCase()} ${line.msg}`);
  });
  return Object.assign(logger, { lines, records });
}

/** The same logger quieted to warnings and above (never louder than it was). */
export function warningsOnly(logger: Logger): Logger {
  return logger.isLevelEnabled('warn') && !logger.isLevelEnabled('info')
    ? logger
    : logger.child({}, { level: logger.isLevelEnabled('warn') ? 'warn' : logger.level });
}
