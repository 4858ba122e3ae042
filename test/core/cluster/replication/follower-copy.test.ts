// A follower's copy over the real RPC link: a leader's stored batches go out
// as they are, the follower reads a large answer's rest straight into the
// answer's memory (no copy out of a read buffer), and its append still checks
// every batch by header and CRC-32C: a batch damaged on the way is refused,
// nothing of that answer is stored, and the next clean answer is.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch, PartitionLog } from '../../../../core/log';
import { PartitionReplica, RpcClient, RpcServer } from '../../../../core/cluster';
import { FrameDecoder } from '../../../../core/cluster/net/frames';
import { decodeFetchAnswers, encodeFetchAnswers, REPLICA_FETCH_METHOD } from '../../../../core/cluster/broker/replica-fetch-wire';
import type { ReplicaFetchRequest } from '../../../../core/cluster/replication/messages';

const LEADER_EPOCH = 3;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-follower-copy-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A leader's log holding `batches` batches of 100 records of 100 bytes (about 11 KB each). */
function leaderLog(batches: number): PartitionLog {
  const log = PartitionLog.open(path.join(dir, 'leader'), {}, { replicated: true });
  const value = Buffer.alloc(100, 7);
  for (let i = 0; i < batches; i++) {
    log.append(encodeRecordBatch({ records: Array.from({ length: 100 }, () => ({ key: null, value })), baseTimestamp: 1_000 }), { leaderEpoch: LEADER_EPOCH });
  }
  log.updateHighWatermark(log.logEndOffset);
  return log;
}

function followerOf(log: PartitionLog): PartitionReplica {
  const replica = new PartitionReplica('t-0', log, {
    brokerId: 2,
    replicaLagTimeMaxMs: 30_000,
    minInsyncReplicas: 1,
    uncleanLeaderElection: false,
    requestTimeoutMs: 30_000,
    alterPartitionRetryMs: 30_000,
    maxFetchBytes: 1 << 20,
    durableAppends: false,
  });
  replica.onPartitionState({ topicId: 1, partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: LEADER_EPOCH, partitionEpoch: 0 }, 0);
  return replica;
}

test('a large answer is read in place and appended; a batch damaged on the way is refused and fetched again', async () => {
  const leader = leaderLog(20);
  const stored = leader.read(0, 1 << 20, leader.logEndOffset);
  expect(stored.length).toBeGreaterThan(200_000);
  let damage = true;
  const server = await RpcServer.listen(
    0,
    '127.0.0.1',
    (_method, body) => {
      const req = (body as { req: ReplicaFetchRequest }).req;
      let records = leader.readChunks(req.fetchOffset, req.maxBytes, leader.logEndOffset);
      if (damage) {
        // One byte of a record in the 10th batch flipped on the way: a copy, the leader's log stays whole.
        const copy = Buffer.concat(records);
        let at = 0;
        for (let i = 0; i < 9; i++) at += copy.readInt32BE(at + 8) + 12;
        copy[at + 61 + 50] ^= 0xff;
        records = [copy];
        damage = false;
      }
      return encodeFetchAnswers([
        { kind: 'fetchResponse', requestId: req.requestId, errorCode: 0, highWatermark: leader.highWatermark, logStartOffset: 0, records },
      ]);
    },
    () => {},
  );
  const client = new RpcClient('127.0.0.1', server.port);
  const followerLog = PartitionLog.open(path.join(dir, 'follower'), {}, { replicated: true });
  const follower = followerOf(followerLog);
  const direct = jest.spyOn(FrameDecoder.prototype, 'restFilled');
  const fetchOnce = async () => {
    const req = follower.nextRequest(0, 1);
    if (req?.kind !== 'fetch') throw new Error(`expected a fetch, got ${JSON.stringify(req)}`);
    const r = await client.call(REPLICA_FETCH_METHOD, { req }, 5000);
    if (!r.ok) throw new Error(r.error);
    const answers = decodeFetchAnswers(r.body, r.blob, 1);
    if (typeof answers === 'string') throw new Error(answers);
    follower.handleFetchResponse(answers[0] as Parameters<PartitionReplica['handleFetchResponse']>[0]);
  };
  try {
    await fetchOnce();
    // Checked by CRC: nothing of the damaged answer is stored, not even the nine whole batches before the damage.
    expect(follower.refusedFetches).toBe(1);
    expect(followerLog.logEndOffset).toBe(0);
    await fetchOnce();
    expect(follower.refusedFetches).toBe(1);
    expect(followerLog.logEndOffset).toBe(leader.logEndOffset);
    expect(followerLog.highWatermark).toBe(leader.logEndOffset);
    // The leader's bytes byte for byte, and the leader's epoch recorded for them.
    expect(followerLog.read(0, 1 << 20, followerLog.logEndOffset).equals(stored)).toBe(true);
    expect(followerLog.leaderEpochs.latestEpoch).toBe(LEADER_EPOCH);
    // Both answers were larger than a read buffer: their rests were read into the answers' own memory.
    expect(direct).toHaveBeenCalled();
  } finally {
    direct.mockRestore();
    client.close();
    await server.close();
    followerLog.close();
    leader.close();
  }
});
