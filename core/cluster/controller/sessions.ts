// Heartbeat sessions (KRaft's BrokerHeartbeatManager): soft state of the active
// controller only, never replicated. A newly active controller gives every
// registered member a fresh session, so a failover never fences a live broker.
// Time is passed in; nothing here reads a clock.
export class HeartbeatSessions<Id> {
  private readonly lastSeen = new Map<Id, number>();

  constructor(private readonly timeoutMs: number) {}

  touch(id: Id, now: number): void {
    this.lastSeen.set(id, now);
  }

  forget(id: Id): void {
    this.lastSeen.delete(id);
  }

  /** Members not heard from for longer than the session timeout, oldest first. */
  expired(now: number): Id[] {
    return [...this.lastSeen.entries()]
      .filter(([, seen]) => now - seen > this.timeoutMs)
      .sort((a, b) => a[1] - b[1])
      .map(([id]) => id);
  }
}
