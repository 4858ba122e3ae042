// Interactive queries over HTTP: several instances of one application on the
// real embedded broker, each serving /stores and /metadata. Any instance
// answers for every key (forwarding to the owner), scans merge every
// instance's part, and the answers survive a task move. Every wait is on an
// event or a condition, and bounded.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { kafkaLogClient, Rill } from '../../../core/client';
import { KafkaServer } from '../../../core/protocol';
import { stringSerde } from '../../../core/schema';
import { count, memoryLogger, rillLogClient, RillStreams, session, StreamsBuilder, tumbling, type LogClient } from '../../../dsl';
import { LINES, wordCountTopology } from '../../../examples/wordcount/topology';
import { rebalanceWaits } from '../../support/rebalance-waits';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-query-server');
afterAll(() => dirs.removeAll());
/** Everything a test opened, closed after it even when it failed (last opened, first closed). */
const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

const WAIT_MS = 30_000;
const PARTITIONS = 4;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];
/** Fast rebalances; sessions long enough that a loaded machine never expires a live member. */
const GROUP = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 };

interface Reply {
  status: number;
  body: { [k: string]: unknown };
  servedBy: string | null;
  retryAfter: string | null;
}

async function get(base: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, init);
  return {
    status: res.status,
    body: (await res.json()) as { [k: string]: unknown },
    servedBy: res.headers.get('x-rill-query-served-by'),
    retryAfter: res.headers.get('retry-after'),
  };
}

