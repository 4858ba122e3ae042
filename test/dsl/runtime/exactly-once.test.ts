// processingGuarantee 'exactly-once' (EOS v2) on a real log, through each of
// the three LogClients: the embedded Rill, the Rill protocol client and
// kafkajs against Rill's Kafka server (`rill broker`'s front end, in process,
// port 0). A word count (a store with a changelog, a repartition topic, an
// output topic) is checked through a read_committed reader: every word's
// output is exactly 1, 2, ..., n (a duplicate or a lost update would show),
// and nothing is visible before its interval commits. A write that fails once
// aborts the interval (the tasks restart from the changelogs and the committed
// offsets), and an older instance with the same instanceId is fenced: its
// writes never become visible. Every wait is on a condition, bounded.
import { kafkaLogClient, protocolLogClient, Rill } from '../../../core/client';
import { KafkaServer } from '../../../core/protocol';
import { jsonSerde, stringSerde } from '../../../core/schema';
import {
  count,
  flatMapValues,
  mapValues,
  memoryLogger,
  rillLogClient,
  RillStreams,
  selectKey,
  StreamsBuilder,
  to,
  type LogClient,
  type StreamsConfig,
} from '../../../dsl';
import { COUNTS, LINES, wordCountTopology } from '../../../examples/wordcount/topology';
import { eventually } from '../../connectors/support';
import { committedCounts as readCommittedCounts, exactCounts } from '../../support/committed-counts';
import { rebalanceWaits } from '../../support/rebalance-waits';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('dsl-eos');
afterAll(() => dirs.removeAll());
/** Everything a test opened, closed after it even when it failed (last opened, first closed). */
const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];
/** Longer than any test: the runtime commits only when a test says so (commit(), waitUntilCaughtUp(), stop()). */
const NEVER = 3_600_000;

type ClientKind = 'embedded' | 'protocol' | 'kafkajs';

interface Setup {
  rill: Rill;
  /** The log client the application runs on. */
  client: LogClient;
}

async function setUp(kind: ClientKind, partitions: number): Promise<Setup> {
  const rill = Rill.open({ dir: dirs.make() });
  opened.push(() => rill.close());
  await rill.admin.createTopics([{ name: LINES, partitions }]);
  if (kind === 'embedded') return { rill, client: rillLogClient(rill) };
  const server = await KafkaServer.start({ broker: rill.broker, port: 0, host: '127.0.0.1' });
  opened.push(() => server.close(2000));
  const brokers = [`127.0.0.1:${server.port}`];
  const client = kind === 'protocol' ? protocolLogClient({ brokers, clientId: 'eos-test' }) : kafkaLogClient({ brokers, clientId: 'eos-test' });
  opened.push(() => client.close());
  return { rill, client };
}

function app(id: string, client: LogClient, extra: Partial<StreamsConfig> = {}): RillStreams & { logger: ReturnType<typeof memoryLogger> } {
  const logger = memoryLogger();
  const streams = new RillStreams(wordCountTopology(id), { log: client, logger, processingGuarantee: 'exactly-once', taskAssignment: 'all', ...extra });
  opened.push(() => streams.stop());
  return Object.assign(streams, { logger });
}

const WAIT_MS = 20_000;

