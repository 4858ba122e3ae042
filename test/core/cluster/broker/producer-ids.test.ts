import * as E from 'fp-ts/Either';
import { ErrorCode } from '../../../../core/cluster';
import { PRODUCER_IDS_PER_BROKER_EPOCH, ProducerIdAllocator } from '../../../../core/cluster/broker/producer-ids';

const BLOCK = PRODUCER_IDS_PER_BROKER_EPOCH;
const right = <T>(e: E.Either<unknown, T>): T => {
  if (E.isLeft(e)) throw new Error(`expected an id, got ${JSON.stringify(e.left)}`);
  return e.right;
};

describe('producer ids from the broker epoch', () => {
  test('each broker epoch owns its own block: ids are unique across brokers and incarnations', () => {
    const broker1 = new ProducerIdAllocator();
    const broker2 = new ProducerIdAllocator();
    expect([right(broker1.allocate(3)), right(broker1.allocate(3))]).toEqual([3 * BLOCK, 3 * BLOCK + 1]);
    expect(right(broker2.allocate(4))).toBe(4 * BLOCK);
    // Broker 1 restarts and registers again: a new epoch, a new block, never an old id.
    expect(right(broker1.allocate(5))).toBe(5 * BLOCK);
  });

  test('no id before the broker is registered (retriable), none past 2^53, none past its block (a clear error)', () => {
    const a = new ProducerIdAllocator();
    expect(a.allocate(0)).toMatchObject({ left: { code: ErrorCode.COORDINATOR_NOT_AVAILABLE } });
    const top = Math.floor((Number.MAX_SAFE_INTEGER + 1) / BLOCK);
    expect(a.allocate(top)).toMatchObject({ left: { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: expect.stringMatching(/2\^53/) } });
    const last = right(a.allocate(top - 1));
    expect(last + BLOCK - 1).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    const small = new ProducerIdAllocator(2);
    expect([right(small.allocate(7)), right(small.allocate(7))]).toEqual([14, 15]);
    expect(small.allocate(7)).toMatchObject({
      left: { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: expect.stringMatching(/all 2 producer ids of broker epoch 7; restart it/) },
    });
    expect(right(small.allocate(8))).toBe(16);
  });
});
