// Several instances of one application share its tasks, through the consumer
// group or by external assignment (the cluster worker's way): tasks move,
// state moves through the changelogs, and the counts stay exact on a graceful
// handover. When an instance crashes nothing is lost (at-least-once): its
// stores' changelog writes happen at commits, so the next owner restores them
// as of the last commit, but the lines it had turned into repartition records
// since then are replayed and counted again, so a count may exceed the exact
// one by at most that word's occurrences in those lines. Real embedded broker;
// every wait is on an event or a promise, and bounded.
import { Rill } from '../../../core/client';
import {
  defaultLogger,
  memoryLogger,
  rillLogClient,
  RillStreams,
  type LogClient,
  type RebalanceEvent,
  type RestoreProgress,
  type StreamsConfig,
} from '../../../dsl';
import { COUNTS, LINES, wordCountTopology } from '../../../examples/wordcount/topology';
import { rebalanceWaits } from '../../support/rebalance-waits';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-multi');
afterAll(() => dirs.removeAll());
/** Everything a test opened, closed after it even when it failed (last opened, first closed). */
const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

const APP = 'wc-multi';
const PARTITIONS = 4;
const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];
/**
 * Fast rebalances: the broker ticks its coordinator often, members heartbeat
 * often. Sessions are long (a loaded CI machine must never expire a live
 * member: its refused commit would make counts repeat), except the crashing
 * instance's, whose expiry the crash test waits for.
 */
const GROUP = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 };
const CRASHING_SESSION_MS = 2_000;
const WAIT_MS = 20_000;

/** Lines of words, spread over every input partition; returns the words' counts too. */
function lines(n: number, seed: number): { records: { value: string; partition: number }[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const records = [];
  for (let i = 0; i < n; i++) {
    const words = [0, 1, 2].map((j) => VOCABULARY[(i * 7 + j * 5 + seed) % VOCABULARY.length]);
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    records.push({ value: words.join(' '), partition: i % PARTITIONS });
  }
  return { records, counts };
}

function add(...maps: Map<string, number>[]): Map<string, number> {
  const sum = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) sum.set(k, (sum.get(k) ?? 0) + v);
  return sum;
}

/** Rebalance events of all instances; waits re-check a condition on each event, bounded. */
const rebalances = () => rebalanceWaits(WAIT_MS);

function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS)),
  );
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Every input and repartition record is processed and committed by the group. */
async function groupCaughtUp(rill: Rill, apps: RillStreams[]): Promise<void> {
  const topics = [LINES, `${APP}-word-counts-repartition`];
  for (let round = 0; ; round++) {
    await Promise.all(apps.map((a, i) => bounded(`instance ${i} (tasks ${a.assignedPartitions.join(',')}, ${a.state}) to catch up`, a.waitUntilCaughtUp())));
    let behind = false;
    for (const topic of topics) {
      const ends = await rill.admin.fetchTopicOffsets(topic);
      const committed = await rill.admin.fetchOffsets(APP, topic);
      for (const e of ends) if (e.highWatermark > 0 && (committed.find((c) => c.partition === e.partition)?.offset ?? -1) < e.highWatermark) behind = true;
    }
    if (!behind) return;
    // One instance's writes to the repartition topic gave the other more to do: wait for it again.
    if (round > 20) throw new Error('the group did not catch up');
  }
}

async function countsOf(apps: RillStreams[], words: Iterable<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const w of words) {
    const answers = (await Promise.all(apps.map((a) => a.queryKey<string, number>('word-counts', w)))).filter((r) => r.hosted);
    expect(answers).toHaveLength(1); // exactly one instance hosts each key
    const r = answers[0];
    if (r.hosted && r.value !== undefined) out.set(w, r.value);
  }
  return out;
}

