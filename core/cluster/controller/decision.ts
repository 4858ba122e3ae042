// What every controller decision returns: the records to propose (applied in
// order, atomically, as one Raft entry), or a refusal with its Kafka error code.
import * as E from 'fp-ts/Either';
import type { Refusal } from '../errors';
import type { MetadataImage } from '../metadata/image';
import type { MetadataRecord } from '../metadata/records';

export interface Accepted<R> {
  readonly records: readonly MetadataRecord[];
  readonly response: R;
}

export type Decision<R> = E.Either<Refusal, Accepted<R>>;

export function accept<R>(records: readonly MetadataRecord[], response: R): Decision<R> {
  return E.right({ records, response });
}

/** The image after `records`, leaving `image` untouched: decisions that build on their own first records. */
export function imageAfter(image: MetadataImage, records: readonly MetadataRecord[]): MetadataImage {
  const next = image.clone();
  next.applyAll(records);
  return next;
}
