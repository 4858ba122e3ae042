// `rill worker --query-port` as real processes: one cluster node, two workers
// running the wordcount example. Each serves interactive queries over HTTP and
// claims its tasks in the application's query-hosts topic, so either one
// answers every word's count (forwarding to the owner). A worker stops on
// SIGTERM: its tasks move, and the survivor answers every word by itself.
// Every wait is on printed lines or a re-checked condition, bounded.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { CliProcs, type Proc, wordCountWorkerArgs } from './worker-procs';

const APP = 'wordcount';
const LINES = 'text-lines';
const PARTITIONS = 4;
const DEADLINE_MS = 90_000;
const SESSION_MS = 5000;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

describe('rill worker --query-port', () => {
  const cli = new CliProcs();
  let dir: string;
  let admin: Admin | undefined;
  let producer: ReturnType<Kafka['producer']> | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-worker-queries-'));
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await cli.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The query URL a worker printed. */
  const queryUrl = (p: Proc) => p.out.map((l) => /interactive queries on (http:\/\/\S+)/.exec(l)?.[1]).find((u) => u !== undefined);

  /** Whether every worker in `from` answers every word with its count. */
  async function everyCount(from: Proc[], counts: Map<string, number>): Promise<boolean> {
    for (const p of from) {
      for (const [word, n] of counts) {
        const res = await fetch(`${queryUrl(p)}/stores/word-counts/keys/${word}`).catch(() => undefined);
        if (res?.status !== 200 || ((await res.json()) as { value?: unknown }).value !== n) return false;
      }
    }
    return true;
  }

  it('answers every key from either worker, and from the survivor after a task move', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const node = await cli.startNode({
      dataDir: path.join(dir, 'node'),
      workerSessionTimeoutMs: SESSION_MS,
      topic: LINES,
      partitions: PARTITIONS,
      clientId: 'worker-queries',
      deadline,
    });
    admin = node.admin;
    const worker = (name: string) => cli.start(name, wordCountWorkerArgs(APP, name, node, ['--query-port', '0']));
    const [w1, w2] = [worker('w1'), worker('w2')];
    await cli.until('both workers to own two tasks each and serve queries', deadline, () =>
      [w1, w2].every((p) => cli.tasks(p.name)?.length === 2 && queryUrl(p) !== undefined),
    );

    const counts = new Map<string, number>();
    const messages = Array.from({ length: 40 }, (_, i) => {
      const words = [WORDS[i % WORDS.length], WORDS[(i * 3 + 1) % WORDS.length]];
      for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
      return { value: words.join(' '), partition: i % PARTITIONS };
    });
    producer = node.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: LINES, acks: -1, messages });
    await cli.until('every count from both workers', deadline, () => everyCount([w1, w2], counts), 200);

    // Who answered: the owner of the word's partition, whichever worker was asked.
    const meta = (await (await fetch(`${queryUrl(w1)}/metadata`)).json()) as { instances: { host: string; partitions: number[] }[]; unassigned: number[] };
    expect(meta.unassigned).toEqual([]);
    expect(meta.instances.map((i) => i.partitions.length)).toEqual([2, 2]);

    w2.child.kill('SIGTERM');
    expect(await w2.exited).toBe(0);
    await cli.until('w1 to own every task', deadline, () => cli.tasks('w1')?.length === PARTITIONS);
    await cli.until('every count from the survivor', deadline, () => everyCount([w1], counts), 200);
    const after = (await (await fetch(`${queryUrl(w1)}/metadata`)).json()) as { instances: { host: string; partitions: number[] }[] };
    expect(after.instances).toEqual([{ host: queryUrl(w1)!.slice('http://'.length), partitions: [0, 1, 2, 3] }]);
  }, 120_000);
});
