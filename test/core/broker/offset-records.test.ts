import { isRight } from 'fp-ts/Either';
import { decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue, offsetsPartitionFor } from '../../../core/broker';

describe('__consumer_offsets records', () => {
  it('encode Kafka OffsetCommitKey v1 / OffsetCommitValue v3 byte for byte', () => {
    const key = encodeOffsetKey({ group: 'g', topic: 't', partition: 3 });
    expect(key.toString('hex')).toBe('0001' + '0001' + '67' + '0001' + '74' + '00000003');
    const value = encodeOffsetValue({ offset: 42, leaderEpoch: -1, metadata: '', commitTimestamp: 1000 });
    expect(value.toString('hex')).toBe('0003' + '000000000000002a' + 'ffffffff' + '0000' + '00000000000003e8');
    const k = decodeOffsetKey(key);
    const v = decodeOffsetValue(value);
    expect(isRight(k) && k.right).toEqual({ group: 'g', topic: 't', partition: 3 });
    expect(isRight(v) && v.right).toEqual({ offset: 42, leaderEpoch: -1, metadata: '', commitTimestamp: 1000 });
  });

  it('reads every OffsetCommitValue version Kafka writes: v1 with its expire timestamp, v4 flexible', () => {
    const v1 = Buffer.from('0001' + '000000000000002a' + '0001' + '6d' + '00000000000003e8' + 'ffffffffffffffff', 'hex');
    expect(decodeOffsetValue(v1)).toEqual({ _tag: 'Right', right: { offset: 42, leaderEpoch: -1, metadata: 'm', commitTimestamp: 1000 } });
    const v4 = Buffer.from('0004' + '000000000000002a' + '00000005' + '02' + '6d' + '00000000000003e8' + '00', 'hex');
    expect(decodeOffsetValue(v4)).toEqual({ _tag: 'Right', right: { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000 } });
    expect(decodeOffsetValue(Buffer.from('0005', 'hex'))._tag).toBe('Left');
  });

  it('skips group metadata keys and rejects truncated records as values', () => {
    expect(decodeOffsetKey(Buffer.from([0, 2, 0, 1, 0x67]))).toEqual({ _tag: 'Right', right: undefined });
    expect(decodeOffsetKey(Buffer.from([0, 1, 0, 9]))._tag).toBe('Left');
    expect(decodeOffsetValue(Buffer.from([0, 3, 0]))._tag).toBe('Left');
  });

  it('places a group on the partition Kafka would (abs(hashCode) % n)', () => {
    // Java: "my-group".hashCode() == -1906497762 (computed with 32-bit arithmetic independently of the code under test)
    expect(offsetsPartitionFor('my-group', 50)).toBe(1906497762 % 50);
    expect(offsetsPartitionFor('', 50)).toBe(0);
  });
});
