// Errors of the log, each carrying the Kafka error code a broker answers with.

export class LogError extends Error {
  constructor(
    /** Kafka's error code (protocol ErrorCodes). */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** OFFSET_OUT_OF_RANGE (1): below the log start offset or above the end. */
export class OffsetOutOfRangeError extends LogError {
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
    dir: string,
  ) {
    super(
      1,
      `Offset ${offset} is out of range for ${dir}: the log holds offsets ${logStartOffset} to ${logEndOffset} (end exclusive).${offset < logStartOffset ? ' Older records were deleted by retention or DeleteRecords; seek to the log start offset.' : ''}`,
    );
  }
}

/** CORRUPT_MESSAGE (2): a batch failed its CRC or framing checks. */
export class CorruptRecordError extends LogError {
  constructor(message: string) {
    super(2, message);
  }
}

/** MESSAGE_TOO_LARGE (10). */
export class RecordTooLargeError extends LogError {
  constructor(size: number, limit: number) {
    super(10, `Batch of ${size} bytes is larger than max.message.bytes (${limit}); raise the topic's max.message.bytes or send smaller batches.`);
  }
}

/** INVALID_RECORD (87): well-formed but not acceptable here (e.g. no key on a compacted topic). */
export class InvalidRecordError extends LogError {
  constructor(message: string) {
    super(87, message);
  }
}

/** KAFKA_STORAGE_ERROR (56): the data on disk is damaged; carries the file and position. */
export class LogCorruptionError extends LogError {
  constructor(
    readonly file: string,
    readonly position: number,
    detail: string,
  ) {
    super(
      56,
      `Corrupt data in ${file} at position ${position}: ${detail}. The log was not opened so nothing is lost; inspect the file, or repair it to move the damaged bytes aside into a .corrupt file and truncate there: "rill broker --recover-corruption" (config key log.recover.corruption=true), "rill log recover --data-dir DIR --topic T --partition P" on a stopped broker, or PartitionLog.open(dir, config, { recoverCorruption: true }).`,
    );
  }
}

/**
 * KAFKA_STORAGE_ERROR (56): the partition cannot serve right now — its data on
 * disk is damaged (the partition is in the failed state until repaired), or a
 * write failed (ENOSPC, EIO: the next append tries again).
 */
export class KafkaStorageError extends LogError {
  constructor(message: string) {
    super(56, message);
  }
}

/** The log was used after close(). */
export class LogClosedError extends LogError {
  constructor(dir: string) {
    super(56, `The log in ${dir} is closed.`);
  }
}
