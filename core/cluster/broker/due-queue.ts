// What a cluster broker's 20 ms tick has to visit: each hosted replica is
// filed under the tick slot of the next time something of it is due (an ISR
// change to send or send again, a follower that may have lagged past
// replica.lag.time.max.ms), and a tick takes only the slots that have come.
// At 10,000 replicas the tick walked every one of them every 20 ms, nearly
// all with nothing to do. An input that brings a replica's due time forward
// (a fetch, an append, new partition state, a refused ISR change) files it
// again with advance(); one that pushes it back needs nothing: the replica is
// visited at the old time and filed again then.

export class DueQueue<T> {
  private readonly slots = new Map<number, Set<T>>();
  private readonly slotOf = new Map<T, number>();
  /** The last slot taken: later items go to slots after it. */
  private taken: number;

  /** `start`: the time now (a slot is `slotMs` of it). */
  constructor(
    private readonly slotMs: number,
    start: number,
  ) {
    this.taken = Math.floor(start / slotMs);
  }

  get size(): number {
    return this.slotOf.size;
  }

  has(item: T): boolean {
    return this.slotOf.has(item);
  }

  /** Files `item` for `at` (ms), wherever it was; Infinity (nothing due) takes it out. Never taken before `at`. */
  schedule(item: T, at: number): void {
    this.cancel(item);
    if (at === Infinity) return;
    const slot = this.slotFor(at);
    let set = this.slots.get(slot);
    if (set === undefined) this.slots.set(slot, (set = new Set()));
    set.add(item);
    this.slotOf.set(item, slot);
  }

  /** Files `item` for `at` only if that is before the slot it is filed under (or it is filed nowhere). */
  advance(item: T, at: number): void {
    if (at === Infinity) return;
    const slot = this.slotOf.get(item);
    if (slot === undefined || this.slotFor(at) < slot) this.schedule(item, at);
  }

  cancel(item: T): void {
    const slot = this.slotOf.get(item);
    if (slot === undefined) return;
    this.slotOf.delete(item);
    const set = this.slots.get(slot)!;
    set.delete(item);
    if (set.size === 0) this.slots.delete(slot);
  }

  /**
   * Takes out every item due by `now`, earliest slot first. A `now` before
   * the last slot taken means the wall clock stepped back (NTP, a VM
   * restored): every item was filed on the old clock, and waiting for it to
   * catch up would leave them all unvisited for as long as the step. So
   * everything filed is taken at once (an early visit is harmless). The
   * broker first moves each replica's old-clock times to `now`
   * (PartitionReplica.clockSteppedBack), so it files itself again for its
   * next due time on the new clock.
   */
  takeDue(now: number): T[] {
    const last = Math.floor(now / this.slotMs);
    if (last < this.taken) return this.takeAll(last);
    const due: T[] = [];
    if (last === this.taken) return due;
    // Few slots in use, or many ticks late (a paused process): walk the used slots, not every slot since.
    const slots =
      last - this.taken > this.slots.size
        ? [...this.slots.keys()].filter((s) => s <= last).sort((a, b) => a - b)
        : Array.from({ length: last - this.taken }, (_, i) => this.taken + 1 + i);
    for (const slot of slots) {
      const set = this.slots.get(slot);
      if (set === undefined) continue;
      this.slots.delete(slot);
      for (const item of set) {
        this.slotOf.delete(item);
        due.push(item);
      }
    }
    this.taken = last;
    return due;
  }

  /** Every item filed, whatever its slot; `last` becomes the last slot taken. */
  private takeAll(last: number): T[] {
    const due = [...this.slotOf.keys()];
    this.slots.clear();
    this.slotOf.clear();
    this.taken = last;
    return due;
  }

  /** The first slot whose start is at or after `at`, and after the last slot taken. */
  private slotFor(at: number): number {
    return Math.max(Math.ceil(at / this.slotMs), this.taken + 1);
  }
}
