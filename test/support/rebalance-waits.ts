// Waits on the rebalances of RillStreams instances: pass `notify` as their
// onRebalance, then until() re-checks a condition on every rebalance event,
// bounded by `waitMs`.
import type { RebalanceEvent } from '../../dsl';

export type RebalanceWaits = ReturnType<typeof rebalanceWaits>;

export function rebalanceWaits(waitMs: number) {
  const listeners = new Set<() => void>();
  return {
    notify: (_e: RebalanceEvent) => listeners.forEach((l) => l()),
    until(what: string, condition: () => boolean): Promise<void> {
      if (condition()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out after ${waitMs} ms waiting for ${what}`));
        }, waitMs);
        const check = () => {
          if (!condition()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      });
    },
  };
}
