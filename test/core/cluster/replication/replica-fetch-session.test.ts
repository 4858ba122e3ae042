// Fetch sessions of the batched replica fetch (KIP-227): a session is opened
// by a full batch; later batches name only what changed, and the leader
// answers only what has news. The pair of brokers is fetch-pair.ts: direct
// calls through the wire encoding, held batches released by appends or by the
// test, never by time.
import { ErrorCode, type RpcResult } from '../../../../core/cluster';
import type { RpcPeer } from '../../../../core/cluster/net/rpc';
import { FetchSessionCache, FollowerSession } from '../../../../core/cluster/broker/replica-fetch-session';
import { ReplicaFetchLeader } from '../../../../core/cluster/broker/replica-fetch-leader';
import type { FetchAnswer, FetchBatch, FetchItem } from '../../../../core/cluster/broker/replica-fetch-wire';
import { batch, FOLLOWER, pair, state, useFetchDirs, values } from './fetch-pair';

useFetchDirs();

type Answer = { session?: number; errorCode?: number; items: { topic: string; partition: number; errorCode: number; bytes?: number }[] };

/** What the leader answered to batch `i` (as it went on the wire). */
async function answerTo(answered: Promise<unknown>[], i: number): Promise<Answer> {
  const r = (await answered[i]) as RpcResult;
  if (!r.ok) throw new Error('the call failed');
  return r.body as Answer;
}

/**
 * A pair whose follower has caught up (one record per partition) and whose
 * session has settled: the batch in flight names nothing and is held.
 */
async function settledPair(partitions: number, connection?: RpcPeer) {
  const p = pair(partitions);
  p.life.connection = connection;
  for (const [i, h] of p.leaders.entries()) h.replica.appendAsLeader(batch(`v${i}`), 1);
  p.fetchers.poll(0);
  await p.settle();
  // Batch 0 fetched the records; batch 1 reported them (held: no records); released, its answer carries the high watermarks.
  const release = async () => {
    p.leader.releaseAll();
    await p.settle();
  };
  await release();
  expect(p.sent).toHaveLength(3);
  return { ...p, release };
}

test('the first batch opens a session; once caught up a batch names nothing, its answer carries nothing, and every replica is still answered', async () => {
  const { sent, answered, followers, leaders, release, close } = await settledPair(3);
  expect(sent[0]).toMatchObject({ session: { id: 0, epoch: 0 }, forget: [] });
  expect(sent[0].items).toHaveLength(3);
  const opened = await answerTo(answered, 0);
  expect(opened.session).toBeGreaterThan(0);
  expect(sent[1]).toMatchObject({ session: { id: opened.session, epoch: 1 } });
  expect(sent[1].items).toHaveLength(3); // every fetch offset moved
  expect(sent[2]).toMatchObject({ session: { id: opened.session, epoch: 2 }, items: [], forget: [] });
  for (const h of followers) expect(h.replica.highWatermark).toBe(1);
  for (const h of leaders) expect(h.replica.highWatermark).toBe(1);
  // Released with nothing new: the answer names no partition, yet the next batch goes out (each replica took its "nothing new").
  await release();
  expect((await answerTo(answered, 2)).items).toEqual([]);
  expect(sent).toHaveLength(4);
  expect(sent[3]).toMatchObject({ session: { id: opened.session, epoch: 3 }, items: [], forget: [] });
  // An idle batch is a few dozen bytes whatever the number of partitions.
  expect(JSON.stringify(sent[3]).length).toBeLessThan(120);
  await close();
});

test('only a partition with new records is answered, and the next batch names only it', async () => {
  const { sent, answered, leader, leaders, followers, settle, close } = await settledPair(3);
  leaders[1].replica.appendAsLeader(batch('w1'), 1);
  leader.appended(leaders[1]);
  await settle();
  const answer = await answerTo(answered, 2);
  expect(answer.items.map((i) => [i.partition, (i.bytes ?? 0) > 0])).toEqual([[1, true]]);
  expect(values(followers[1])).toEqual(['v1', 'w1']);
  expect(values(followers[0])).toEqual(['v0']);
  expect(sent[3].items.map((i) => i.partition)).toEqual([1]);
  await close();
});

test('a partition that stops following this leader is forgotten by the session, and the leader stops serving it', async () => {
  const { sent, answered, leader, leaders, followers, fetchers, elsewhere, release, settle, close } = await settledPair(3);
  // Partition 0 follows broker 3 now.
  followers[0].replica.onPartitionState(state(0, { leader: 3, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, FOLLOWER, 3] }), 0);
  fetchers.track(followers[0]);
  await release();
  expect(sent[3].forget).toEqual([{ topic: 't', partition: 0 }]);
  expect(sent[3].items).toEqual([]);
  fetchers.poll(0);
  expect(elsewhere).toContain(3);
  // The (stale) leader appends to partition 0: the held batch is not on it any more, so it stays held and carries nothing of it.
  leaders[0].replica.appendAsLeader(batch('stale'), 1);
  leader.appended(leaders[0]);
  await settle();
  expect(sent).toHaveLength(4);
  await release();
  expect((await answerTo(answered, 3)).items).toEqual([]);
  expect(values(followers[0])).toEqual(['v0']);
  await close();
});

