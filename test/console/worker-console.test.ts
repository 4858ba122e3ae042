// `rill worker --console-port` end to end, as real processes: one cluster
// node and two workers running the wordcount example, each serving the
// console. The first worker processes what was written before the second
// joins; the second restores the tasks it takes from their changelog. Each
// worker writes its status to the app's worker-status topic, so either
// console shows both workers: the tasks as the controllers assigned them,
// the records each task restored (the changelog's, partition by partition),
// and each input partition's position, end offset and lag (the topics' own),
// in JSON (/api/worker, /api/apps) and on the Stream apps page in headless
// Chromium, whose numbers then change without a reload as records are
// written. Every wait is bounded and on printed lines or re-checked answers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { runWorker } from '../../cli/worker-command';
import type { AppView, WorkerStatusView } from '../../console/model';
import { fakeIO } from '../cli/fake-io';
import { CliProcs, committedToEnd, type Proc, wordCountWorkerArgs } from '../cli/worker-procs';
import { type HeadlessChromium, launchChromium } from './headless-chromium';

const APP = 'wordcount';
const LINES = 'text-lines';
const CHANGELOG = `${APP}-word-counts-changelog`;
const PARTITIONS = 4;
const DEADLINE_MS = 150_000;
/** Enough distinct words that every changelog partition gets some (the key partitioner decides where each goes). */
const WORDS = Array.from({ length: 24 }, (_, i) => `word${i}`);

jest.setTimeout(DEADLINE_MS + 30_000);

test('rill worker refuses a console port or status interval that is not one, before it starts anything', async () => {
  const base = ['--app', 'a', '--pipeline', 'examples/wordcount/pipeline.ts', '--controllers', '1@127.0.0.1:1', '--brokers', '127.0.0.1:1'];
  for (const [flags, message] of [
    [['--console-port', '70000'], /the console port must be a port number, 0 to 65535/],
    [['--status-interval-ms', '-5'], /--status-interval-ms needs an integer of at least 0/],
  ] as const) {
    const io = fakeIO();
    expect(await runWorker([...base, ...flags], io, new AbortController().signal)).toBe(2);
    expect(io.err()).toMatch(message);
  }
  const help = fakeIO();
  await runWorker(['--help'], help, new AbortController().signal);
  expect(help.out()).toMatch(/--console-port PORT[\s\S]*--console-host HOST[\s\S]*--status-interval-ms/);
});

