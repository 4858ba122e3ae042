// The kafkajs assigner behind LogConsumer.assign(): each member gets exactly
// the partitions it asked for; a partition two members ask for goes to one.
import { AssignerProtocol } from 'kafkajs';
import { exactAssigner } from '../../../../core/client';

function member(memberId: string, wanted: { topic: string; partition: number }[]) {
  const assigner = exactAssigner(wanted)({} as never);
  return { memberId, memberMetadata: assigner.protocol({ topics: [...new Set(wanted.map((w) => w.topic))] }).metadata };
}

test('each member gets what it asked for, and a contested partition only once', async () => {
  const leader = exactAssigner([])({} as never);
  const result = await leader.assign({
    members: [
      member('b', [
        { topic: 't', partition: 1 },
        { topic: 't', partition: 2 },
      ]),
      member('a', [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ]),
      member('c', []),
    ],
    topics: ['t'],
  });
  const byMember = Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)!.assignment]));
  expect(byMember).toEqual({ a: { t: [0, 1] }, b: { t: [2] }, c: {} });
});