/** Re-checks `condition` until it holds, bounded: for state other processes' work settles (the group's view, counts). */
async function eventually(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function openRill(): Rill {
  const rill = Rill.open({ dir: dirs.make(), groups: { minSessionTimeoutMs: 100 }, groupTickIntervalMs: 20 });
  opened.push(() => rill.close());
  return rill;
}

function started(app: RillStreams): RillStreams {
  opened.push(() => app.stop());
  return app;
}

/** The host:port an instance advertises (its queryUrl without the scheme). */
const hostOf = (app: RillStreams) => app.queryUrl!.slice('http://'.length);

/** Lines of words over every partition, and the counts they make. */
function lines(n: number): { records: { value: string; partition: number }[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const records = [];
  for (let i = 0; i < n; i++) {
    const words = [0, 1, 2].map((j) => WORDS[(i * 7 + j * 5) % WORDS.length]);
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    records.push({ value: words.join(' '), partition: i % PARTITIONS });
  }
  return { records, counts };
}

/** Every instance's view of the group agrees with who runs what, and no task is between owners. */
async function directoryAgrees(apps: RillStreams[]): Promise<boolean> {
  const owned = apps.flatMap((a) => a.assignedPartitions);
  if (owned.length !== PARTITIONS || new Set(owned).size !== PARTITIONS) return false;
  for (const a of apps) {
    const m = (await get(a.queryUrl!, '/metadata')).body as { unassigned: number[]; instances: { host: string; partitions: number[] }[] };
    if (m.unassigned.length > 0) return false;
    for (const other of apps) {
      const listed = m.instances.find((i) => i.host === hostOf(other))?.partitions ?? [];
      if (listed.join() !== other.assignedPartitions.join()) return false;
    }
  }
  return true;
}

/** Every instance answers every word with its count, served by the word's owner. */
async function answersFromEveryInstance(apps: RillStreams[], counts: Map<string, number>): Promise<boolean> {
  for (const word of counts.keys()) {
    const { partition } = (await get(apps[0].queryUrl!, `/stores/word-counts/keys/${word}/metadata`)).body;
    const owner = apps.find((a) => a.assignedPartitions.includes(partition as number));
    if (!owner) return false;
    for (const a of apps) {
      const r = await get(a.queryUrl!, `/stores/word-counts/keys/${word}`);
      if (r.status !== 200 || r.body.value !== counts.get(word) || r.servedBy !== hostOf(owner)) return false;
    }
  }
  return true;
}

describe('interactive queries over HTTP', () => {
  test('three instances in a group: every key from every instance, scans merged from all; the same after an instance leaves', async () => {
    const rill = openRill();
    await rill.admin.createTopics([{ name: LINES, partitions: PARTITIONS }]);
    const events = rebalanceWaits(WAIT_MS);
    const instance = () =>
      started(new RillStreams(wordCountTopology('wc-http'), { log: rill, logger: memoryLogger(), queryPort: 0, onRebalance: events.notify, group: GROUP }));
    const apps = [instance(), instance(), instance()];
    for (const a of apps) await a.start();
    expect(new Set(apps.map(hostOf)).size).toBe(3);
    await events.until('every task owned by one of the three', () => apps.every((a) => a.assignedPartitions.length > 0));
    await eventually('the group to settle', () => directoryAgrees(apps));
    // Written once the group is settled: no commit is refused by a rebalance, so the counts are exact.
    const { records, counts } = lines(60);
    await rill.producer().send(LINES, records);
    await eventually('every count from every instance', async () => {
      await Promise.all(apps.map((a) => a.waitUntilCaughtUp()));
      return answersFromEveryInstance(apps, counts);
    });

    const sorted = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key, value }));
    for (const a of apps) {
      expect((await get(a.queryUrl!, '/stores/word-counts/range?limit=100')).body).toEqual({ store: 'word-counts', entries: sorted, more: false });
      expect((await get(a.queryUrl!, '/stores/word-counts/range?prefix=e')).body.entries).toEqual(sorted.filter((e) => e.key.startsWith('e')));
      expect((await get(a.queryUrl!, '/stores/word-counts/range?from=d&to=gz')).body.entries).toEqual(sorted.filter((e) => e.key >= 'd' && e.key <= 'gz'));
      expect((await get(a.queryUrl!, '/stores/word-counts/range?limit=3')).body).toEqual({ store: 'word-counts', entries: sorted.slice(0, 3), more: true });
      // A key as the base64 of its serialized bytes.
      const alpha = await get(a.queryUrl!, `/stores/word-counts/keys/${Buffer.from('alpha').toString('base64')}?keyEncoding=base64`);
      expect(alpha.body).toMatchObject({ key: 'alpha', value: counts.get('alpha') });
    }
    const meta = (await get(apps[0].queryUrl!, '/metadata')).body;
    expect(meta).toMatchObject({ application: 'wc-http', self: hostOf(apps[0]), ready: true, tasks: PARTITIONS, unassigned: [] });

    // An instance leaves: its tasks move to the other two, which answer everything.
    const leaving = apps.pop()!;
    await leaving.stop();
    await events.until('the two survivors to own every task', () => apps.flatMap((a) => a.assignedPartitions).length === PARTITIONS);
    await eventually('the group to settle again', () => directoryAgrees(apps));
    await eventually('every count from both survivors', async () => {
      await Promise.all(apps.map((a) => a.waitUntilCaughtUp()));
      return answersFromEveryInstance(apps, counts);
    });
    for (const a of apps) expect((await get(a.queryUrl!, '/stores/word-counts/range?limit=100')).body.entries).toEqual(sorted);
  }, 120_000);

  test('on the kafkajs client (Kafka, Redpanda): the applicationServer rides in the subscription userData, and every instance answers every key', async () => {
    const rill = openRill();
    const server = await KafkaServer.start({ broker: rill.broker, port: 0, host: '127.0.0.1' });
    opened.push(() => server.close(2000));
    const client = () => {
      const c = kafkaLogClient({ brokers: [`127.0.0.1:${server.port}`], clientId: 'one-kafkajs-client-id' });
      opened.push(() => c.close());
      return c;
    };
    const admin = client();
    await admin.ensureTopics([{ name: LINES, partitions: PARTITIONS }]);
    const events = rebalanceWaits(WAIT_MS);
    // kafkajs learns of a rebalance at its next heartbeat: heartbeat often.
    const group = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 100, rebalanceTimeoutMs: 5_000 };
    const instance = () =>
      started(
        new RillStreams(wordCountTopology('wc-kafkajs-http'), { log: client(), logger: memoryLogger(), queryPort: 0, onRebalance: events.notify, group }),
      );
    const apps = [instance(), instance()];
    for (const a of apps) await a.start();
    await events.until('a 2 + 2 split', () => apps.every((a) => a.assignedPartitions.length === 2));
    await eventually('the group to settle', () => directoryAgrees(apps));
    // kafkajs has one client id per client: each member's own comes from its subscription's userData.
    expect((await admin.groupMembers!('wc-kafkajs-http')).map((m) => m.clientId).sort()).toEqual(apps.map((a) => `rill-streams@${hostOf(a)}`).sort());

    const { records, counts } = lines(40);
    await rill.producer().send(LINES, records);
    await eventually('every count from both instances', async () => {
      await Promise.all(apps.map((a) => a.waitUntilCaughtUp()));
      return answersFromEveryInstance(apps, counts);
    });
  });

  describe('two instances with external assignment', () => {
    let rill: Rill;
    let a: RillStreams;
    let b: RillStreams;
    beforeEach(async () => {
      rill = openRill();
      await rill.admin.createTopics([{ name: 'hits', partitions: 2 }]);
      // Keys of both partitions, at event times 0..31 s.
      const keys = ['p', 'q', 'r', 's'];
      await rill.producer().send(
        'hits',
        [0, 15, 17, 31].flatMap((t) => keys.map((key) => ({ key, value: 'x', timestamp: t * 1000 }))),
      );
      const instance = () => {
        const builder = new StreamsBuilder('hits-http');
        const hits = builder.stream('hits', { key: stringSerde(), value: stringSerde() });
        hits.pipe(count({ store: 'per-10s', window: tumbling(10_000) }));
        hits.pipe(count({ store: 'sessions', window: session(5_000) }));
        return started(new RillStreams(builder.build(), { log: rill, logger: memoryLogger(), taskAssignment: 'external', queryPort: 0 }));
      };
      [a, b] = [instance(), instance()];
      await a.start();
      await b.start();
      // No hosts map: each instance claims its tasks in hits-http-query-hosts, where the other reads them.
      await a.assignTasks([0]);
      await b.assignTasks([1]);
      await a.waitUntilCaughtUp();
      await b.waitUntilCaughtUp();
    });

    test("a key's windows by time range, from either instance", async () => {
      for (const key of ['p', 'q', 'r', 's']) {
        for (const app of [a, b]) {
          const r = await get(app.queryUrl!, `/stores/per-10s/keys/${key}/windows?from=10000&to=40000`);
          expect(r.status).toBe(200);
          expect(r.body).toEqual({
            store: 'per-10s',
            key,
            partition: expect.any(Number),
            windows: [
              { start: 10_000, end: 20_000, value: 2 },
              { start: 30_000, end: 40_000, value: 1 },
            ],
          });
          expect(r.servedBy).toBe(hostOf(r.body.partition === 0 ? a : b));
        }
        const all = await get(a.queryUrl!, `/stores/per-10s/keys/${key}/windows`);
        expect((all.body.windows as unknown[]).length).toBe(3);
      }
      // Session windows live in a window store: each session is a window [first, last record].
      for (const app of [a, b]) {
        expect((await get(app.queryUrl!, '/stores/sessions/keys/r/windows')).body.windows).toEqual([
          { start: 0, end: 0, value: 1 },
          { start: 15_000, end: 17_000, value: 2 },
          { start: 31_000, end: 31_000, value: 1 },
        ]);
      }
      const iso = await get(b.queryUrl!, `/stores/per-10s/keys/p/windows?from=1970-01-01T00:00:10Z&to=1970-01-01T00:00:20Z`);
      expect(iso.body.windows).toEqual([{ start: 10_000, end: 20_000, value: 2 }]);
    });

    test('a task move: the new owner claims it, and both instances answer from there', async () => {
      const windowsOf = async (app: RillStreams, key: string) => {
        const r = await get(app.queryUrl!, `/stores/per-10s/keys/${key}/windows?from=0&to=40000`);
        return { status: r.status, servedBy: r.servedBy, partition: r.body.partition, windows: r.body.windows };
      };
      const before = await Promise.all(['p', 'q', 'r', 's'].map((key) => windowsOf(a, key)));
      expect(before.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(new Set(before.map((r) => r.servedBy))).toEqual(new Set([hostOf(a), hostOf(b)]));
      // Task 1 moves from b to a: revoked first, then assigned.
      await b.assignTasks([]);
      await a.assignTasks([0, 1]);
      for (const app of [a, b]) {
        const after = await Promise.all(['p', 'q', 'r', 's'].map((key) => windowsOf(app, key)));
        expect(after).toEqual(before.map((r) => ({ ...r, servedBy: hostOf(a) })));
      }
      expect((await get(b.queryUrl!, '/metadata')).body).toMatchObject({
        self: hostOf(b),
        instances: [
          { host: hostOf(b), partitions: [] },
          { host: hostOf(a), partitions: [0, 1] },
        ],
        unassigned: [],
      });
      // b stops: its claim goes; a still answers everything.
      await b.stop();
      expect((await get(a.queryUrl!, '/metadata')).body).toMatchObject({ instances: [{ host: hostOf(a), partitions: [0, 1] }], unassigned: [] });
    });

    test('clear errors: 404 unknown store or no value, 400 bad parameters, 405, 503 with Retry-After', async () => {
      const base = a.queryUrl!;
      const expectError = async (path: string, status: number, error: RegExp, init?: RequestInit) => {
        const r = await get(base, path, init);
        expect({ status: r.status, error: r.body.error }).toEqual({ status, error: expect.stringMatching(error) });
        return r;
      };
      await expectError(
        '/stores/nope/keys/p',
        404,
        /no store "nope" in application hits-http \(stores: per-10s, per-10s-stream-time, sessions, sessions-stream-time\)/,
      );
      await expectError('/stores/per-10s-stream-time/keys/nobody', 404, /has no value for the key nobody/);
      await expectError('/stores/per-10s/keys/p', 400, /is a window store: query a key's windows at \/stores\/per-10s\/keys\/KEY\/windows/);
      await expectError('/stores/per-10s-stream-time/keys/p/windows', 400, /is a key-value store/);
      await expectError('/stores/per-10s/range', 400, /scans cover key-value stores/);
      await expectError('/stores/per-10s/keys/p/windows?from=20&to=10', 400, /from \(20\) is after to \(10\)/);
      await expectError('/stores/per-10s/keys/p/windows?from=yesterday', 400, /from must be a time in epoch milliseconds or an ISO-8601 date/);
      await expectError('/stores/per-10s-stream-time/range?limit=0', 400, /limit must be an integer from 1 to 10000/);
      await expectError('/stores/per-10s-stream-time/range?prefix=a&from=b', 400, /either prefix, or from and\/or to/);
      await expectError('/stores/per-10s/keys/p/windows?keyEncoding=hex', 400, /keyEncoding must be "text" or "base64"/);
      await expectError('/stores/per-10s/keys/%E0%A4%A/windows', 400, /not valid percent-encoding/);
      await expectError('/stores/per-10s/keys/!!!/windows?keyEncoding=base64', 400, /is not base64/);
      await expectError('/nothing/here', 404, /no such query: \/nothing\/here/);
      await expectError('/metadata', 405, /method POST not allowed/, { method: 'POST' });

      // A key whose partition b runs.
      let onB: string | undefined;
      for (const key of ['p', 'q', 'r', 's']) if ((await get(base, `/stores/per-10s/keys/${key}/metadata`)).body.host === hostOf(b)) onB ??= key;
      expect(onB).toBeDefined();
      // Asked as the owner of a partition it does not host (a forwarded request): 503, never a second hop.
      const notHere = await expectError(`/stores/per-10s/keys/${onB}/windows`, 503, /was asked as the owner of partition 1, but does not host it now/, {
        headers: { 'x-rill-query-forwarded': 'elsewhere:1' },
      });
      expect(notHere.retryAfter).toBe('1');
      // The owner unreachable: 503.
      a.setTaskHosts(new Map([[1, await closedPort()]]));
      const unreachable = await expectError(`/stores/per-10s/keys/${onB}/windows`, 503, /the owner at 127\.0\.0\.1:\d+ is unreachable/);
      expect(unreachable.retryAfter).toBe('1');
      // The owner unknown: 503, and scans too.
      a.setTaskHosts(new Map());
      await expectError(`/stores/per-10s/keys/${onB}/windows`, 503, /partition 1 of application hits-http has no known owner now/);
      await expectError('/stores/per-10s-stream-time/range', 503, /partition 1 of application hits-http has no known owner now/);
    });
  });

  test('503 with Retry-After while the first tasks restore; answers once running; the port is closed at stop', async () => {
    const rill = openRill();
    await rill.admin.createTopics([{ name: LINES, partitions: 1 }]);
    // Hold the start at its first look at the topics (the query server is up by then).
    let reached!: () => void;
    const atTopics = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const inner = rillLogClient(rill);
    const held: LogClient = {
      ...inner,
      partitionCount: async (topic) => {
        reached();
        await released;
        return inner.partitionCount(topic);
      },
    };
    const app = started(new RillStreams(wordCountTopology('wc-starting'), { log: held, logger: memoryLogger(), queryPort: 0, taskAssignment: 'all' }));
    const starting = app.start();
    await atTopics;
    const r = await get(app.queryUrl!, '/stores/word-counts/keys/alpha');
    expect({ status: r.status, retryAfter: r.retryAfter, error: r.body.error }).toEqual({
      status: 503,
      retryAfter: '1',
      error: 'application wc-starting cannot answer queries now: it is restoring; try again',
    });
    expect((await get(app.queryUrl!, '/metadata')).body).toMatchObject({ ready: false });
    release();
    await starting;
    await rill.producer().send(LINES, [{ value: 'alpha beta alpha' }]);
    await app.waitUntilCaughtUp();
    expect((await get(app.queryUrl!, '/stores/word-counts/keys/alpha')).body).toEqual({ store: 'word-counts', key: 'alpha', partition: 0, value: 2 });
    const url = app.queryUrl!;
    await app.stop();
    await expect(fetch(`${url}/metadata`)).rejects.toThrow();
  });
});

test('a query port in use: start() fails saying so, and nothing stays open', async () => {
  const rill = openRill();
  await rill.admin.createTopics([{ name: LINES, partitions: 1 }]);
  const taken = http.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  opened.push(() => new Promise<void>((r) => taken.close(() => r())));
  const { port } = taken.address() as AddressInfo;
  const app = new RillStreams(wordCountTopology('wc-taken'), { log: rill, logger: memoryLogger(), queryPort: port });
  await expect(app.start()).rejects.toThrow(new RegExp(`cannot serve interactive queries on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*; pick another queryPort`));
});

/** A host:port nothing listens on (a port just given back). */
async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `127.0.0.1:${port}`;
}
