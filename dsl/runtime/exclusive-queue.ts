// Runs a runtime's exclusive work one piece at a time: commits and task
// assignment changes (revoke: commit + close; assign: restore). Processing
// pauses while anything is queued (`busy`), so no record is processed by a
// task that is being committed, closed or restored.

export class ExclusiveQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  /** True from the moment work is queued (synchronously) until the queue is empty. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Queues `work` after what is queued; its result (or error) is the caller's, the queue goes on either way. */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(work);
    this.tail = result.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return result;
  }

  /** Resolves once nothing is queued (work queued meanwhile included). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }
}