/** The latest value per key on the output topic (a key always lands in the same partition). */
async function latestOutput(rill: Rill): Promise<Map<string, number>> {
  const offsets = await rill.admin.fetchTopicOffsets(COUNTS);
  const total = offsets.reduce((n, o) => n + o.highWatermark, 0);
  const c = rill.consumer({ autoOffsetReset: 'earliest' });
  await c.assign(offsets.map((o) => ({ topic: COUNTS, partition: o.partition })));
  const latest = new Map<string, number>();
  let read = 0;
  if (total > 0) {
    for await (const r of c) {
      latest.set(r.key!.toString(), JSON.parse(r.value!.toString()) as number);
      if (++read >= total) break;
    }
  }
  await c.close();
  return latest;
}

function openRill(): Rill {
  const rill = Rill.open({ dir: dirs.make(), groups: { minSessionTimeoutMs: 100 }, groupTickIntervalMs: 20 });
  opened.push(() => rill.close());
  return rill;
}

async function setUp(rill: Rill): Promise<void> {
  await rill.admin.createTopics([{ name: LINES, partitions: PARTITIONS }]);
}

function instance(rill: Rill | LogClient, events: ReturnType<typeof rebalances>, extra: Partial<StreamsConfig> = {}): RillStreams {
  const app = new RillStreams(wordCountTopology(APP), {
    log: rill,
    logger: process.env.DEBUG_MULTI ? defaultLogger() : memoryLogger(),
    onRebalance: events.notify,
    ...extra,
    group: { ...GROUP, ...extra.group },
  });
  opened.push(() => app.stop());
  return app;
}

/** Partitions of the counts' changelog that have records (restore reports progress for those). */
async function changelogPartitionsWithData(rill: Rill): Promise<number[]> {
  const offsets = await rill.admin.fetchTopicOffsets(`${APP}-word-counts-changelog`);
  return offsets.filter((o) => o.highWatermark > o.logStartOffset).map((o) => o.partition);
}

const split = (a: RillStreams, b: RillStreams) => () =>
  a.assignedPartitions.length === 2 && b.assignedPartitions.length === 2 && new Set([...a.assignedPartitions, ...b.assignedPartitions]).size === PARTITIONS;

