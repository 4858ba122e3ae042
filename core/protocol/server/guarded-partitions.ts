// A failure isolated to the partition it happened on: a PartitionPort call for
// one partition (Produce, ListOffsets, OffsetForLeaderEpoch, DeleteRecords, WriteTxnMarkers) that
// throws, or whose promise rejects, becomes that partition's refusal
// (KAFKA_STORAGE_ERROR for a disk failure such as ENOSPC or EIO, else
// UNKNOWN_SERVER_ERROR), so the other partitions of the same request are served
// normally and the client keeps its connection. A port is expected to answer
// with refusals; a throw is a bug or an unexpected fault, so it is logged.
import { left, type Either } from 'fp-ts/Either';
import type { Logger } from '../../logging';
import type { MaybeAsync, PartitionPort, PortError } from '../ports';
import { failureCode } from './error-answer';

export function guardedPartitions(port: PartitionPort, logger: Logger): PartitionPort {
  const refusal =
    (what: string, topic: string, partition: number) =>
    (e: unknown): Either<PortError, never> => {
      const code = failureCode(e);
      logger.error({ err: e, topic, partition, errorCode: code }, `${what} failed on the broker; that partition answers error ${code}`);
      return left({ code, message: `${what} of ${topic}-${partition} failed on the broker: ${(e as Error)?.message ?? String(e)}` });
    };
  const guard = <T>(what: string, topic: string, partition: number, call: () => Either<PortError, T>): Either<PortError, T> => {
    try {
      return call();
    } catch (e) {
      return refusal(what, topic, partition)(e);
    }
  };
  const guardAsync = <T>(what: string, topic: string, partition: number, call: () => MaybeAsync<Either<PortError, T>>): MaybeAsync<Either<PortError, T>> => {
    try {
      const result = call();
      return result instanceof Promise ? result.catch(refusal(what, topic, partition)) : result;
    } catch (e) {
      return refusal(what, topic, partition)(e);
    }
  };
  return {
    produce: (topic, partition, records, acks, timeoutMs) =>
      guardAsync('Produce', topic, partition, () => port.produce(topic, partition, records, acks, timeoutMs)),
    // A Fetch asks for many partitions in one call: a throw fails the request, answered per partition (error-answer.ts).
    fetch: (wanted) => port.fetch(wanted),
    listOffset: (topic, partition, timestamp, isolationLevel) =>
      guard('ListOffsets', topic, partition, () => port.listOffset(topic, partition, timestamp, isolationLevel)),
    offsetForLeaderEpoch: (topic, partition, currentLeaderEpoch, leaderEpoch) =>
      guard('OffsetForLeaderEpoch', topic, partition, () => port.offsetForLeaderEpoch(topic, partition, currentLeaderEpoch, leaderEpoch)),
    deleteRecords: (topic, partition, beforeOffset) => guard('DeleteRecords', topic, partition, () => port.deleteRecords(topic, partition, beforeOffset)),
    initProducerId: () => port.initProducerId(),
    writeTxnMarker: (topic, partition, marker) => guardAsync('WriteTxnMarkers', topic, partition, () => port.writeTxnMarker(topic, partition, marker)),
  };
}
