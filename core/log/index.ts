// core/log: one partition's log on disk. The only door into this folder.
export { PartitionLog, systemClock, recoverPartitionLog } from './partition-log';
export type { Clock, OpenOptions, AppendOptions, AppendResult, TimestampOffset, LogWarning, LogFailure } from './partition-log';
export { validateBatch, validateStoredBatch, refusalCode, MAX_TIMESTAMP_MS } from './batch-validator';
export type { ValidationMode, ValidateOptions, BatchRefusal } from './batch-validator';
export { parseLogConfig, DEFAULT_LOG_CONFIG, LOG_CONFIG_KEYS, ConfigError, NEVER } from './config';
export type { LogConfig, CleanupPolicy, TimestampType } from './config';
export {
  LogError,
  OffsetOutOfRangeError,
  CorruptRecordError,
  RecordTooLargeError,
  InvalidRecordError,
  LogCorruptionError,
  LogClosedError,
  KafkaStorageError,
} from './errors';
export { encodeRecordBatch, decodeRecordBatch, decodeRecordBatches, checkBatch, crc32c } from './record-batch';
export { RecordBatchBuilder } from './record-batch-builder';
export {
  COMPRESSION_NAMES,
  MAX_DECOMPRESSED_BYTES,
  unwritableCompression,
  compress as compressBatchRecords,
  decompress as decompressBatchRecords,
} from './compression';
export type {
  CompressionName,
  RecordHeader,
  RecordInput,
  EncodeBatchOptions,
  DecodedRecord,
  DecodedBatch,
  DecodeOptions,
  RecordMaker,
  RangeRecordMaker,
  BatchError,
  BatchFrame,
} from './record-batch';
export * as varint from './varint';
// RecordBatch v2 header layout, for readers of stored bytes that need no decode.
export * as batchHeader from './batch-header';
export { readInt64, writeInt64 } from './batch-header';
export { readCheckpoint, writeCheckpoint, CheckpointError } from './checkpoint-file';
export { LogDirCheckpoints } from './log-dir-checkpoints';
export { closeLogsAsync, LOG_CLOSE_CONCURRENCY } from './close-logs';
export type { LogCloseFailure } from './close-logs';
export type { LogDirCheckpointsOptions, CheckpointOffsets } from './log-dir-checkpoints';
export { LeaderEpochCache } from './leader-epoch-cache';
export { LogCleaner } from './cleaner';
export type { CleanerOptions, CleanResult } from './cleaner';
export type { EpochEntry } from './leader-epoch-cache';
export { FileHandleCache, LazyFile, RateLimitedLog, DEFAULT_MAX_OPEN_FILES, sharedFileHandles } from './file-handles';
export type { FileHandleCacheOptions } from './file-handles';
export { DirLock, DirLockedError, LOCK_FILE } from './dir-lock';
export type { LockHolder } from './dir-lock';
export { encodeTxnMarker, controlType, CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT } from './transactions';
export type { TxnMarkerFields } from './transactions';
export type { AbortedTxn } from './txn-index';