/** Waits for the application to catch up, bounded; a timeout says what its log said. */
async function caughtUp(
  streams: RillStreams,
  logger: { lines: string[] } = (streams as Partial<ReturnType<typeof app>>).logger ?? { lines: [] },
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not caught up after ${WAIT_MS} ms; its log:\n${logger.lines.join('\n')}`)), WAIT_MS);
  });
  await Promise.race([streams.waitUntilCaughtUp(), timeout]).finally(() => clearTimeout(timer));
}

/** Lines of three words each, spread over the partitions; and how often each word occurs. */
function lines(n: number, seed: number, partitions: number): { records: { value: string; partition: number }[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const records = [];
  for (let i = 0; i < n; i++) {
    const words = [0, 1, 2].map((j) => VOCABULARY[(i * 3 + j * 2 + seed) % VOCABULARY.length]);
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    records.push({ value: words.join(' '), partition: i % partitions });
  }
  return { records, counts };
}

function add(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const sum = new Map(a);
  for (const [k, v] of b) sum.set(k, (sum.get(k) ?? 0) + v);
  return sum;
}

/** Each word's output values in order, as a read_committed reader sees them. */
const committedCounts = (rill: Rill) => readCommittedCounts(rillLogClient(rill), COUNTS);

/** Records on the topic's partitions, committed or not (markers included). */
async function written(rill: Rill, topic: string): Promise<number> {
  return (await rill.admin.fetchTopicOffsets(topic)).reduce((n, o) => n + o.highWatermark, 0);
}

/** A client whose transactional producer fails one write to `topic` once armed (the write is never sent). */
function failingOnce(client: LogClient, topic: string): { client: LogClient; arm(): void; readonly failed: boolean } {
  let armed = false;
  let failed = false;
  const wrapped: LogClient = {
    ...client,
    transactionalLogProducer(options) {
      const producer = client.transactionalLogProducer!(options);
      return {
        ...producer,
        sendBatch(t, records) {
          if (armed && !failed && t === topic) {
            failed = true;
            return Promise.reject(new Error(`injected failure of a write to ${t}`));
          }
          return producer.sendBatch(t, records);
        },
      };
    },
  };
  return {
    client: wrapped,
    arm: () => (armed = true),
    get failed() {
      return failed;
    },
  };
}

describe.each<ClientKind>(['embedded', 'protocol', 'kafkajs'])("processingGuarantee 'exactly-once' over the %s client", (kind) => {
  test('outputs become visible to read_committed readers only when their interval commits; the counts are exact', async () => {
    const { rill, client } = await setUp(kind, 1);
    // One partition: repartitioned records go on in memory, so the output is written within the interval.
    const wc = app('eos-visible', client, { commitIntervalMs: NEVER });
    await wc.start();
    const first = lines(30, 0, 1);
    await rill.producer().send(LINES, first.records);
    await eventually(async () => (await written(rill, COUNTS)) >= 90, 'the output of the first lines to be written');
    // Written, in the open transaction: a read_committed reader sees none of it, nor the offsets.
    expect(await committedCounts(rill)).toEqual(new Map());
    expect((await rill.admin.fetchOffsets('eos-visible', LINES))[0].offset).toBe(-1);
    await wc.commit();
    expect(await committedCounts(rill)).toEqual(exactCounts(first.counts));
    expect((await rill.admin.fetchOffsets('eos-visible', LINES))[0].offset).toBe(30);

    const second = lines(20, 1, 1);
    await rill.producer().send(LINES, second.records);
    await caughtUp(wc);
    await wc.stop();
    expect(await committedCounts(rill)).toEqual(exactCounts(add(first.counts, second.counts)));
  });

  test('a write that fails aborts the interval: the tasks restart from the changelogs and committed offsets, and no count is repeated or lost', async () => {
    const partitions = 2;
    const { rill, client } = await setUp(kind, partitions);
    const faulty = failingOnce(client, COUNTS);
    const wc = app('eos-abort', faulty.client, { commitIntervalMs: 50 });
    await wc.start();
    const first = lines(40, 0, partitions);
    await rill.producer().send(LINES, first.records);
    await caughtUp(wc);
    expect(await committedCounts(rill)).toEqual(exactCounts(first.counts));

    faulty.arm();
    const second = lines(60, 2, partitions);
    await rill.producer().send(LINES, second.records);
    await caughtUp(wc);
    expect(faulty.failed).toBe(true);
    expect(wc.state).toBe('running');
    expect(wc.logger.lines.some((l) => /transaction aborted \(write to topic word-counts failed.*injected failure/.test(l))).toBe(true);
    const total = add(first.counts, second.counts);
    expect(await committedCounts(rill)).toEqual(exactCounts(total));
    // The restarted tasks' stores hold the exact counts too (restored from the committed changelog, then updated).
    for (const [word, n] of total) expect(await wc.queryKey<string, number>('word-counts', word)).toMatchObject({ hosted: true, value: n });
    await wc.stop();
  });
});

describe.each<ClientKind>(['embedded', 'protocol'])('a zombie instance over the %s client', (kind) => {
  test('an older instance with the same instanceId is fenced when a newer one starts: its writes never become visible, the newer one counts exactly', async () => {
    const { rill, client } = await setUp(kind, 1);
    const old = app('eos-zombie', client, { commitIntervalMs: NEVER, instanceId: 'one' });
    await old.start();
    const first = lines(30, 0, 1);
    await rill.producer().send(LINES, first.records);
    await eventually(async () => (await written(rill, COUNTS)) >= 90, "the old instance's output to be written");

    // The same instanceId: the same transactional id. Starting fences the old one and aborts its open transaction.
    const fresh = app('eos-zombie', client, { commitIntervalMs: NEVER, instanceId: 'one' });
    await fresh.start();
    await expect(old.commit()).rejects.toThrow(/fenced by a newer one with the same transactional id/);
    await expect(old.done).rejects.toThrow(/fenced/);
    expect(old.state).toBe('failed');

    await caughtUp(fresh);
    const second = lines(10, 3, 1);
    await rill.producer().send(LINES, second.records);
    await caughtUp(fresh);
    await fresh.stop();
    // The old instance's 90 records are on the log, aborted: only the new one's are seen.
    expect(await written(rill, COUNTS)).toBeGreaterThan(90 + 120);
    expect(await committedCounts(rill)).toEqual(exactCounts(add(first.counts, second.counts)));
  });
});

describe("'exactly-once' under a consumer group (embedded log)", () => {
  test('two instances share the tasks, one stops (its revocation commits its transaction), the other takes over: counts exact', async () => {
    const partitions = 4;
    const rill = Rill.open({ dir: dirs.make(), groups: { minSessionTimeoutMs: 100 }, groupTickIntervalMs: 20 });
    opened.push(() => rill.close());
    await rill.admin.createTopics([{ name: LINES, partitions }]);
    const events = rebalanceWaits(WAIT_MS);
    // Dynamic members (a stopping one leaves at once); long sessions (a loaded machine must not expire a live member), quick heartbeats.
    const group = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 };
    const a = app('eos-group', rillLogClient(rill), {
      taskAssignment: 'group',
      commitIntervalMs: 100,
      onRebalance: events.notify,
      instanceId: 'a',
      group,
    });
    const b = app('eos-group', rillLogClient(rill), {
      taskAssignment: 'group',
      commitIntervalMs: 100,
      onRebalance: events.notify,
      instanceId: 'b',
      group,
    });
    await a.start();
    const first = lines(40, 0, partitions);
    await rill.producer().send(LINES, first.records);
    await b.start();
    await events.until('a 2 + 2 split', () => a.assignedPartitions.length === 2 && b.assignedPartitions.length === 2);
    const second = lines(60, 4, partitions);
    await rill.producer().send(LINES, second.records);
    await Promise.all([caughtUp(a), caughtUp(b)]);

    await b.stop();
    await events.until('a to own every task', () => a.assignedPartitions.length === partitions);
    const third = lines(30, 5, partitions);
    await rill.producer().send(LINES, third.records);
    await caughtUp(a);
    await a.stop();
    expect(await committedCounts(rill)).toEqual(exactCounts(add(add(first.counts, second.counts), third.counts)));
  });

  test("a 'fail' policy stops the app without committing its interval; a restart goes on from the last commit: counts exact", async () => {
    const { rill, client } = await setUp('embedded', 1);
    let cured = false;
    const poisoned = new StreamsBuilder('eos-fail');
    // Counts words; the word "poison" throws in user code (processingErrors 'fail').
    poisoned.stream(LINES, { key: stringSerde(), value: stringSerde() }).pipe(
      flatMapValues((line: string) => line.split(' ')),
      mapValues((w: string) => {
        if (w === 'poison' && !cured) throw new Error('poisoned word');
        return w;
      }),
      selectKey((r) => r.value, { keySerde: stringSerde() }),
      count({ store: 'word-counts' }),
      to(COUNTS, { key: stringSerde(), value: jsonSerde<number>() }),
    );
    const config: StreamsConfig = { log: client, logger: memoryLogger(), processingGuarantee: 'exactly-once', taskAssignment: 'all', commitIntervalMs: NEVER };
    const first = lines(20, 0, 1);
    await rill.producer().send(LINES, first.records);
    const sick = new RillStreams(poisoned.build(), config);
    opened.push(() => sick.stop());
    await sick.start();
    await caughtUp(sick);
    // The poisoned line comes after more lines of the same interval: their outputs are in the open transaction.
    const second = lines(10, 1, 1);
    await rill.producer().send(LINES, [...second.records, { value: 'alpha poison beta', partition: 0 }]);
    await expect(sick.done).rejects.toThrow(/poisoned word/);

    cured = true;
    const healed = new RillStreams(poisoned.build(), config);
    opened.push(() => healed.stop());
    await healed.start();
    await caughtUp(healed);
    await healed.stop();
    const last = new Map([
      ['alpha', 1],
      ['poison', 1],
      ['beta', 1],
    ]);
    expect(await committedCounts(rill)).toEqual(exactCounts(add(add(first.counts, second.counts), last)));
  });
});
