import * as E from 'fp-ts/Either';
import { MetadataImage, type Decision, type MetadataRecord } from '../../../../core/cluster';

/** An image with unfenced brokers `ids` (rack `r<id % racks>` when racks > 0). */
export function clusterOf(ids: number[], racks = 0): MetadataImage {
  const records: MetadataRecord[] = [];
  ids.forEach((id, k) => {
    records.push({ type: 'RegisterBroker', brokerId: id, brokerEpoch: k + 1, rack: racks > 0 ? `r${id % racks}` : null, host: `h${id}`, port: 9092 });
    records.push({ type: 'UnfenceBroker', brokerId: id, brokerEpoch: k + 1 });
  });
  return MetadataImage.fromRecords(records);
}

/** Applies an accepted decision to `image` and returns its response; fails the test on a refusal. */
export function accepted<R>(image: MetadataImage, d: Decision<R>): { records: readonly MetadataRecord[]; response: R } {
  if (E.isLeft(d)) throw new Error(`refused: ${d.left.code} ${d.left.message}`);
  const outcomes = image.applyAll(d.right.records);
  expect(outcomes.every((o) => o.applied)).toBe(true);
  return d.right;
}

export function refusedWith<R>(d: Decision<R>): number {
  if (E.isRight(d)) throw new Error(`accepted: ${JSON.stringify(d.right.records)}`);
  return d.left.code;
}
