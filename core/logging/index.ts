// core/logging: the process's structured log (pino). Below everything, so every layer may log through it.
export {
  chooseLogLevel,
  createLogger,
  escapeControlCharacters,
  isLogLevel,
  levelLabel,
  lineLog,
  loggerTo,
  LOG_LEVEL_ENV,
  LOG_LEVELS,
  memoryLogger,
  processLogger,
  silentLogger,
} from './logger';
export type { LogFields, LoggedLine, Logger, LoggerOptions, LogLevel, LogLine } from './logger';
