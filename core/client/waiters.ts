/**
 * Callers parked until something happens (records arrive, room frees up,
 * processing progresses): wait() resolves on the next wakeAll(), after `ms`
 * when given, or when `signal` aborts, whichever comes first. A waiter that
 * resolves for any reason leaves the set and clears its timer and listener,
 * so nothing is left behind.
 */
export class Waiters {
  private readonly waiting = new Set<() => void>();

  /** Whether anyone waits (lets a hot path skip wakeAll()). */
  get any(): boolean {
    return this.waiting.size > 0;
  }

  wait(ms?: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiting = this.waiting;
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiting.delete(done);
        resolve();
      }
      if (signal?.aborted) return done();
      waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Resolves every current waiter (one that waits again from its continuation waits for the next wake). */
  wakeAll(): void {
    if (this.waiting.size === 0) return;
    const woken = [...this.waiting];
    this.waiting.clear();
    for (const w of woken) w();
  }
}
