// The batched replica fetch: one batch per leader for every partition a
// follower follows from it (the pair of brokers is fetch-pair.ts).
import { ErrorCode, type RpcResult } from '../../../../core/cluster';
import { decodeFetchAnswers, decodeFetchBatch, decodeSessionAnswer, encodeFetchAnswers } from '../../../../core/cluster/broker/replica-fetch-wire';
import { BACKOFF_MS, batch, FOLLOWER, LEADER, pair, state, useFetchDirs, values } from './fetch-pair';

useFetchDirs();

test('one batch carries every partition the follower follows from the leader, and each gets its own records', async () => {
  const { leaders, followers, fetchers, sent, settle, close } = pair(4);
  for (const [p, h] of leaders.entries()) h.replica.appendAsLeader(batch(`p${p}-a`, `p${p}-b`), 1);
  fetchers.poll(0);
  await settle();
  // The first batch asked for all four; its answer carried each partition's records.
  expect(sent[0].items.map((i) => i.partition).sort()).toEqual([0, 1, 2, 3]);
  for (const [p, h] of followers.entries()) expect(values(h)).toEqual([`p${p}-a`, `p${p}-b`]);
  // The batch sent after the data reports it: the leader's high watermarks move, and the batch after that is held.
  for (const h of leaders) expect(h.replica.highWatermark).toBe(2);
  // Both batches name all four: the first opens the session, in the second every fetch offset moved.
  expect(sent.map((b) => b.items.length)).toEqual([4, 4]);
  expect(sent[0].session).toEqual({ id: 0, epoch: 0 });
  expect(sent[1].session).toEqual({ id: expect.any(Number), epoch: 1 });
  await close();
});

test('a held batch is answered as soon as any of its partitions gets an append', async () => {
  const { leader, leaders, followers, fetchers, sent, answered, settle, close } = pair(3);
  fetchers.poll(0);
  await settle();
  // Nothing to fetch: the one batch is held at the leader (for a minute).
  expect(sent).toHaveLength(1);
  const held = answered[0];
  leaders[2].replica.appendAsLeader(batch('late'), 1);
  leader.appended(leaders[2]);
  await held;
  await settle();
  expect(values(followers[2])).toEqual(['late']);
  expect(values(followers[0])).toEqual([]);
  await close();
});

test('a partition that starts following while a batch is held sends a wake, and the next batch adds it to the session', async () => {
  const { leaderNode, followerNode, leaders, followers, fetchers, sent, answered, settle, close } = pair(2);
  fetchers.poll(0);
  await settle();
  expect(sent).toHaveLength(1);
  // Nothing changes while the batch is held: no wake.
  fetchers.poll(0);
  expect(sent).toHaveLength(1);
  // A third partition now follows this leader (a leadership change elsewhere).
  const l2 = leaderNode.host(2);
  l2.replica.onPartitionState(state(2), 0);
  l2.replica.appendAsLeader(batch('moved'), 1);
  const f2 = followerNode.host(2);
  f2.replica.onPartitionState(state(2), 0);
  fetchers.track(f2);
  fetchers.poll(0);
  expect(sent).toHaveLength(2);
  // The wake is empty and outside the session: it only releases the held batch.
  expect(sent[1]).toMatchObject({ wake: true, maxWaitMs: 0, items: [], session: undefined });
  await Promise.all(answered.slice(0, 2));
  await settle();
  expect(values(f2)).toEqual(['moved']);
  // The next batch of the session names only the new partition: the other two are unchanged.
  expect(sent[2]).toMatchObject({ wake: false, session: { id: sent[2].session?.id, epoch: 1 } });
  expect(sent[2].session?.id).toBeGreaterThan(0);
  expect(sent[2].items.map((i) => i.partition)).toEqual([2]);
  for (const h of [...followers, f2]) expect(h.replica.role).toBe('follower');
  expect(leaders[0].replica.highWatermark).toBe(0);
  await close();
});

test('a partition whose fetch fails does not stall the others; it is asked again after its backoff', async () => {
  const { life, leaders, followers, fetchers, sent, settle, close } = pair(3);
  // The follower learns of leader epoch 1 for partition 1 before the leader does: the leader answers UNKNOWN_LEADER_EPOCH.
  followers[1].replica.onPartitionState(state(1, { leaderEpoch: 1, partitionEpoch: 1 }), 0);
  for (const [p, h] of leaders.entries()) h.replica.appendAsLeader(batch(`v${p}`), 1);
  fetchers.poll(0);
  await settle();
  expect(values(followers[0])).toEqual(['v0']);
  expect(values(followers[2])).toEqual(['v2']);
  expect(values(followers[1])).toEqual([]);
  // The batches after the error leave partition 1 out while it backs off.
  expect(sent[0].items).toHaveLength(3);
  expect(sent.slice(1).every((b) => b.items.every((i) => i.partition !== 1))).toBe(true);
  const sentBefore = sent.length;
  life.clock = BACKOFF_MS - 1;
  fetchers.poll(life.clock);
  await settle();
  expect(sent).toHaveLength(sentBefore);
  // The leader learns its new epoch; once the backoff is over partition 1 is asked again (a wake: a batch is held) and it catches up.
  leaders[1].replica.onPartitionState(state(1, { leaderEpoch: 1, partitionEpoch: 1 }), 0);
  leaders[1].replica.appendAsLeader(batch('w1'), 1);
  life.clock = BACKOFF_MS;
  fetchers.poll(life.clock);
  await settle();
  expect(values(followers[1])).toEqual(['v1', 'w1']);
  await close();
});

