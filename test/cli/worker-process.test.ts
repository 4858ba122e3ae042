// Workers as real processes: one cluster node (controller and broker in one
// process), three `rill worker` processes running the wordcount example on a
// 6-partition topic. A known text is counted; one worker is killed with
// SIGKILL; its tasks move to the other two, which restore the counts from the
// changelog; more text is counted; the final counts read back from the output
// topic (latest value per word) are exact. Then a worker stops on SIGTERM:
// it commits, leaves, and exits 0, and its tasks move at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, type Admin } from 'kafkajs';
import { CliProcs, committedToEnd, type Proc, workerArgs } from './worker-procs';

const APP = 'wordcount';
const LINES = 'text-lines';
const COUNTS = 'word-counts';
const REPARTITION = 'wordcount-word-counts-repartition';
const CHANGELOG = 'wordcount-word-counts-changelog';
const PARTITIONS = 6;
const DEADLINE_MS = 80_000;
const SESSION_MS = 2000;
const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi'];

/** Lines of words over every partition (line i to partition i % PARTITIONS), and the words' counts. */
function text(n: number, seed: number): { lines: { value: string; partition: number }[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const lines = [];
  for (let i = 0; i < n; i++) {
    const words = [0, 1, 2, 3].map((j) => VOCABULARY[(i * 5 + j * 3 + seed * 7) % VOCABULARY.length]);
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    lines.push({ value: words.join(' '), partition: i % PARTITIONS });
  }
  return { lines, counts };
}

describe('rill worker processes running wordcount on a cluster', () => {
  let dir: string;
  let kafka: Kafka;
  let admin: Admin | undefined;
  const clients: { disconnect(): Promise<void> }[] = [];
  let controllerPort = 0;
  let brokerPort = 0;

  const cli = new CliProcs();
  const procs = cli.procs;
  const start = (name: string, args: string[]) => cli.start(name, args);
  const until = (what: string, deadline: number, condition: () => boolean | Promise<boolean>, pollMs?: number) => cli.until(what, deadline, condition, pollMs);
  const tasks = (name: string) => cli.tasks(name);

  const covered = (names: string[], each: number) => {
    const all = names.map((n) => tasks(n) ?? []);
    return (
      all.every((t) => t.length === each) &&
      all
        .flat()
        .sort((a, b) => a - b)
        .join() === Array.from({ length: PARTITIONS }, (_, p) => p).join()
    );
  };

  /** Lines, then repartitioned words, all committed: every count is written. */
  const allCounted = async () => (await committedToEnd(admin!, APP, LINES)) && (await committedToEnd(admin!, APP, REPARTITION));

  function startWorker(name: string): Proc {
    return start(
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
        ['--standby-replicas', '1'],
      ),
    );
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-worker-proc-'));
  });

  afterAll(async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await cli.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('moves the tasks of a killed worker, restores their state, and the counts are exact', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    ({ controllerPort, brokerPort, kafka, admin } = await cli.startNode({
      dataDir: path.join(dir, 'node'),
      workerSessionTimeoutMs: SESSION_MS,
      topic: LINES,
      partitions: PARTITIONS,
      clientId: 'worker-test',
      deadline,
    }));

    const names = ['w1', 'w2', 'w3'];
    for (const n of names) startWorker(n);
    await until('three workers to own two tasks each', deadline, () => covered(names, 2));

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    clients.push(producer);
    const first = text(300, 1);
    await producer.send({ topic: LINES, acks: -1, messages: first.lines });
    await until('the first text to be counted and committed', deadline, allCounted, 200);

    // kill -9 a worker while it holds committed state (the one with the fullest changelog partition); more text arrives at once.
    const changelog = await admin.fetchTopicOffsets(CHANGELOG);
    const fullest = changelog.reduce((a, b) => (Number(b.high) > Number(a.high) ? b : a)).partition;
    const victimName = names.find((n) => tasks(n)!.includes(fullest))!;
    const survivors = names.filter((n) => n !== victimName);
    const victim = procs.get(victimName)!;
    const victimTasks = tasks(victimName)!;
    // Only what the survivors log from now on counts (they may have run these tasks before the first rebalance).
    const seen = new Map(survivors.map((n) => [n, procs.get(n)!.err.length]));
    const since = (n: string) => procs.get(n)!.err.slice(seen.get(n));
    victim.child.kill('SIGKILL');
    await victim.exited;
    const second = text(240, 2);
    await producer.send({ topic: LINES, acks: -1, messages: second.lines });
    await until(`${victimName}'s tasks to move to ${survivors.join(' and ')}`, deadline, () => covered(survivors, 3));
    // The survivors restored the moved tasks' counts from their changelog partitions before processing.
    const restored = () =>
      survivors.flatMap((n) => since(n).flatMap((l) => /task\(s\) ([\d, ]+) assigned and restored/.exec(l)?.[1].split(', ').map(Number) ?? []));
    await until(`${victimName}'s tasks to be restored by the survivors`, deadline, () => victimTasks.every((p) => restored().includes(p)));
    const replayed = survivors.flatMap((n) =>
      since(n).filter((l) => /restoring store word-counts from wordcount-word-counts-changelog-\d+: [1-9]\d* of .*\(done\)/.test(l)),
    );
    // --standby-replicas 1: survivors kept warm copies of the victim's counts, and a moved task that
    // lands on its standby's worker takes those over (balance may send another task to a cold worker).
    const warmTakeovers = survivors.flatMap((n) =>
      since(n)
        .flatMap((l) => /word-counts partition (\d+): taken over from a standby/.exec(l)?.[1] ?? [])
        .map(Number),
    );
    expect(warmTakeovers.filter((p) => victimTasks.includes(p)).length).toBeGreaterThan(0);
    // The fullest task's counts came back: replayed from its changelog, or warm from a standby.
    expect(replayed.some((l) => l.includes(`changelog-${fullest}:`)) || warmTakeovers.includes(fullest)).toBe(true);
    await until('the second text to be counted and committed', deadline, allCounted, 200);
    await producer.disconnect();

    // The output topic: the latest count per word is the exact total.
    const expected = new Map(first.counts);
    for (const [w, n] of second.counts) expected.set(w, (expected.get(w) ?? 0) + n);
    const ends = await admin.fetchTopicOffsets(COUNTS);
    const total = ends.reduce((s, e) => s + Number(e.high), 0);
    const latest = new Map<string, number>();
    const reader = kafka.consumer({ groupId: `reader-${Date.now()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: COUNTS, fromBeginning: true });
    let read = 0;
    try {
      await reader.run({
        eachMessage: async ({ message }) => {
          latest.set(message.key!.toString(), JSON.parse(message.value!.toString()) as number);
          read++;
        },
      });
      await until(`all ${total} count updates to be read back`, deadline, () => read >= total);
    } finally {
      await reader.disconnect();
    }
    expect(new Map([...latest].sort())).toEqual(new Map([...expected].sort()));
    // Every commit named a registered worker incarnation, and the cluster took it.
    for (const p of procs.values()) expect(p.err.filter((l) => l.includes('refused the commit'))).toEqual([]);

    // SIGTERM: a survivor commits, leaves (its tasks move at once, no session expiry needed) and exits 0.
    const [leaving, last] = survivors.map((n) => procs.get(n)!);
    leaving.child.kill('SIGTERM');
    await until(`${leaving.name} to exit`, deadline, () => leaving.child.exitCode !== null);
    expect(leaving.child.exitCode).toBe(0);
    await until(`${last.name} to own every task`, deadline, () => covered([last.name], PARTITIONS));
  }, 100_000);
});
