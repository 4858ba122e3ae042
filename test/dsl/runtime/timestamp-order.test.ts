import { timestampOrder } from '../../../dsl/runtime/timestamp-order';
import type { LogRecord } from '../../../dsl';

const r = (topic: string, offset: number, timestamp: number): LogRecord => ({ topic, partition: 0, offset, timestamp, key: null, value: null });

test('across partitions by timestamp, within a partition by offset', () => {
  const batch = [r('a', 0, 5), r('a', 1, 1), r('a', 2, 9), r('b', 0, 2), r('b', 1, 6)];
  expect(timestampOrder(batch).map((x) => `${x.topic}${x.offset}`)).toEqual(['b0', 'a0', 'a1', 'b1', 'a2']);
});