test('a partition whose leadership moved at the leader gets its error from the session, then leaves it', async () => {
  const { sent, answered, leaders, followers, life, fetchers, release, close } = await settledPair(3);
  // The leader learns first that partition 2 is led by broker 3 at epoch 1; the follower still fetches it at epoch 0.
  leaders[2].replica.onPartitionState(state(2, { leader: 3, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, FOLLOWER, 3] }), 0);
  await release();
  const answer = await answerTo(answered, 2);
  expect(answer.items.map((i) => i.partition)).toEqual([2]);
  expect(answer.items[0].errorCode).not.toBe(0);
  // Answered with an error, partition 2 left the session on both sides: nothing to forget, and (backing off) it is not named.
  expect(sent[3].forget).toEqual([]);
  expect(sent[3].items.map((i) => i.partition)).not.toContain(2);
  // The follower learns the new leader and moves the partition to that leader's fetcher.
  followers[2].replica.onPartitionState(state(2, { leader: 3, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, FOLLOWER, 3] }), 0);
  fetchers.track(followers[2]);
  life.clock += 1000;
  await release();
  expect(sent.slice(4).every((b) => b.items.every((i) => i.partition !== 2))).toBe(true);
  await close();
});

test('a lost session is answered FETCH_SESSION_ID_NOT_FOUND and the follower sends the same requests again in a full batch', async () => {
  const closers: (() => void)[] = [];
  const connection: RpcPeer = { onClose: (l) => closers.push(l) };
  const { sent, answered, leader, leaders, followers, settle, release, close, warnings } = await settledPair(3, connection);
  expect(leader.sessions.size).toBe(1);
  // The follower's connection closes: the leader drops the session opened on it.
  for (const c of closers) c();
  expect(leader.sessions.size).toBe(0);
  await release();
  // Batch 3 (incremental) finds no session; the same requests go again at once, full.
  const lost = await answerTo(answered, 3);
  expect(lost).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, items: [] });
  expect(sent[4]).toMatchObject({ session: { id: 0, epoch: 0 } });
  expect(sent[4].items.map((i) => i.req.requestId)).toEqual(expect.arrayContaining(sent[2].items.map((i) => i.req.requestId)));
  expect(sent[4].items).toHaveLength(3);
  expect(leader.sessions.size).toBe(1);
  // Replication goes on in the new session.
  leaders[0].replica.appendAsLeader(batch('after'), 1);
  leader.appended(leaders[0]);
  await settle();
  expect(values(followers[0])).toEqual(['v0', 'after']);
  expect(warnings).toEqual([]);
  await close();
});

