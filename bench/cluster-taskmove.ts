// Task move time of `rill worker` for bench/cluster.ts: 3 workers run
// bench/cluster-pipeline.ts (a count per key) over an input of KEYS distinct
// keys, so the application holds KEYS entries of state spread over its tasks.
// Then, per round, one worker that owns tasks is stopped (SIGKILL: the
// controllers notice through its session timeout; SIGTERM: it commits and
// leaves, and its tasks move at once) and a probe record is written at once to
// one of its tasks' partitions, with a key counted once already. Measured from
// the stop: another worker reports the task added, and the probe's count (2,
// which needs the restored state) appears in the output topic.
import { isLeft } from 'fp-ts/Either';
import { decodeRecordBatches, encodeRecordBatch } from '../core/log';
import { apis, KafkaConnection } from '../core/protocol';
import { ErrorCode } from '../core/wire';
import { TASK_MOVE_INPUT, TASK_MOVE_OUTPUT } from './cluster-pipeline';
import { pause, type ClusterNodes, type NodeKey } from './cluster-nodes';

export interface TaskMoveRound {
  round: number;
  how: 'SIGKILL' | 'SIGTERM';
  victim: string;
  victimTasks: number[];
  probePartition: number;
  /** Stop -> another worker prints the task as added. */
  reassignedMs: number;
  /** Stop -> the probe's updated count is in the output topic (restore + processing done). */
  firstOutputMs: number;
  /** The probe's count in the output; 2 when every record before it was counted exactly once. */
  probeCount: number;
  expectedProbeCount: number;
}

export interface TaskMoveResult {
  keys: number;
  partitions: number;
  workers: number;
  loadSeconds: number;
  loadRecordsPerSec: number;
  workerSessionTimeoutMs: string;
  standbyReplicas: number;
  rounds: TaskMoveRound[];
}

const APP = 'bench-tm';
const WORKER_IDS = [1, 2, 3];

type Tasks = Map<NodeKey, { tasks: number[]; at: number }>;

function parseTaskLine(line: string): { tasks: number[]; added: number[] } | undefined {
  const m = /tasks \[([\d,]*)\] added \[([\d,]*)\]/.exec(line);
  if (m === null) return undefined;
  const list = (s: string) => (s === '' ? [] : s.split(',').map(Number));
  return { tasks: list(m[1]), added: list(m[2]) };
}

async function leaderConnections(nodes: ClusterNodes, topic: string): Promise<{ leaders: Map<number, number>; conns: Map<number, KafkaConnection> }> {
  const parts = await nodes.partitions(topic);
  if (parts === undefined || parts.some((p) => p.leaderId < 0)) throw new Error(`task move: no leaders for ${topic}`);
  const leaders = new Map(parts.map((p) => [p.partitionIndex, p.leaderId]));
  const conns = new Map<number, KafkaConnection>();
  for (const id of new Set(leaders.values()))
    conns.set(id, await KafkaConnection.connect(nodes.bootstrap(id), { timeoutMs: 30_000, clientId: 'rill-bench-tm' }));
  return { leaders, conns };
}

const keyOf = (i: number) => `key-${i}`;

/** UNKNOWN_TOPIC_OR_PARTITION and LEADER_NOT_AVAILABLE: a just-created partition's leader is still opening it. */
const NOT_HOSTED_YET = new Set<number>([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE]);
const LOAD_ATTEMPTS = 100;

