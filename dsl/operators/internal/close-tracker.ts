// For emit-on-close: the windows updated but not yet emitted, released in
// order of their close time once stream time passes it.
export interface PendingWindow<K> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly closeAt: number;
}

export class CloseTracker<K> {
  private readonly pending = new Map<string, PendingWindow<K>>();
  private nextCloseAt = Number.POSITIVE_INFINITY;

  track(id: string, w: PendingWindow<K>): void {
    this.pending.set(id, w);
    if (w.closeAt < this.nextCloseAt) this.nextCloseAt = w.closeAt;
  }

  forget(id: string): void {
    this.pending.delete(id);
  }

  /** Windows whose close time is at or before `streamTime`, by close time then start; removed from tracking. */
  closed(streamTime: number): PendingWindow<K>[] {
    if (streamTime < this.nextCloseAt) return [];
    const out: PendingWindow<K>[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [id, w] of this.pending) {
      if (w.closeAt <= streamTime) {
        out.push(w);
        this.pending.delete(id);
      } else if (w.closeAt < next) next = w.closeAt;
    }
    this.nextCloseAt = next;
    return out.sort((a, b) => a.closeAt - b.closeAt || a.start - b.start);
  }
}