test('a fenced follower keeps no session: its full batches are answered in order until it is unfenced', async () => {
  const { sent, answered, leader, life, release, close, warnings } = await settledPair(2);
  life.followerFenced = true;
  await release();
  expect((await answerTo(answered, 3)).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  expect(leader.sessions.size).toBe(0);
  // The full batch is answered as a leader without sessions answers (in order), so the follower keeps sending full batches.
  expect(sent[4].session).toEqual({ id: 0, epoch: 0 });
  await release();
  expect((await answerTo(answered, 4)).session).toBeUndefined();
  expect(sent[5]).toMatchObject({ session: { id: 0, epoch: 0 } });
  expect(sent[5].items).toHaveLength(2);
  // Unfenced: batch 5 (taken while fenced) is still answered in order; the full batch after it opens a session.
  life.followerFenced = false;
  await release();
  expect(sent[6]).toMatchObject({ session: { id: 0, epoch: 0 } });
  await release();
  expect((await answerTo(answered, 6)).session).toBeGreaterThan(0);
  expect(sent[7]).toMatchObject({ session: { epoch: 1 }, items: [] });
  expect(warnings).toEqual([]);
  await close();
});

test('a batch without a session (a follower from before sessions) is answered in order, held until an append', async () => {
  const { leader, leaders, close } = pair(2);
  const req = (partition: number, requestId: number) => ({
    topic: 't',
    partition,
    req: { kind: 'fetch' as const, requestId, replicaId: FOLLOWER, replicaEpoch: 1, currentLeaderEpoch: 0, fetchOffset: 0, maxBytes: 1 << 20 },
  });
  const held = leader.answer({ replicaId: FOLLOWER, maxWaitMs: 60_000, wake: false, items: [req(0, 7), req(1, 8)], forget: [] }, () => 0);
  leaders[1].replica.appendAsLeader(batch('late'), 1);
  leader.appended(leaders[1]);
  const answer = await held;
  if (answer.kind !== 'inOrder') throw new Error('answered with a session');
  expect(answer.answers.map((a) => [a.requestId, a.kind === 'fetchResponse' && a.records.length > 0])).toEqual([
    [7, false],
    [8, true],
  ]);
  expect(leader.sessions.size).toBe(0);
  await close();
});

describe('the session cache', () => {
  const full = (replicaId: number): FetchBatch => ({ replicaId, maxWaitMs: 0, wake: false, items: [], forget: [], session: { id: 0, epoch: 0 } });
  const opened = (r: ReturnType<FetchSessionCache['resolve']>) => {
    if (typeof r === 'number') throw new Error(`error ${r}`);
    return r.session.id;
  };

  test('one session per follower, at most maxSessions, the least recently used going first', () => {
    const cache = new FetchSessionCache(2);
    const a = opened(cache.resolve(full(1), { id: 0, epoch: 0 }));
    const b = opened(cache.resolve(full(2), { id: 0, epoch: 0 }));
    // A new full batch of follower 2 replaces its session.
    const b2 = opened(cache.resolve(full(2), { id: 0, epoch: 0 }));
    expect(cache.size).toBe(2);
    expect(cache.resolve(full(2), { id: b, epoch: 1 })).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // Follower 1's session is used, so follower 2's is the least recently used when follower 3 opens one.
    expect(typeof cache.resolve(full(1), { id: a, epoch: 1 })).toBe('object');
    opened(cache.resolve(full(3), { id: 0, epoch: 0 }));
    expect(cache.size).toBe(2);
    expect(cache.resolve(full(2), { id: b2, epoch: 1 })).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(typeof cache.resolve(full(1), { id: a, epoch: 2 })).toBe('object');
  });

  test("a wrong epoch, or another follower's session id, is refused; a wrong epoch ends the session", () => {
    const cache = new FetchSessionCache();
    const a = opened(cache.resolve(full(1), { id: 0, epoch: 0 }));
    expect(cache.resolve(full(2), { id: a, epoch: 1 })).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(cache.resolve(full(1), { id: a, epoch: 5 })).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(cache.resolve(full(1), { id: a, epoch: 1 })).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  const fetchOf = (topic: string, partition: number): FetchItem => ({
    topic,
    partition,
    req: { kind: 'fetch', requestId: 1, replicaId: FOLLOWER, fetchOffset: 0, currentLeaderEpoch: 0, replicaEpoch: 1, maxBytes: 1 << 20 },
  });
  const sessionAnswer = (a: FetchAnswer) => {
    if (a.kind !== 'session') throw new Error('answered in order');
    return a.answer;
  };

  test('partitions the leader does not host are answered once with the error and never kept: 100,000 made-up names do not grow a session', async () => {
    // A leader broker hosting nothing: every name a follower sends is one it does not host.
    const leader = new ReplicaFetchLeader(
      { hosted: () => undefined, fetched: () => {}, answered: () => {}, stopped: false, isLive: () => true },
      { maxWaitMs: 0, responseMaxBytes: 1 << 20 },
    );
    let header = { id: 0, epoch: 0 };
    for (let b = 0; b < 50; b++) {
      const items = Array.from({ length: 2000 }, (_, i) => fetchOf(`no-such-topic-${b}`, i));
      const answer = sessionAnswer(await leader.answer({ replicaId: FOLLOWER, maxWaitMs: 0, wake: false, items, session: header, forget: [] }, Date.now));
      expect(answer.errorCode).toBe(0);
      // Only this batch's names, each with its error.
      expect(answer.items).toHaveLength(2000);
      expect(answer.items.every((i) => i.resp.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
      header = { id: answer.sessionId, epoch: header.epoch + 1 };
    }
    // The session kept none of them: a batch naming nothing is served nothing.
    const idle = sessionAnswer(await leader.answer({ replicaId: FOLLOWER, maxWaitMs: 0, wake: false, items: [], session: header, forget: [] }, Date.now));
    expect(idle).toMatchObject({ sessionId: header.id, errorCode: 0, items: [] });
  });

  test('names a batch carries join a session only once answered without an error: a leader that never answers them keeps none', () => {
    // The review's case: batches of 2,000 new names each, resolved and never answered.
    const cache = new FetchSessionCache();
    let header = { id: 0, epoch: 0 };
    let served = 0;
    for (let b = 0; b < 50; b++) {
      const items = Array.from({ length: 2000 }, (_, i) => fetchOf(`no-such-topic-${b}`, i));
      const r = cache.resolve({ replicaId: FOLLOWER, maxWaitMs: 0, wake: false, items, session: header, forget: [] }, header);
      if (typeof r === 'number') throw new Error(`error ${r}`);
      served = r.items.length;
      header = { id: r.session.id, epoch: header.epoch + 1 };
    }
    expect(served).toBe(2000);
  });

  test("the follower's session drops a partition answered with an error, and names it again when it next asks", () => {
    const session = new FollowerSession();
    const due = [{ name: 't-0', ...fetchOf('t', 0) }];
    expect(session.build(due).items).toHaveLength(1);
    const error = { kind: 'fetchResponse', requestId: 1, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, records: [] } as const;
    const took = session.receive({ sessionId: 7, errorCode: 0, items: [{ topic: 't', partition: 0, resp: error }] }, due);
    expect(took).toEqual([error]);
    // The same request again: named (as new), not left for the leader to leave out.
    expect(session.build(due)).toMatchObject({ session: { id: 7, epoch: 1 }, items: [{ topic: 't', partition: 0 }], forget: [] });
  });
});
