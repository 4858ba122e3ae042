// The logger of a long-running command: --log-level (or RILL_LOG_LEVEL), JSON
// lines on stderr, pretty text when stderr is a terminal.
import { chooseLogLevel, createLogger, LOG_LEVELS, type Logger } from '../core/logging';
import { UsageError } from './args';
import type { CommandIO } from './io';

export const LOG_LEVEL_FLAG = {
  'log-level': {
    kind: 'string',
    arg: 'LEVEL',
    help: `log lines at this level and above: ${LOG_LEVELS.join('|')}; env RILL_LOG_LEVEL`,
    defaultText: 'info',
  },
} as const;

export function commandLogger(io: CommandIO, level: string | undefined, bindings: Record<string, unknown> = {}): Logger {
  try {
    return createLogger({ level: chooseLogLevel(level, io.env), destination: io.stderr, pretty: io.interactive, bindings });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}
