// RillStreams.status(), what a worker's console shows: on the embedded log,
// with external assignment (the worker's way). One instance runs every task
// (each input's position and lag against the log's own end offsets); a second
// keeps two tasks warm (its standbys' positions against the changelog's
// ends); a third takes two tasks while their changelog reads are held at a
// gate, so its status shows them restoring (nothing restored of how many), and
// then running with every record restored. Every wait is on a promise, bounded.
import { Rill } from '../../../core/client';
import { type LogClient, memoryLogger, rillLogClient, RillStreams } from '../../../dsl';
import { LINES, wordCountTopology } from '../../../examples/wordcount/topology';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-status');
const opened: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
  dirs.removeAll();
});

const APP = 'wc-status';
const CHANGELOG = `${APP}-word-counts-changelog`;
const REPARTITION = `${APP}-word-counts-repartition`;
const PARTITIONS = 4;
const WAIT_MS = 20_000;

function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function instance(log: Rill | LogClient): RillStreams {
  const app = new RillStreams(wordCountTopology(APP), { log, logger: memoryLogger(), taskAssignment: 'external', commitIntervalMs: 100 });
  opened.push(() => app.stop());
  return app;
}

/** The embedded client, with its reads of the changelog held until open() (a test's view into a restore under way). */
function gatedChangelog(rill: Rill): { client: LogClient; reading: Promise<void>; open: () => void } {
  const inner = rillLogClient(rill);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let reached!: () => void;
  const reading = new Promise<void>((resolve) => (reached = resolve));
  const client: LogClient = Object.create(inner);
  client.fetch = async (tp, offset, maxBytes) => {
    if (tp.topic === CHANGELOG) {
      reached();
      await gate;
    }
    return inner.fetch(tp, offset, maxBytes);
  };
  return { client, reading, open };
}

test('status() shows each task’s inputs and restores, and each standby’s lag, as the log has them', async () => {
  const rill = Rill.open({ dir: dirs.make() });
  opened.push(() => rill.close());
  await rill.admin.createTopics([{ name: LINES, partitions: PARTITIONS }]);
  const a = instance(rill);
  const b = instance(rill);
  await a.start();
  await b.start();
  await bounded('a to take every task', a.assignTasks([0, 1, 2, 3]));
  await bounded('b to keep 2 and 3 warm', b.setStandbyTasks([2, 3]));
  const words = Array.from({ length: 24 }, (_, i) => `w${i}`);
  await rill.producer().send(
    LINES,
    Array.from({ length: 40 }, (_, i) => ({ value: `${words[i % 24]} ${words[(i * 5 + 3) % 24]}`, partition: i % PARTITIONS })),
  );
  await bounded('a to process everything', a.waitUntilCaughtUp());
  await bounded('b to catch its standbys up', b.catchUpStandbys());
  const ends = async (topic: string) => new Map((await rill.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.highWatermark]));
  const [lines, repartitioned, changelog] = [await ends(LINES), await ends(REPARTITION), await ends(CHANGELOG)];

  const running = await a.status();
  expect(running).toMatchObject({ app: APP, state: 'running', taskCount: PARTITIONS, standbys: [] });
  expect(running.tasks.map((t) => [t.task, t.state])).toEqual([0, 1, 2, 3].map((p) => [p, 'running']));
  for (const t of running.tasks) {
    // Restored when the changelog was empty.
    expect(t.restores).toEqual([{ store: 'word-counts', topic: CHANGELOG, partition: t.task, restored: 0, total: 0, done: true }]);
    expect(t.inputs).toEqual(
      expect.arrayContaining([
        { topic: LINES, partition: t.task, position: lines.get(t.task), endOffset: lines.get(t.task), lag: 0 },
        { topic: REPARTITION, partition: t.task, position: repartitioned.get(t.task), endOffset: repartitioned.get(t.task), lag: 0 },
      ]),
    );
  }
  const warm = await b.status();
  expect(warm.tasks).toEqual([]);
  expect(warm.standbys).toEqual(
    [2, 3].map((task) => ({
      task,
      stores: [{ store: 'word-counts', topic: CHANGELOG, position: changelog.get(task), endOffset: changelog.get(task), lag: 0 }],
    })),
  );

  // a gives 0 and 1 up (committing them); c takes them, its changelog reads held at the gate.
  await bounded('a to give up 0 and 1', a.assignTasks([2, 3]));
  const gated = gatedChangelog(rill);
  const c = instance(gated.client);
  await c.start();
  const taking = c.assignTasks([0, 1]);
  await bounded('c to start restoring', gated.reading);
  const restoring = await c.status();
  expect(restoring.tasks.map((t) => [t.task, t.state])).toEqual([
    [0, 'restoring'],
    [1, 'restoring'],
  ]);
  // The first store being restored: nothing yet of everything in its changelog partition; no position while restoring.
  const first = restoring.tasks.find((t) => t.restores.length > 0)!;
  expect(first.restores).toEqual([
    { store: 'word-counts', topic: CHANGELOG, partition: first.task, restored: 0, total: changelog.get(first.task), done: false },
  ]);
  expect(first.inputs.every((i) => i.position === null && i.lag === null)).toBe(true);
  gated.open();
  await bounded('c to take 0 and 1', taking);
  const restored = await c.status();
  for (const t of restored.tasks) {
    expect(t.state).toBe('running');
    expect(t.restores).toEqual([
      { store: 'word-counts', topic: CHANGELOG, partition: t.task, restored: changelog.get(t.task), total: changelog.get(t.task), done: true },
    ]);
  }
}, 60_000);
