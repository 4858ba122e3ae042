// `rill worker --processing-guarantee exactly-once` as real processes: one
// cluster node (controller and broker in one process), two workers running
// the wordcount example on a 4-partition topic. Text is counted; while more
// text is being counted, one worker is killed with SIGKILL (its open
// transaction holds uncounted, unflushed work) and started again with the same
// --worker-id, which fences its dead incarnation and aborts that transaction;
// more text is counted. A read_committed reader of the output topic then sees
// every word's counts exactly 1, 2, ..., n: nothing of the killed worker's
// last interval shows, and no word is counted twice (under at-least-once the
// replayed interval would repeat counts). Every wait is on output or a
// condition, bounded by one deadline.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { runWorker } from '../../cli/worker-command';
import { protocolLogClient } from '../../core/client';
import { committedCounts as readCommittedCounts, exactCounts } from '../support/committed-counts';
import { fakeIO } from './fake-io';
import { CliProcs, committedToEnd, type Proc, workerArgs } from './worker-procs';

const APP = 'wordcount';
const LINES = 'text-lines';
const COUNTS = 'word-counts';
const REPARTITION = 'wordcount-word-counts-repartition';
const PARTITIONS = 4;
const DEADLINE_MS = 90_000;
const SESSION_MS = 3000;
const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];

/** Lines of words over every partition, and the words' counts. */
function text(n: number, seed: number): { lines: { value: string; partition: number }[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const lines = [];
  for (let i = 0; i < n; i++) {
    const words = [0, 1, 2].map((j) => VOCABULARY[(i * 3 + j * 7 + seed * 5) % VOCABULARY.length]);
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    lines.push({ value: words.join(' '), partition: i % PARTITIONS });
  }
  return { lines, counts };
}

describe('rill worker --processing-guarantee exactly-once', () => {
  let dir: string;
  let kafka: Kafka;
  let admin: Admin | undefined;
  let controllerPort = 0;
  let brokerPort = 0;
  const cli = new CliProcs();
  const until = (what: string, deadline: number, condition: () => boolean | Promise<boolean>, pollMs?: number) => cli.until(what, deadline, condition, pollMs);

  /** Lines, then repartitioned words, all processed and committed by the application (past the last transaction marker). */
  const allCounted = async () => (await committedToEnd(admin!, APP, LINES)) && (await committedToEnd(admin!, APP, REPARTITION));

  function startWorker(name: string): Proc {
    return cli.start(
      name,
      workerArgs(
        {
          app: APP,
          pipeline: 'examples/wordcount/pipeline.ts',
          controllers: `1@127.0.0.1:${controllerPort}`,
          brokers: `127.0.0.1:${brokerPort}`,
          workerId: name,
          sessionTimeoutMs: SESSION_MS,
        },
        ['--processing-guarantee', 'exactly-once'],
      ),
    );
  }

  /** Each word's output values in order, as a read_committed reader sees them. */
  async function committedCounts(): Promise<Map<string, number[]>> {
    const reader = protocolLogClient({ brokers: [`127.0.0.1:${brokerPort}`], clientId: 'eos-reader' });
    try {
      return await readCommittedCounts(reader, COUNTS);
    } finally {
      await reader.close();
    }
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-worker-eos-'));
  });

  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    await cli.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a guarantee it does not know, saying which there are', async () => {
    const io = fakeIO();
    const base = ['--app', APP, '--pipeline', 'examples/wordcount/pipeline.ts', '--controllers', '1@127.0.0.1:1', '--brokers', '127.0.0.1:1'];
    expect(await runWorker([...base, '--processing-guarantee', 'at-most-once'], io, new AbortController().signal)).toBe(2);
    expect(io.err()).toMatch(/--processing-guarantee: "at-most-once" is neither at-least-once nor exactly-once/);
  });

  it('a worker killed mid-stream and restarted: read_committed output has every count exactly once', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    ({ controllerPort, brokerPort, kafka, admin } = await cli.startNode({
      dataDir: path.join(dir, 'node'),
      workerSessionTimeoutMs: SESSION_MS,
      topic: LINES,
      partitions: PARTITIONS,
      clientId: 'worker-eos-test',
      deadline,
    }));
    const names = ['w1', 'w2'];
    for (const n of names) startWorker(n);
    await until('two workers to own two tasks each', deadline, () => names.every((n) => cli.tasks(n)?.length === 2));

    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const first = text(200, 1);
      await producer.send({ topic: LINES, acks: -1, messages: first.lines });
      await until('the first text to be counted and committed', deadline, allCounted, 200);

      // More text; once the victim has written some of it (its transaction is open), kill -9 it.
      const victim = cli.procs.get('w1')!;
      const second = text(400, 2);
      const before = await admin!.fetchTopicOffsets(REPARTITION);
      const written = (now: { partition: number; high: string }[]) =>
        now.reduce((n, p) => n + Number(p.high), 0) > before.reduce((n, p) => n + Number(p.high), 0);
      await producer.send({ topic: LINES, acks: -1, messages: second.lines });
      await until('the second text to reach the repartition topic', deadline, async () => written(await admin!.fetchTopicOffsets(REPARTITION)), 20);
      victim.child.kill('SIGKILL');
      await victim.exited;
      // The same --worker-id: its transactional id fences the dead incarnation and aborts what it left open.
      startWorker('w1');
      const third = text(100, 3);
      await producer.send({ topic: LINES, acks: -1, messages: third.lines });
      await until('every text to be counted and committed', deadline, allCounted, 200);

      const expected = new Map<string, number>();
      for (const t of [first, second, third]) for (const [w, n] of t.counts) expected.set(w, (expected.get(w) ?? 0) + n);
      expect(await committedCounts()).toEqual(exactCounts(expected));
    } finally {
      await producer.disconnect();
    }
  }, 120_000);
});
