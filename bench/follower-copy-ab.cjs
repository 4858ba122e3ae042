// Same-process, alternating A/B of a follower's copy of its leader's batches,
// against the floor of that copy on this machine. For each tree: the fetch
// answer a leader sends (its stored batches as they are), through the RPC
// frame encoding and decoding (core/cluster/net/rpc.ts's frame, JSON body and
// blob), the fetch answer's decoding (replica-fetch-wire.ts) and the
// follower's append (PartitionReplica.handleFetchResponse on a real
// PartitionLog: header and CRC check, segment write, index, epochs, producer
// state), leader and follower in this one process over loopback TCP, one
// fetch at a time. The floor: the same bytes sent over loopback as they are,
// received into one reused buffer, CRC-32C checked and written to a file,
// nothing else (bench/replication-floor.ts's floor, with both ends here).
//
//   node bench/follower-copy-ab.cjs BEFORE_TREE [AFTER_TREE (default: this tree)]
//
// BEFORE_TREE is a checkout or `git archive` export of the code to compare
// with. The process moves itself into a 256 MB memory cgroup when it can (see
// bench/memory-cgroup.ts: page-cache writes into fresh memory of this VM cost
// ~2 CPU-ms per MB more than into recycled pages) and first writes enough to
// fill it. Prints CPU-ms per MB (user + system, process.cpuUsage) for each,
// medians of ROUNDS alternating rounds, and the load average.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
require('../test/support/register-ts.js');

const beforeTree = process.argv[2];
if (!beforeTree) {
  process.stderr.write('usage: node bench/follower-copy-ab.cjs BEFORE_TREE [AFTER_TREE]\n');
  process.exit(2);
}
const trees = { before: path.resolve(beforeTree), after: path.resolve(process.argv[3] ?? path.join(__dirname, '..')) };

const MB = 1024 * 1024;
const RECORD_BYTES = Number(process.env.BENCH_RECORD_BYTES ?? 100);
/** A leader's batch (bench:cluster sends ~64 KiB requests for 2 partitions per leader). */
const BATCH_BYTES = 32 * 1024;
/** One fetch answer (bench:cluster's followers receive ~300 KB per answer). */
const ANSWER_BYTES = Number(process.env.BENCH_ANSWER_KB ?? 256) * 1024;
const MB_PER_ROUND = Number(process.env.BENCH_MB ?? 128);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CGROUP_MB = 256;

function confine() {
  try {
    const { MemoryCgroup } = require('./memory-cgroup.ts');
    const cg = MemoryCgroup.create('rill-bench-follower-copy', CGROUP_MB);
    cg.add(process.pid);
    return `${CGROUP_MB} MB memory cgroup`;
  } catch (e) {
    return `no memory cgroup (${e.message})`;
  }
}

/** The leader's stored batches: records of RECORD_BYTES, offsets assigned, epoch stamped, cut into answers of whole batches. */
function leaderAnswers(tree, dir) {
  const log = require(path.join(tree, 'core/log'));
  const leader = log.PartitionLog.open(path.join(dir, 'leader'), {}, { replicated: true });
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (RECORD_BYTES + 8)));
  const value = Buffer.alloc(RECORD_BYTES, 7);
  const batches = Math.ceil((ANSWER_BYTES * 16) / BATCH_BYTES);
  for (let i = 0; i < batches; i++) {
    const batch = log.encodeRecordBatch({ records: Array.from({ length: perBatch }, () => ({ key: null, value })), baseTimestamp: 1_700_000_000_000 });
    leader.append(batch, { leaderEpoch: 3 });
  }
  leader.updateHighWatermark(leader.logEndOffset);
  const stored = leader.read(0, 1 << 30, leader.logEndOffset);
  leader.close();
  const answers = [];
  for (let at = 0; at < stored.length; ) {
    let end = at;
    while (end < stored.length && end - at < ANSWER_BYTES) end += stored.readInt32BE(end + 8) + 12;
    answers.push(Buffer.from(stored.subarray(at, end)));
    at = end;
  }
  return answers;
}

