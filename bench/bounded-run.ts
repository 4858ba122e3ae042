// A bench's bounded lifetime: whatever way the bench ends (its time is up, a
// signal, an uncaught error, a normal exit), `killAll` runs first, so no node
// or JVM it started outlives it. killAll must be synchronous (it runs in
// process 'exit').
export function boundRun(name: string, timeoutMs: number, killAll: () => void): { done(): void } {
  const fail = (why: string, code: number) => {
    process.stderr.write(`${name}: ${why}; killing what it started\n`);
    killAll();
    process.exit(code);
  };
  const watchdog = setTimeout(() => fail(`still running after ${timeoutMs} ms, giving up`, 1), timeoutMs);
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => fail(sig, 130));
  process.on('uncaughtException', (e) => fail(String(e.stack ?? e), 1));
  process.on('unhandledRejection', (e) => fail(`unhandled rejection: ${(e as Error)?.stack ?? e}`, 1));
  return { done: () => clearTimeout(watchdog) };
}