describe('several instances of one application', () => {
  test('two instances share 4 partitions 2 + 2; after a graceful stop the survivor restores and takes over, and the counts are exact', async () => {
    const rill = openRill();
    await setUp(rill);
    const events = rebalances();
    const restoredBySurvivor: RestoreProgress[] = [];
    const a = instance(rill, events, { applicationServer: 'a.example:7001', onRestoreProgress: (p) => restoredBySurvivor.push(p) });
    const b = instance(rill, events, { applicationServer: 'b.example:7002' });
    await a.start();
    expect(a.assignedPartitions).toEqual([0, 1, 2, 3]);
    const first = lines(40, 0);
    await rill.producer().send(LINES, first.records);
    await b.start();
    await events.until('a 2 + 2 split', split(a, b));

    const second = lines(60, 3);
    await rill.producer().send(LINES, second.records);
    await groupCaughtUp(rill, [a, b]);
    const soFar = add(first.counts, second.counts);
    expect(await countsOf([a, b], soFar.keys())).toEqual(soFar);
    // Each key is answered by the instance hosting its partition; the other says which instance that is.
    let onB: string | undefined;
    for (const w of soFar.keys()) if (!(await a.queryKey('word-counts', w)).hosted) onB ??= w;
    expect(onB).toBeDefined();
    expect(await a.queryKey('word-counts', onB!)).toEqual({
      hosted: false,
      partition: expect.any(Number),
      host: 'b.example:7002',
      reason: expect.stringMatching(/does not host .*the instance at b\.example:7002 runs it/),
    });
    expect(() => a.store<string, number>('word-counts').get(onB!)).toThrow(
      /partition \d, which this instance of wc-multi does not host \(it hosts \d, \d\); ask the instance that owns it/,
    );
    expect(b.store<string, number>('word-counts').get(onB!)).toBe(soFar.get(onB!));

    const bOwned = b.assignedPartitions;
    restoredBySurvivor.length = 0;
    await bounded('b to stop', b.stop());
    await events.until('a to own all partitions', () => a.assignedPartitions.length === PARTITIONS);
    // a restored b's stores from their changelogs, with progress reported per partition.
    const withData = new Set(await changelogPartitionsWithData(rill));
    expect(bOwned.some((p) => withData.has(p))).toBe(true);
    expect([...new Set(restoredBySurvivor.filter((p) => p.done).map((p) => p.partition))]).toEqual(
      expect.arrayContaining(bOwned.filter((p) => withData.has(p))),
    );

    const third = lines(50, 5);
    await rill.producer().send(LINES, third.records);
    await groupCaughtUp(rill, [a]);
    const all = add(first.counts, second.counts, third.counts);
    expect(await countsOf([a], all.keys())).toEqual(all);
    await a.stop();
    // Graceful handover: no update lost or repeated on the output topic either.
    expect(await latestOutput(rill)).toEqual(all);
    await rill.close();
  }, 60_000);

  test('a crashed instance (no commit, no leave) loses nothing: after its session times out the other one replays from its last commit', async () => {
    const rill = openRill();
    await setUp(rill);
    const events = rebalances();
    const crashing = cuttable(rillLogClient(rill));
    // Static membership: closing does not leave the group, so only the session timeout moves its partitions.
    const a = instance(crashing.client, events, { commitIntervalMs: 600_000, group: { groupInstanceId: 'a', sessionTimeoutMs: CRASHING_SESSION_MS } });
    const b = instance(rill, events);
    await a.start();
    await b.start();
    await events.until('a 2 + 2 split', split(a, b));
    const first = lines(40, 1);
    await rill.producer().send(LINES, first.records);
    await groupCaughtUp(rill, [a, b]);

    // a processes part of the next lines, writes some results, then loses the log before it commits.
    const sinkWritesBefore = crashing.sent(COUNTS);
    const second = lines(60, 2);
    await rill.producer().send(LINES, second.records);
    await bounded('a to write some of its results', crashing.whenSent(COUNTS, sinkWritesBefore + 1));
    crashing.cut();
    await a.commit().catch(() => undefined);
    await expect(bounded('a to fail', a.done)).rejects.toThrow(/connection lost/);

    await events.until('b to own all partitions', () => b.assignedPartitions.length === PARTITIONS);
    const third = lines(30, 4);
    await rill.producer().send(LINES, third.records);
    await groupCaughtUp(rill, [b]);
    const exact = add(first.counts, second.counts, third.counts);
    const counted = await countsOf([b], exact.keys());
    // At-least-once: nothing lost; only the records after a's last commit (the second lines) can count twice.
    for (const [word, n] of exact) {
      expect(counted.get(word)).toBeGreaterThanOrEqual(n);
      expect(counted.get(word)).toBeLessThanOrEqual(n + (second.counts.get(word) ?? 0));
    }
    await b.stop();
    await rill.close();
  }, 60_000);
});