/** A follower of `tree` and its leader's RPC server: `copy(megabytes)` fetches the leader's answers over loopback, one fetch at a time, and appends them. */
async function follower(tree, dir, answers) {
  const { PartitionLog } = require(path.join(tree, 'core/log'));
  const { PartitionReplica } = require(path.join(tree, 'core/cluster'));
  const { RpcServer, RpcClient } = require(path.join(tree, 'core/cluster/net/rpc.ts'));
  const wire = require(path.join(tree, 'core/cluster/broker/replica-fetch-wire.ts'));
  const log = PartitionLog.open(dir, {}, { replicated: true });
  const replica = new PartitionReplica('t-0', log, {
    brokerId: 2,
    replicaLagTimeMaxMs: 30_000,
    minInsyncReplicas: 2,
    uncleanLeaderElection: false,
    requestTimeoutMs: 30_000,
    alterPartitionRetryMs: 30_000,
    maxFetchBytes: 1 << 20,
    durableAppends: false,
  });
  replica.onPartitionState({ topicId: 1, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 3, partitionEpoch: 0 }, 0);
  let turn = 0;
  // The leader: answers each fetch with the next stored run as it is (its base offsets moved to continue the follower's log).
  const server = await RpcServer.listen(
    0,
    '127.0.0.1',
    (_method, body) => {
      const req = body.items[0].req;
      const answer = answers[turn++ % answers.length];
      let next = req.fetchOffset;
      for (let at = 0; at < answer.length; at += answer.readInt32BE(at + 8) + 12) {
        answer.writeBigInt64BE(BigInt(next), at);
        next += answer.readInt32BE(at + 23) + 1;
      }
      return wire.encodeFetchAnswers([
        { kind: 'fetchResponse', requestId: req.requestId, errorCode: 0, highWatermark: next, logStartOffset: 0, records: [answer] },
      ]);
    },
    () => {},
  );
  const client = new RpcClient('127.0.0.1', server.port);
  const copy = async (megabytes) => {
    let bytes = 0;
    while (bytes < megabytes * MB) {
      const req = replica.nextRequest(0, 1);
      if (req.kind !== 'fetch') {
        replica.handleOffsetForLeaderEpochResponse({
          kind: 'offsetForLeaderEpochResponse',
          requestId: req.requestId,
          errorCode: 0,
          leaderEpoch: 3,
          endOffset: 0,
          leaderLogEndOffset: 0,
        });
        continue;
      }
      const r = await client.call(
        wire.REPLICA_FETCH_METHOD,
        { replicaId: 2, maxWaitMs: 0, wake: false, items: [{ topic: 't', partition: 0, req }], forget: [] },
        10_000,
      );
      if (!r.ok) throw new Error(r.error);
      const decoded = wire.decodeFetchAnswers(r.body, r.blob, 1);
      if (typeof decoded === 'string') throw new Error(decoded);
      const before = log.logEndOffset;
      replica.handleFetchResponse(decoded[0]);
      if (log.logEndOffset === before) throw new Error(`the follower refused the answer at ${before}`);
      client.recycle(r.blob);
      bytes += r.blob.length;
    }
    return bytes;
  };
  copy.close = () => {
    client.close();
    log.close();
    return server.close();
  };
  return copy;
}

/** The floor: the same runs sent over loopback as raw bytes, received into one reused buffer, CRC-32C checked per batch and written to a file. */
async function floor(tree, dir, answers) {
  const net = require('node:net');
  const { crc32c } = require(path.join(tree, 'core/log/crc32c.ts'));
  const fd = fs.openSync(path.join(dir, 'floor.log'), 'w');
  let turn = 0;
  const server = net.createServer((socket) => socket.on('data', () => socket.write(answers[turn++ % answers.length])));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const buffer = Buffer.allocUnsafe(1 << 20);
  let filled = 0;
  let want = 0;
  let waiting;
  let position = 0;
  const socket = net.connect({
    host: '127.0.0.1',
    port: server.address().port,
    onread: {
      buffer: () => buffer.subarray(filled),
      callback: (n) => {
        filled += n;
        if (filled >= want) waiting();
      },
    },
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  const copy = async (megabytes) => {
    let bytes = 0;
    let sink = 0;
    while (bytes < megabytes * MB) {
      want = answers[turn % answers.length].length;
      filled = 0;
      await new Promise((resolve) => {
        waiting = resolve;
        socket.write('f');
      });
      for (let at = 0; at < want; ) {
        const size = buffer.readInt32BE(at + 8) + 12;
        sink ^= crc32c(buffer, at + 21, at + size);
        at += size;
      }
      fs.writeSync(fd, buffer, 0, want, position);
      position += want;
      bytes += want;
    }
    return sink === 0.5 ? 0 : bytes;
  };
  copy.close = () => {
    socket.destroy();
    fs.closeSync(fd);
    return new Promise((resolve) => server.close(resolve));
  };
  return copy;
}

const cpu = (u) => ({ user: u.user / 1000, system: u.system / 1000 });

async function measure(copy) {
  const t0 = process.cpuUsage();
  const bytes = await copy(MB_PER_ROUND);
  const u = cpu(process.cpuUsage(t0));
  const mb = bytes / MB;
  return { total: (u.user + u.system) / mb, user: u.user / mb, system: u.system / mb };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round2 = (x) => Math.round(x * 100) / 100;

async function main() {
  const cgroup = confine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-follower-copy-'));
  try {
    const answers = leaderAnswers(trees.after, dir);
    const copies = {
      floor: await floor(trees.after, dir, answers),
      before: await follower(trees.before, path.join(dir, 'before'), answers),
      after: await follower(trees.after, path.join(dir, 'after'), answers),
    };
    // Warm-up: the compilers, and the cgroup's page cache filled so later writes recycle pages.
    for (const copy of Object.values(copies)) await copy(CGROUP_MB / 2);
    const results = { floor: [], before: [], after: [] };
    const loadBefore = os.loadavg().map(round2);
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ['floor', 'before', 'after'] : ['after', 'before', 'floor'];
      for (const name of order) results[name].push(await measure(copies[name]));
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([name, rs]) => [
        name,
        {
          cpuMsPerMB: round2(median(rs.map((r) => r.total))),
          userMsPerMB: round2(median(rs.map((r) => r.user))),
          systemMsPerMB: round2(median(rs.map((r) => r.system))),
          rounds: rs.map((r) => round2(r.total)),
        },
      ]),
    );
    // Paired by round (the two ran back to back), so the machine's load moves both alike.
    const paired = (key) => round2(median(results.after.map((r, i) => r[key] - results.before[i][key])));
    summary.afterMinusBefore = { cpuMsPerMB: paired('total'), userMsPerMB: paired('user'), systemMsPerMB: paired('system') };
    console.log(
      JSON.stringify(
        {
          recordBytes: RECORD_BYTES,
          answerBytes: ANSWER_BYTES,
          mbPerRound: MB_PER_ROUND,
          rounds: ROUNDS,
          cgroup,
          load: [loadBefore, os.loadavg().map(round2)],
          ...summary,
        },
        null,
        2,
      ),
    );
    for (const copy of Object.values(copies)) await copy.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