describe('rill worker --console-port', () => {
  const cli = new CliProcs();
  let dir: string;
  let admin: Admin | undefined;
  let producer: ReturnType<Kafka['producer']> | undefined;
  let browser: HeadlessChromium | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-worker-console-'));
  });

  afterAll(async () => {
    await browser?.close();
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await cli.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const consoleUrl = (p: Proc) => p.out.map((l) => /console on (http:\/\/\S+?)\/ /.exec(l)?.[1]).find((u) => u !== undefined);

  async function json<T>(url: string): Promise<T | undefined> {
    const response = await fetch(url).catch(() => undefined);
    return response?.status === 200 ? ((await response.json()) as T) : undefined;
  }

  /** Per topic partition ("topic/p"): [start, end] as the broker answers kafkajs. */
  async function truth(topics: readonly string[]): Promise<Map<string, { start: number; end: number }>> {
    const offsets = new Map<string, { start: number; end: number }>();
    for (const topic of topics)
      for (const o of await admin!.fetchTopicOffsets(topic)) offsets.set(`${topic}/${o.partition}`, { start: Number(o.low), end: Number(o.high) });
    return offsets;
  }

  /** Whether a worker's status says it runs exactly `tasks`, each running with every input processed to the end `ends` gives. */
  function caughtUp(s: WorkerStatusView | null | undefined, tasks: readonly number[], ends: Map<string, { end: number }>): boolean {
    if (!s || s.tasks.map((t) => t.task).join() !== tasks.join()) return false;
    return s.tasks.every((t) => t.state === 'running' && t.inputs.every((i) => i.position === ends.get(`${i.topic}/${i.partition}`)?.end && i.lag === 0));
  }

  it('shows each worker’s tasks, restores and lag as the cluster has them, and keeps the page current', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const node = await cli.startNode({
      dataDir: path.join(dir, 'node'),
      workerSessionTimeoutMs: 5000,
      topic: LINES,
      partitions: PARTITIONS,
      clientId: 'worker-console',
      deadline,
    });
    admin = node.admin;
    producer = node.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const lines = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        value: `${WORDS[(from + i) % WORDS.length]} ${WORDS[(from + i * 3 + 1) % WORDS.length]}`,
        partition: i % PARTITIONS,
      }));
    await producer.send({ topic: LINES, acks: -1, messages: lines(40, 0) });

    const worker = (name: string) => cli.start(name, wordCountWorkerArgs(APP, name, node, ['--console-port', '0', '--status-interval-ms', '200']));
    // The first worker alone runs every task and processes everything written so far (repartitioned words included).
    const w1 = worker('w1');
    await cli.until('w1 to run every task and serve its console', deadline, () => cli.tasks('w1')?.length === PARTITIONS && consoleUrl(w1) !== undefined);
    const repartition = (await admin.listTopics()).find((t) => t.startsWith(APP) && t.endsWith('-repartition'));
    expect(repartition).toBeDefined();
    await cli.until(
      'w1 to commit every input',
      deadline,
      async () => (await committedToEnd(admin!, APP, LINES)) && committedToEnd(admin!, APP, repartition!),
      200,
    );

    // The second joins: two tasks move to it, restored from the changelog w1 wrote.
    const w2 = worker('w2');
    await cli.until('two tasks each, and both consoles', deadline, () =>
      [w1, w2].every((p) => cli.tasks(p.name)?.length === PARTITIONS / 2 && consoleUrl(p) !== undefined),
    );
    const tasks = { w1: cli.tasks('w1')!, w2: cli.tasks('w2')! };
    const ends = await truth([LINES, repartition!, CHANGELOG]);

    // /api/worker: the worker's own status, taken now.
    let own: WorkerStatusView | undefined;
    await cli.until('w2 to run its tasks, caught up', deadline, async () => {
      own = await json<WorkerStatusView>(`${consoleUrl(w2)}/api/worker`);
      return caughtUp(own, tasks.w2, ends);
    });
    expect(own).toMatchObject({ workerId: 'w2', app: APP, state: 'running', taskCount: PARTITIONS, console: consoleUrl(w2) });
    for (const t of own!.tasks) {
      // Everything w1 wrote to the task's changelog partition, and nothing more.
      const changelog = ends.get(`${CHANGELOG}/${t.task}`)!;
      expect(t.restores).toEqual([
        {
          store: 'word-counts',
          topic: CHANGELOG,
          partition: t.task,
          restored: changelog.end - changelog.start,
          total: changelog.end - changelog.start,
          done: true,
        },
      ]);
      expect(t.inputs.map((i) => i.topic).sort()).toEqual([repartition, LINES].sort());
    }

    expect(own!.tasks.reduce((n, t) => n + t.restores[0].restored, 0)).toBeGreaterThan(0);

    // /api/apps of w1's console: both workers, w2's status read from the worker-status topic.
    let apps: AppView[] | undefined;
    await cli.until('w1’s console to show both workers caught up', deadline, async () => {
      apps = await json<AppView[]>(`${consoleUrl(w1)}/api/apps`);
      const workers = apps?.find((a) => a.app === APP)?.workers ?? [];
      return workers.length === 2 && workers.every((w) => caughtUp(w.status, tasks[w.workerId as 'w1' | 'w2'], ends));
    });
    const app = apps!.find((a) => a.app === APP)!;
    for (const w of app.workers) expect(w.tasks.map((t) => Number(/-(\d+)$/.exec(t)![1])).sort()).toEqual(tasks[w.workerId as 'w1' | 'w2']);
    // w1 restored its tasks when their changelog was still empty.
    const w1Status = app.workers.find((w) => w.workerId === 'w1')!.status!;
    expect(w1Status.tasks.flatMap((t) => t.restores.map((r) => [r.restored, r.total, r.done]))).toEqual(tasks.w1.map(() => [0, 0, true]));
    expect(app.topology?.svg).toContain('<svg');

    // The Stream apps page of w1's console shows the same numbers.
    browser = await launchChromium();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(Math.max(1000, deadline - Date.now()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${consoleUrl(w1)}/#/apps`);
    const section = page.locator(`main[data-route="#/apps"] section[data-app="${APP}"]`);
    await section.locator('tr[data-task]').first().waitFor();
    await expect(page.locator('main').getAttribute('data-live')).resolves.toBe('sse');
    await expect(page.locator('[data-card="tasks"] .value').textContent()).resolves.toBe(String(PARTITIONS));
    await expect(page.locator('[data-card="total-lag"] .value').textContent()).resolves.toBe('0');
    for (const [name, owned] of Object.entries(tasks))
      for (const task of owned) {
        const row = section.locator(`tr[data-task="${LINES}-${task}"]`);
        await expect(row.locator('td[data-field="owner"]').textContent()).resolves.toBe(name);
        const restored = name === 'w2' ? ends.get(`${CHANGELOG}/${task}`)!.end : 0;
        await expect(row.locator('td[data-field="restored"]').textContent()).resolves.toBe(`${restored} / ${restored}`);
      }
    for (let p = 0; p < PARTITIONS; p++) {
      const row = section.locator(`tr[data-input="${LINES}/${p}"]`);
      await expect(row.locator('td[data-field="end-offset"]').textContent()).resolves.toBe(String(ends.get(`${LINES}/${p}`)!.end));
      await expect(row.locator('td[data-field="lag"]').textContent()).resolves.toBe('0');
    }
    await page.screenshot({ path: path.join(dir, 'worker-apps.png'), fullPage: true });

    // Traffic flows: the page follows without a reload (a mark on this document would not survive one).
    await page.evaluate(() => document.body.setAttribute('data-mark', 'same-document'));
    await producer.send({ topic: LINES, acks: -1, messages: lines(8, 40) });
    const after = await truth([LINES]);
    for (let p = 0; p < PARTITIONS; p++)
      await section
        .locator(`tr[data-input="${LINES}/${p}"] td[data-field="position"]`, { hasText: new RegExp(`^${after.get(`${LINES}/${p}`)!.end}$`) })
        .waitFor();
    await expect(page.locator('body').getAttribute('data-mark')).resolves.toBe('same-document');
    await page.screenshot({ path: path.join(dir, 'worker-apps-after.png'), fullPage: true });
    if (process.env.RILL_CONSOLE_SCREENSHOTS)
      fs.copyFileSync(path.join(dir, 'worker-apps-after.png'), path.join(process.env.RILL_CONSOLE_SCREENSHOTS, 'worker-apps.png'));
    expect(errors).toEqual([]);

    // A worker that stops (removing its status): the survivor runs every task, as its console says.
    w2.child.kill('SIGTERM');
    expect(await w2.exited).toBe(0);
    await cli.until('w1 alone, its status in its own console', deadline, async () => {
      const a = (await json<AppView[]>(`${consoleUrl(w1)}/api/apps`))?.find((x) => x.app === APP);
      return a?.workers.length === 1 && a.workers[0].status?.tasks.length === PARTITIONS;
    });
  });
});