/** Writes keys 0..keys-1 once each, key i to partition i % partitions, acks=1. */
async function load(nodes: ClusterNodes, keys: number, partitions: number): Promise<void> {
  const { leaders, conns } = await leaderConnections(nodes, TASK_MOVE_INPUT);
  const value = Buffer.from('v');
  const perBatch = 2000;
  try {
    const inflight: Promise<void>[] = [];
    for (let p = 0; p < partitions; p++) {
      inflight.push(
        (async () => {
          const conn = conns.get(leaders.get(p)!)!;
          for (let i = p; i < keys; i += perBatch * partitions) {
            const records = [];
            for (let j = i; j < keys && j < i + perBatch * partitions; j += partitions) records.push({ key: Buffer.from(keyOf(j)), value });
            const request = {
              transactionalId: null,
              acks: 1,
              timeoutMs: 30_000,
              topicData: [{ name: TASK_MOVE_INPUT, partitionData: [{ index: p, records: encodeRecordBatch({ records }) }] }],
            };
            // A leader named by the metadata image may not host its new replica yet: retry that, briefly.
            for (let attempt = 1; ; attempt++) {
              const r = await conn.request<apis.ProduceResponse>(apis.produce, request);
              const code = r.responses[0].partitionResponses[0].errorCode;
              if (code === 0) break;
              if (!NOT_HOSTED_YET.has(code) || attempt >= LOAD_ATTEMPTS) throw new Error(`task move: loading partition ${p} failed with error ${code}`);
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
          }
        })(),
      );
    }
    await Promise.all(inflight);
  } finally {
    for (const c of conns.values()) c.close();
  }
}

/** High watermarks of every partition of `topic`. */
async function endOffsets(nodes: ClusterNodes, topic: string): Promise<Map<number, number>> {
  const { leaders, conns } = await leaderConnections(nodes, topic);
  const out = new Map<number, number>();
  try {
    for (const [id, conn] of conns) {
      const mine = [...leaders].filter(([, l]) => l === id).map(([p]) => p);
      const r = await conn.request<apis.ListOffsetsResponse>(apis.listOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: mine.map((partitionIndex) => ({ partitionIndex, timestamp: -1, maxNumOffsets: 1 })) }],
      });
      for (const p of r.topics[0].partitions) out.set(p.partitionIndex, p.offset);
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  return out;
}

/** Polls the output topic from `from` until a record with key `key` shows up; its value and when it was seen. */
async function watchOutput(nodes: ClusterNodes, from: Map<number, number>, key: string, until: number): Promise<{ at: number; value: string }> {
  const { leaders, conns } = await leaderConnections(nodes, TASK_MOVE_OUTPUT);
  const offsets = new Map(from);
  try {
    while (Date.now() < until) {
      for (const [id, conn] of conns) {
        const mine = [...leaders].filter(([, l]) => l === id).map(([p]) => p);
        const r = await conn.request<apis.FetchResponse>(apis.fetch, {
          replicaId: -1,
          maxWaitMs: 50,
          minBytes: 1,
          maxBytes: 4 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: TASK_MOVE_OUTPUT,
              partitions: mine.map((partition) => ({ partition, fetchOffset: offsets.get(partition) ?? 0, partitionMaxBytes: 1 << 20 })),
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        });
        const at = performance.now();
        for (const p of r.responses[0]?.partitions ?? []) {
          if (p.errorCode !== 0 || p.records === null || p.records.length === 0) continue;
          const batches = decodeRecordBatches(p.records);
          if (isLeft(batches)) continue;
          const start = offsets.get(p.partitionIndex) ?? 0;
          for (const b of batches.right) {
            for (const rec of b.records) if (rec.offset >= start && rec.key?.toString() === key) return { at, value: rec.value?.toString() ?? 'null' };
            offsets.set(p.partitionIndex, Math.max(offsets.get(p.partitionIndex) ?? 0, b.lastOffset + 1));
          }
        }
      }
    }
    throw new Error(`task move: no output for ${key} before the deadline`);
  } finally {
    for (const c of conns.values()) c.close();
  }
}

async function produceOne(nodes: ClusterNodes, partition: number, key: string): Promise<void> {
  const { leaders, conns } = await leaderConnections(nodes, TASK_MOVE_INPUT);
  try {
    const conn = conns.get(leaders.get(partition)!)!;
    const r = await conn.request<apis.ProduceResponse>(apis.produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: TASK_MOVE_INPUT,
          partitionData: [{ index: partition, records: encodeRecordBatch({ records: [{ key: Buffer.from(key), value: Buffer.from('probe') }] }) }],
        },
      ],
    });
    if (r.responses[0].partitionResponses[0].errorCode !== 0)
      throw new Error(`task move: probe produce failed with error ${r.responses[0].partitionResponses[0].errorCode}`);
  } finally {
    for (const c of conns.values()) c.close();
  }
}