describe('external task assignment (the cluster worker drives it)', () => {
  test('assign [0,1], then [1,2,3]: task 0 is revoked and committed, tasks 2 and 3 are restored from their changelogs; counts exact', async () => {
    const rill = openRill();
    await setUp(rill);
    const events = rebalances();
    const seen: { app: string; e: RebalanceEvent }[] = [];
    const restoredByA: RestoreProgress[] = [];
    const external = (name: string, extra: Partial<StreamsConfig> = {}) =>
      instance(
        rill,
        { ...events, notify: (e) => (seen.push({ app: name, e }), events.notify(e)) },
        { taskAssignment: 'external', applicationServer: `${name}.example:7000`, ...extra },
      );
    const a = external('a', { onRestoreProgress: (p) => restoredByA.push(p) });
    const b = external('b');
    await a.start();
    await b.start();
    expect(a.assignedPartitions).toEqual([]);
    const hosts = (aOwns: number[], bOwns: number[]) =>
      new Map([...aOwns.map((p) => [p, 'a.example:7000'] as const), ...bOwns.map((p) => [p, 'b.example:7000'] as const)]);

    await bounded('a to take [0, 1]', a.assignTasks([0, 1], hosts([0, 1], [2, 3])));
    await bounded('b to take [2, 3]', b.assignTasks([2, 3], hosts([0, 1], [2, 3])));
    expect([a.assignedPartitions, b.assignedPartitions]).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const first = lines(40, 0);
    await rill.producer().send(LINES, first.records);
    await groupCaughtUp(rill, [a, b]);
    expect(await countsOf([a, b], first.counts.keys())).toEqual(first.counts);

    // The worker moves tasks: revoked on the old owner first, then assigned to the new one.
    await bounded('b to give up [2, 3]', b.assignTasks([], hosts([0, 1], [])));
    const second = lines(40, 3);
    await rill.producer().send(LINES, second.records); // a reads some or all of partition 0's share before it moves, or none
    seen.length = 0;
    restoredByA.length = 0;
    await bounded('a to move to [1, 2, 3]', a.assignTasks([1, 2, 3], hosts([1, 2, 3], [])));
    expect(a.assignedPartitions).toEqual([1, 2, 3]);
    expect(seen.map((s) => s.e)).toEqual([
      { assigned: [], revoked: [0], owned: [1] },
      { assigned: [2, 3], revoked: [], owned: [1, 2, 3] },
    ]);
    // Task 0 was committed on revocation: its next owner starts exactly there.
    const committed = await rill.admin.fetchOffsets(APP, LINES);
    expect(committed.find((c) => c.partition === 0)!.offset).toBeGreaterThan(0);
    // 2 and 3 were restored from their changelogs (those with records), with progress.
    const withData = new Set(await changelogPartitionsWithData(rill));
    expect([2, 3].some((p) => withData.has(p))).toBe(true);
    expect([...new Set(restoredByA.filter((p) => p.done).map((p) => p.partition))].sort()).toEqual([2, 3].filter((p) => withData.has(p)));

    await bounded('b to take [0]', b.assignTasks([0], hosts([1, 2, 3], [0])));
    a.setTaskHosts(hosts([1, 2, 3], [0]));
    const third = lines(30, 5);
    await rill.producer().send(LINES, third.records);
    await groupCaughtUp(rill, [a, b]);
    const all = add(first.counts, second.counts, third.counts);
    expect(await countsOf([a, b], all.keys())).toEqual(all);
    // A key a does not host: a names b, from the worker's hosts.
    let onB: string | undefined;
    for (const w of all.keys()) if (!(await a.queryKey('word-counts', w)).hosted) onB ??= w;
    expect(onB).toBeDefined();
    if (onB !== undefined) expect(await a.queryKey('word-counts', onB)).toMatchObject({ hosted: false, partition: 0, host: 'b.example:7000' });
    await expect(a.assignTasks([4])).rejects.toThrow(/no task 4 in application wc-multi; its tasks are 0\.\.3/);
    await a.stop();
    await b.stop();
    // Every move was committed after its writes: no update lost or repeated on the output topic.
    expect(await latestOutput(rill)).toEqual(all);
  }, 60_000);
});

