// Where the runtime's log lines go. Every error line names the record
// (topic, partition, offset) so it can be found and replayed.
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(`[rill] ${m}`),
  warn: (m) => console.warn(`[rill] WARN ${m}`),
  error: (m) => console.error(`[rill] ERROR ${m}`),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Keeps lines in memory; for tests and for the test driver's callers. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}