export async function taskMove(
  nodes: ClusterNodes,
  deadline: number,
  o: { keys: number; partitions: number; standbyReplicas: number; createTopic: (name: string, partitions: number) => Promise<void>; log: (m: string) => void },
): Promise<TaskMoveResult> {
  const tasks: Tasks = new Map();
  const added: { key: NodeKey; partitions: number[]; at: number }[] = [];
  nodes.onStdout = (key, line, at) => {
    if (!key.startsWith('w')) return;
    const t = parseTaskLine(line);
    if (t === undefined) return;
    tasks.set(key, { tasks: t.tasks, at });
    if (t.added.length > 0) added.push({ key, partitions: t.added, at });
  };
  const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, boundMs: number) => {
    const until = Math.min(deadline, Date.now() + boundMs);
    while (!(await cond())) {
      if (Date.now() > until) throw new Error(`task move: ${what} did not happen within ${boundMs} ms`);
      await pause(20);
    }
  };
  const live = () => WORKER_IDS.map((id) => `w${id}` as NodeKey).filter((k) => nodes.isUp(k));
  const balanced = () => {
    const owners = live().map((k) => tasks.get(k)?.tasks ?? []);
    const all = owners.flat();
    return owners.every((t) => t.length > 0) && all.length === o.partitions && new Set(all).size === o.partitions;
  };
  const workerArgs = (id: number) => [
    '--app',
    APP,
    '--pipeline',
    'bench/cluster-pipeline.ts',
    '--worker-id',
    `w${id}`,
    '--standby-replicas',
    String(o.standbyReplicas),
  ];

  await o.createTopic(TASK_MOVE_INPUT, o.partitions);
  await nodes.waitForPartitions(TASK_MOVE_INPUT, deadline, (p) => p.leaderId > 0);
  let t0 = performance.now();
  await load(nodes, o.keys, o.partitions);
  o.log(`  task move: ${o.keys.toLocaleString('en-US')} keys written to ${TASK_MOVE_INPUT} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  t0 = performance.now();
  for (const id of WORKER_IDS) await nodes.startWorker(id, workerArgs(id));
  // Every key counted once: the output holds one record per input record.
  let lastReport = Date.now();
  await waitFor(
    'processing the loaded keys',
    async () => {
      const ends = await endOffsets(nodes, TASK_MOVE_OUTPUT).catch(() => new Map<number, number>());
      const done = [...ends.values()].reduce((a, b) => a + b, 0);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        o.log(`  task move: ${done.toLocaleString('en-US')} of ${o.keys.toLocaleString('en-US')} keys counted`);
      }
      return done >= o.keys;
    },
    15 * 60_000,
  );
  const loadSeconds = (performance.now() - t0) / 1000;
  o.log(`  task move: 3 workers counted ${o.keys.toLocaleString('en-US')} keys in ${loadSeconds.toFixed(1)} s`);

  const rounds: TaskMoveRound[] = [];
  const hows: ('SIGKILL' | 'SIGTERM')[] = ['SIGKILL', 'SIGTERM'];
  for (const [i, how] of hows.entries()) {
    await waitFor('a balanced assignment', balanced, 120_000);
    await pause(3000); // let restores and commits of the last rebalance settle
    const victim = live().find((k) => (tasks.get(k)?.tasks.length ?? 0) > 0)!;
    const victimTasks = [...tasks.get(victim)!.tasks];
    const partition = victimTasks[0];
    // A key of that partition counted once so far (key j goes to partition j % partitions).
    const probeKey = keyOf(partition + o.partitions * (i + 1));
    const from = await endOffsets(nodes, TASK_MOVE_OUTPUT);
    const tStop = performance.now();
    const stopping = how === 'SIGKILL' ? nodes.kill(victim) : nodes.stop(victim);
    await produceOne(nodes, partition, probeKey);
    const seen = await watchOutput(nodes, from, probeKey, Math.min(deadline, Date.now() + 120_000));
    await stopping;
    const move = added.find((a) => a.at > tStop && a.key !== victim && a.partitions.includes(partition));
    const round: TaskMoveRound = {
      round: i + 1,
      how,
      victim,
      victimTasks,
      probePartition: partition,
      reassignedMs: move ? Math.round(move.at - tStop) : -1,
      firstOutputMs: Math.round(seen.at - tStop),
      probeCount: Number(seen.value),
      expectedProbeCount: 2,
    };
    rounds.push(round);
    o.log(
      `  task move round ${round.round} (${how} ${victim}, tasks [${victimTasks}]): task ${partition} reassigned after ${round.reassignedMs} ms, probe counted (count ${seen.value}) after ${round.firstOutputMs} ms`,
    );
    tasks.delete(victim);
    await nodes.startWorker(Number(victim.slice(1)), workerArgs(Number(victim.slice(1))));
  }
  nodes.onStdout = undefined;
  return {
    keys: o.keys,
    partitions: o.partitions,
    workers: WORKER_IDS.length,
    loadSeconds: +loadSeconds.toFixed(1),
    loadRecordsPerSec: Math.round(o.keys / loadSeconds),
    workerSessionTimeoutMs: 'rill worker default (10000)',
    standbyReplicas: o.standbyReplicas,
    rounds,
  };
}
