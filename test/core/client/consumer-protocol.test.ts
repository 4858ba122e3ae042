import { isRight } from 'fp-ts/Either';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../../core/client';

/* eslint-disable @typescript-eslint/no-require-imports */
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol') as {
  MemberMetadata: {
    encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer;
    decode(b: Buffer): { version: number; topics: string[]; userData: Buffer };
  };
  MemberAssignment: {
    encode(a: { version: number; assignment: Record<string, number[]>; userData?: Buffer }): Buffer;
    decode(b: Buffer): { assignment: Record<string, number[]> } | null;
  };
};
/* eslint-enable @typescript-eslint/no-require-imports */

describe('ConsumerProtocol bytes', () => {
  it('reads the subscriptions and assignments kafkajs writes, and kafkajs reads ours', () => {
    const theirs = decodeSubscription(MemberMetadata.encode({ version: 0, topics: ['a', 'b'] }));
    expect(isRight(theirs) && theirs.right).toEqual({ topics: ['a', 'b'], userData: Buffer.alloc(0), ownedPartitions: [] });
    const ours = encodeSubscription({ topics: ['x'], userData: null, ownedPartitions: [{ topic: 'x', partition: 2 }] });
    expect(MemberMetadata.decode(ours).topics).toEqual(['x']);
    const back = decodeSubscription(ours);
    expect(isRight(back) && back.right.ownedPartitions).toEqual([{ topic: 'x', partition: 2 }]);

    const assignment = decodeAssignment(MemberAssignment.encode({ version: 0, assignment: { a: [0, 2], b: [1] } }));
    expect(isRight(assignment) && assignment.right.partitions).toEqual([
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 2 },
      { topic: 'b', partition: 1 },
    ]);
    const encoded = encodeAssignment({
      partitions: [
        { topic: 'b', partition: 3 },
        { topic: 'a', partition: 1 },
      ],
      userData: null,
    });
    expect(MemberAssignment.decode(encoded)!.assignment).toEqual({ b: [3], a: [1] });
  });

  it('turns malformed bytes into errors, never exceptions', () => {
    for (const bad of [Buffer.from([0, 1, 0x7f, 0xff, 0xff, 0xff]), Buffer.from([0]), Buffer.from([0, 0, 0, 0, 0, 1, 0, 9, 1])]) {
      expect(decodeSubscription(bad)._tag).toBe('Left');
      expect(decodeAssignment(bad)._tag).toBe('Left');
    }
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ _tag: 'Right', right: { partitions: [], userData: null } });
  });

  it('writes Subscription v1 and Assignment v0 byte for byte, and reads newer versions with the newest format known', () => {
    const subscription = encodeSubscription({ topics: ['x'], userData: null, ownedPartitions: [{ topic: 'x', partition: 2 }] });
    expect(subscription.toString('hex')).toBe('0001' + '00000001' + '0001' + '78' + 'ffffffff' + '00000001' + '0001' + '78' + '00000001' + '00000002');
    const assignment = encodeAssignment({
      partitions: [
        { topic: 'b', partition: 3 },
        { topic: 'a', partition: 1 },
      ],
      userData: Buffer.from('u'),
    });
    expect(assignment.toString('hex')).toBe(
      '0000' + '00000002' + '0001' + '62' + '00000001' + '00000003' + '0001' + '61' + '00000001' + '00000001' + '00000001' + '75',
    );
    // v3 (a field this code does not know after generationId) is read as v2: the unknown tail is ignored.
    const v3 = Buffer.from('0003' + '00000001' + '0001' + '78' + 'ffffffff' + '00000000' + '00000007' + 'ffff', 'hex');
    expect(decodeSubscription(v3)).toEqual({ _tag: 'Right', right: { topics: ['x'], userData: null, ownedPartitions: [] } });
  });
});
