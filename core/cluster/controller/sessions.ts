// Heartbeat sessions (KRaft's BrokerHeartbeatManager): soft state of the active
// controller only, never replicated. A newly active controller gives every
// registered member a fresh session, so a failover never fences a live broker.
// Time is passed in; nothing here reads a clock.
//
// A session ends when its member is not heard from for the session timeout, or
// sooner, a short grace after the connection its heartbeats came on closed: a
// process killed with kill -9 has its sockets closed by the kernel at once, so
// waiting out the whole timeout only keeps its partitions leaderless. A live
// member whose connection merely broke reconnects with its next heartbeat,
// which ends the grace. A member that goes silent without a close (a paused
// process, a cut link) still has the full timeout.
export class HeartbeatSessions<Id> {
  private readonly lastSeen = new Map<Id, number>();
  /** Members whose connection closed: when their session ends unless they are heard from first. */
  private readonly endsAt = new Map<Id, number>();

  constructor(private readonly timeoutMs: number) {}

  touch(id: Id, now: number): void {
    this.lastSeen.set(id, now);
    this.endsAt.delete(id);
  }

  /** The connection `id`'s heartbeats came on closed at `now`: its session ends `graceMs` later unless it is heard from again. */
  disconnected(id: Id, now: number, graceMs: number): void {
    if (!this.lastSeen.has(id)) return;
    const end = now + graceMs;
    if (end < (this.endsAt.get(id) ?? Infinity)) this.endsAt.set(id, end);
  }

  forget(id: Id): void {
    this.lastSeen.delete(id);
    this.endsAt.delete(id);
  }

  /** Members not heard from for longer than the session timeout, or past the grace after their connection closed; oldest first. */
  expired(now: number): Id[] {
    return [...this.lastSeen.entries()]
      .filter(([id, seen]) => now - seen > this.timeoutMs || now >= (this.endsAt.get(id) ?? Infinity))
      .sort((a, b) => a[1] - b[1])
      .map(([id]) => id);
  }
}
