import type { NodeId } from './types';

export interface PendingRead {
  readonly index: number;
  readonly context: string;
  readonly requester: NodeId;
}

/**
 * ReadIndex bookkeeping on the leader (etcd's readOnly, "Safe" mode): each
 * read remembers the commit index when it arrived, and is released once a
 * quorum has answered a heartbeat sent after it, which proves we were still
 * leader at that moment. A quorum for a later read releases all earlier ones.
 */
export class ReadOnly {
  private readonly queue: { read: PendingRead; acks: Set<NodeId> }[] = [];

  add(read: PendingRead, self: NodeId): void {
    if (this.queue.some((q) => q.read.context === read.context)) return;
    this.queue.push({ read, acks: new Set([self]) });
  }

  /** The newest pending context, re-sent with every heartbeat until confirmed. */
  lastContext(): string {
    return this.queue.length === 0 ? '' : this.queue[this.queue.length - 1].read.context;
  }

  ack(context: string, from: NodeId, isQuorum: (acks: ReadonlySet<NodeId>) => boolean): PendingRead[] {
    const at = this.queue.findIndex((q) => q.read.context === context);
    if (at < 0) return [];
    const entry = this.queue[at];
    entry.acks.add(from);
    if (!isQuorum(entry.acks)) return [];
    return this.queue.splice(0, at + 1).map((q) => q.read);
  }

  clear(): void {
    this.queue.length = 0;
  }
}
