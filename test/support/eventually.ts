// Re-checks a condition until it holds, bounded: for state that another
// process's or the cluster's work settles (a user committed, counts caught up).

export async function eventually(what: string, condition: () => Promise<boolean>, waitMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
