// When an admin request gives up waiting for its change to be decided and
// shown (a cluster's controller may be moving): the client's timeout, at least
// 1 s and at most 10 s from now. A single node decides at once and ignores it.
const MIN_ADMIN_WAIT_MS = 1000;
export const MAX_ADMIN_WAIT_MS = 10_000;

export function adminDeadline(timeoutMs: number, now = Date.now()): number {
  return now + Math.min(Math.max(timeoutMs, MIN_ADMIN_WAIT_MS), MAX_ADMIN_WAIT_MS);
}