test("the answer's byte budget holds a response to about its size; rotation lets every partition through", async () => {
  const value = 'x'.repeat(1000);
  const { leaders, followers, fetchers, sent, answered, settle, close } = pair(4, 1500);
  for (const h of leaders) h.replica.appendAsLeader(batch(value), 1);
  fetchers.poll(0);
  await settle();
  for (const h of followers) expect(values(h)).toEqual([value]);
  // The first answer carried records of one or two partitions (the budget, 1,500 B, is passed by at most one batch), answering the rest empty.
  const first = (await answered[0]) as Extract<RpcResult, { ok: true }>;
  const withRecords = (first.body as { items: { bytes: number }[] }).items.filter((i) => i.bytes > 0);
  expect(withRecords.length).toBeGreaterThanOrEqual(1);
  expect(withRecords.length).toBeLessThanOrEqual(2);
  expect(first.blob.length).toBeLessThan(1500 + 1100);
  expect(sent.length).toBeGreaterThanOrEqual(2);
  await close();
});

test('a partition whose leader moves leaves the fetcher; one that becomes leader too', async () => {
  const { followers, fetchers, sent, elsewhere, settle, close } = pair(2);
  followers[0].replica.onPartitionState(state(0, { leader: FOLLOWER, leaderEpoch: 1, partitionEpoch: 1 }), 0);
  followers[1].replica.onPartitionState(state(1, { leader: 3, leaderEpoch: 1, partitionEpoch: 1, replicas: [LEADER, FOLLOWER, 3] }), 0);
  for (const h of followers) fetchers.track(h);
  fetchers.poll(0);
  await settle();
  // Partition 1 is asked of broker 3 now; partition 0 is led here and fetched by no one.
  expect(sent).toHaveLength(0);
  expect(elsewhere).toEqual([3]);
  await close();
});

describe('the wire', () => {
  const fetch = { kind: 'fetch', requestId: 1, replicaId: 2, replicaEpoch: 1, currentLeaderEpoch: 0, fetchOffset: 0, maxBytes: 100 };

  test('a malformed batch is refused with its reason', () => {
    expect(decodeFetchBatch(null)).toMatch(/needs replicaId/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: -1, items: [] })).toMatch(/maxWaitMs >= 0/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [{ topic: 't' }] })).toMatch(/item 0 needs topic and partition/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [{ topic: 't', partition: 0, req: { ...fetch, kind: 'produce' } }] })).toMatch(/unknown kind/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [{ topic: 't', partition: 0, req: { ...fetch, maxBytes: -5 } }] })).toMatch(/maxBytes/);
    expect(decodeFetchBatch({ replicaId: 3, maxWaitMs: 0, items: [{ topic: 't', partition: 0, req: fetch }] })).toMatch(/for replica 2, the batch for 3/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [{ topic: 't', partition: 0, req: fetch }] })).toMatchObject({
      wake: false,
      items: [{ req: fetch }],
    });
    // Fetch sessions: the header and the forgotten partitions are checked too.
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [], session: { id: -1, epoch: 0 } })).toMatch(/session needs id >= 0/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [], forget: {} })).toMatch(/forget must be a list/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [], forget: [{ topic: 't' }] })).toMatch(/forget 0 needs topic and partition/);
    expect(decodeFetchBatch({ replicaId: 2, maxWaitMs: 0, items: [], session: { id: 5, epoch: 3 }, forget: [{ topic: 't', partition: 1 }] })).toMatchObject({
      session: { id: 5, epoch: 3 },
      forget: [{ topic: 't', partition: 1 }],
    });
    expect(decodeSessionAnswer({ session: 5, items: [] }, Buffer.alloc(0))).toMatch(/needs session, errorCode and items/);
    expect(decodeSessionAnswer({ session: 5, errorCode: 0, items: [{ kind: 'fetchResponse' }] }, Buffer.alloc(0))).toMatch(
      /answer 0 needs topic and partition/,
    );
  });

  test("answers are matched to requests in order, each fetch's records a view of the blob; bad answers are refused", () => {
    const de = Buffer.from('de');
    const fg = Buffer.from('fg');
    const answers = [
      { kind: 'fetchResponse' as const, requestId: 1, errorCode: 0, highWatermark: 3, logStartOffset: 0, records: [Buffer.from('abc')] },
      { kind: 'offsetForLeaderEpochResponse' as const, requestId: 2, errorCode: 0, leaderEpoch: 0, endOffset: 3, leaderLogEndOffset: 3 },
      { kind: 'fetchResponse' as const, requestId: 3, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, records: [] },
      // Records in two stored buffers (two appends): sent as they are, received as one view.
      { kind: 'fetchResponse' as const, requestId: 4, errorCode: 0, highWatermark: 9, records: [de, fg] },
    ];
    const { body, blob } = encodeFetchAnswers(answers);
    expect(blob).toEqual([Buffer.from('abc'), de, fg]);
    expect((blob as Buffer[])[1]).toBe(de); // the very buffer, not a copy
    const wire = Buffer.concat(blob as Buffer[]);
    const back = decodeFetchAnswers(JSON.parse(JSON.stringify(body)), wire, 4);
    expect(back).toEqual([answers[0], answers[1], answers[2], { ...answers[3], records: [Buffer.from('defg')] }]);
    expect(decodeFetchAnswers(body, wire, 3)).toMatch(/4 items for 3 requests/);
    expect(decodeFetchAnswers(body, wire.subarray(0, 5), 4)).toMatch(/claims 4 bytes past the 5 received/);
    expect(decodeFetchAnswers(body, Buffer.concat([wire, Buffer.from('z')]), 4)).toMatch(/1 bytes no item claims/);
    expect(decodeFetchAnswers({ items: [{ kind: 'fetchResponse', requestId: 1, errorCode: 0 }] }, Buffer.alloc(0), 1)).toMatch(/lacks highWatermark/);
  });
});
