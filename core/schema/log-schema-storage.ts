// The registry's storage on a partition log: the compacted `_schemas` topic.
// Records are appended as one RecordBatch per registry change and fsynced
// before the change is applied; replay reads the log from its start offset.
import { decodeRecordBatches, PartitionLog } from '../log';
import { SchemaRegistry } from './registry';
import type { StoredRecord } from './registry-records';
import type { SchemaStorage } from './schema-storage';

/** The internal topic holding the registry, as in Confluent's registry. */
export const SCHEMAS_TOPIC = '_schemas';

/** Compacted: only the latest value per key matters; tombstones delete. */
const SCHEMAS_LOG_CONFIG = { 'cleanup.policy': 'compact' } as const;

const REPLAY_FETCH_BYTES = 1024 * 1024;

export class LogSchemaStorage implements SchemaStorage {
  /**
   * @param log the `_schemas` partition's log
   * @param ownsLog close the log when the storage closes (true when opened here)
   */
  constructor(
    private readonly log: PartitionLog,
    private readonly ownsLog = false,
  ) {}

  /** Opens (creating if needed) the `_schemas` log in `dir`. */
  static open(dir: string): LogSchemaStorage {
    return new LogSchemaStorage(PartitionLog.open(dir, SCHEMAS_LOG_CONFIG), true);
  }

  append(records: readonly StoredRecord[]): void {
    this.log.appendRecords(records.map((record) => ({ key: record.key, value: record.value })));
    this.log.flush();
  }

  *replay(): Iterable<StoredRecord> {
    let offset = this.log.logStartOffset;
    while (offset < this.log.logEndOffset) {
      const bytes = this.log.read(offset, REPLAY_FETCH_BYTES, this.log.logEndOffset);
      if (bytes.length === 0) break;
      const batches = decodeRecordBatches(bytes);
      if (batches._tag === 'Left') {
        throw new Error(`The ${SCHEMAS_TOPIC} log in ${this.log.dir} is damaged at offset ${offset}: ${batches.left.message}`);
      }
      if (batches.right.length === 0) break;
      for (const batch of batches.right) {
        if (batch.isControl) continue; // a transaction marker holds no schema
        for (const record of batch.records) {
          if (record.key === null) continue; // the registry writes keyed records only
          // Copies: decoded keys and values are views into the fetched bytes.
          yield { key: Buffer.from(record.key), value: record.value === null ? null : Buffer.from(record.value) };
        }
        offset = batch.lastOffset + 1;
      }
    }
  }

  close(): void {
    if (this.ownsLog) this.log.close();
  }
}

/** A registry stored in the `_schemas` log under `dir`: what `Rill.open` and `rill broker` use. */
export function openSchemaRegistry(dir: string): SchemaRegistry {
  return SchemaRegistry.open(LogSchemaStorage.open(dir));
}
