// Where the registry keeps its records. The registry only needs to append
// keyed records and to replay them from the start; everything else (what a
// record means, compaction semantics) lives in the registry.
import type { StoredRecord } from './registry-records';

export interface SchemaStorage {
  /**
   * Appends records in order. A local storage returns once they are durable;
   * a remote one (a log over the network) once they are on their way, and
   * they are durable when `flushed()` resolves. Throws when they cannot be
   * stored: the registry then refuses the change.
   */
  append(records: readonly StoredRecord[]): void;
  /** Remote storages: resolves once everything appended so far is durable, rejects if some of it could not be written. */
  flushed?(): Promise<void>;
  /**
   * Every record from the start, in append order. A compacted log may have
   * dropped records superseded by a later one with the same key: replaying
   * "latest value per key wins" gives the same state either way.
   */
  replay(): Iterable<StoredRecord>;
  /** A remote storage finishes its writes first (its promise). */
  close(): void | Promise<void>;
}

/**
 * Keeps records in memory only: for tests and throwaway registries. Nothing
 * survives the process; use a log- or file-backed storage for anything else.
 */
export class EphemeralSchemaStorage implements SchemaStorage {
  private readonly records: StoredRecord[] = [];

  append(records: readonly StoredRecord[]): void {
    this.records.push(...records);
  }

  replay(): Iterable<StoredRecord> {
    return [...this.records];
  }

  close(): void {}
}