describe('standby tasks (external assignment)', () => {
  test('a standby keeps warm copies of stores from their changelogs; when its task is assigned it restores nothing again', async () => {
    const rill = openRill();
    await setUp(rill);
    const events = rebalances();
    const restoredByB: RestoreProgress[] = [];
    const a = instance(rill, events, { taskAssignment: 'external' });
    const bLog = memoryLogger();
    const b = instance(rill, events, { taskAssignment: 'external', onRestoreProgress: (p) => restoredByB.push(p), logger: bLog });
    await a.start();
    await b.start();
    await bounded('a to take every task', a.assignTasks([0, 1, 2, 3]));
    await bounded('b to keep 2 and 3 warm', b.setStandbyTasks([2, 3]));
    expect(b.standbyPartitions).toEqual([2, 3]);
    expect(b.assignedPartitions).toEqual([]);
    const first = lines(40, 0);
    await rill.producer().send(LINES, first.records);
    await groupCaughtUp(rill, [a]);
    await bounded('b to catch its standbys up', b.catchUpStandbys());
    // A standby processes nothing and hosts no key.
    expect([...b.store<string, number>('word-counts').all()]).toEqual([]);

    await bounded('a to give up 2 and 3', a.assignTasks([0, 1]));
    await bounded('b to catch up with what a committed on revoking them', b.catchUpStandbys());
    await bounded('b to take 2 and 3', b.assignTasks([2, 3]));
    expect(b.standbyPartitions).toEqual([]);
    // Taken over warm: nothing left to restore (restore reports only partitions with something to read).
    expect(restoredByB.filter((p) => p.restored > 0)).toEqual([]);
    const withData = new Set(await changelogPartitionsWithData(rill));
    expect([2, 3].some((p) => withData.has(p))).toBe(true);
    for (const p of [2, 3])
      expect(bLog.lines).toContainEqual(expect.stringMatching(new RegExp(`store word-counts partition ${p}: taken over from a standby \\(\\d+ entries\\)`)));

    const second = lines(30, 4);
    await rill.producer().send(LINES, second.records);
    await groupCaughtUp(rill, [a, b]);
    const all = add(first.counts, second.counts);
    expect(await countsOf([a, b], all.keys())).toEqual(all);
  }, 60_000);
});

describe("taskAssignment 'all' (a log client without consumer groups)", () => {
  test('one instance runs every task; asking for a group with such a client is refused clearly', async () => {
    const rill = openRill();
    await setUp(rill);
    const inner = rillLogClient(rill);
    const noGroups: LogClient = {
      ...inner,
      consumer(options) {
        const { subscribe: _unused, ...rest } = inner.consumer(options);
        return rest;
      },
    };
    const events = rebalances();
    await expect(instance(noGroups, events, { taskAssignment: 'group' }).start()).rejects.toThrow(
      /taskAssignment 'group' needs a log client that can subscribe/,
    );
    const app = instance(noGroups, events);
    await app.start();
    expect(app.assignedPartitions).toEqual([0, 1, 2, 3]);
    await expect(app.assignTasks([0])).rejects.toThrow(/needs a started RillStreams with taskAssignment 'external' \(this one: 'all'\)/);
    const some = lines(30, 2);
    await rill.producer().send(LINES, some.records);
    await groupCaughtUp(rill, [app]);
    expect(await countsOf([app], some.counts.keys())).toEqual(some.counts);
    await app.stop();
  }, 60_000);
});

/** The real client, until cut(): then every write and commit fails, as if this instance lost its connection. */
function cuttable(inner: LogClient) {
  let isCut = false;
  const sent = new Map<string, number>();
  const waiters: { topic: string; n: number; resolve: () => void }[] = [];
  const lost = () => Promise.reject(new Error('connection lost'));
  const acked = (topic: string, n: number) => {
    sent.set(topic, (sent.get(topic) ?? 0) + n);
    for (const w of waiters.splice(0)) {
      if ((sent.get(w.topic) ?? 0) >= w.n) w.resolve();
      else waiters.push(w);
    }
  };
  const client: LogClient = {
    ...inner,
    producer() {
      const p = inner.producer();
      return {
        send: (topic, record) => (isCut ? lost() : p.send(topic, record).then(() => acked(topic, 1))),
        sendBatch: (topic, records) => (isCut ? lost() : p.sendBatch(topic, records).then(() => acked(topic, records.length))),
        flush: () => p.flush(),
        close: () => p.close(),
      };
    },
    consumer(options) {
      const c = inner.consumer(options);
      return { ...c, commit: (offsets) => (isCut ? lost() : c.commit(offsets)) };
    },
  };
  return {
    client,
    cut: () => (isCut = true),
    sent: (topic: string) => sent.get(topic) ?? 0,
    whenSent: (topic: string, n: number) =>
      (sent.get(topic) ?? 0) >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ topic, n, resolve })),
  };
}
