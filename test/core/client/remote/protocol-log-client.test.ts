// The Rill protocol LogClient (what `rill worker` runs RillStreams on)
// against Rill's own Kafka wire server: a consumer whose partitions change
// with every assign(), starting at the group's committed offsets, committing
// without being a group member, refusing commits of fenced partitions; and
// RillStreams with external task assignment over it.
import { KafkaServer } from '../../../../core/protocol';
import { stringSerde } from '../../../../core/schema';
import { CommitRefusedError, join, mapValues, memoryLogger, RillStreams, StreamsBuilder, to, type LogConsumer, type LogRecord } from '../../../../dsl';
import { partitionForKey, protocolLogClient, type ProtocolLogClient } from '../../../../core/client';
import { openTempRill, readTopic, type TempRill } from '../../../connectors/support';

let t: TempRill;
let server: KafkaServer;
let client: ProtocolLogClient;

beforeAll(async () => {
  t = openTempRill();
  server = await KafkaServer.start({ broker: t.rill.broker, port: 0, host: '127.0.0.1' });
  client = protocolLogClient({ brokers: [`127.0.0.1:${server.port}`], clientId: 'rill-assigned-test', maxWaitMs: 100 });
});
afterAll(async () => {
  await client?.close();
  await server?.close(2000);
  await t?.close();
});

/** Resolves once the group's committed offset of a partition reaches `offset` (bounded by the test timeout). */
async function committedTo(c: ProtocolLogClient, group: string, topic: string, partition: number, offset: number): Promise<void> {
  while (((await c.committedOffsets(group, topic)).get(partition) ?? -1) < offset) await new Promise((r) => setTimeout(r, 20));
}

/** The next `n` records (bounded by the test timeout). */
async function take(it: AsyncIterator<LogRecord>, n: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

test('a consumer follows assign() calls, resumes at committed offsets, and refuses commits of fenced partitions', async () => {
  await client.ensureTopics([{ name: 'a-lines', partitions: 3 }]);
  await t.rill.producer().send(
    'a-lines',
    Array.from({ length: 30 }, (_, i) => ({ value: `v${i}`, partition: i % 3 })),
  );
  const consumer: LogConsumer = client.consumer({ groupId: 'a-app' });
  const records = consumer.records();
  try {
    await consumer.assign([{ topic: 'a-lines', partition: 0 }]);
    const first = await take(records, 10);
    expect(first.map((r) => r.partition)).toEqual(Array(10).fill(0));
    expect(first.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // A simple commit (the group has no members), read back through the admin API.
    await consumer.commit([{ topic: 'a-lines', partition: 0, offset: 4 }]);
    expect((await client.committedOffsets('a-app', 'a-lines')).get(0)).toBe(4);

    // Reassign: partition 0 goes, 1 comes (from the log start: nothing committed).
    await consumer.assign([{ topic: 'a-lines', partition: 1 }]);
    const second = await take(records, 10);
    expect(second.every((r) => r.partition === 1)).toBe(true);
    expect(consumer.bufferedRecords()).toBe(0);

    // Partition 0 again: it starts where the group committed, not where it was read to.
    await consumer.assign([
      { topic: 'a-lines', partition: 0 },
      { topic: 'a-lines', partition: 1 },
    ]);
    expect(consumer.position({ topic: 'a-lines', partition: 0 })).toBe(4);
    const again = await take(records, 6);
    expect(again.map((r) => `${r.partition}@${r.offset}`)).toEqual([4, 5, 6, 7, 8, 9].map((o) => `0@${o}`));

    // Fenced: partition 1 runs elsewhere now; its commit is refused, partition 0's goes through.
    client.fencePartitions([1]);
    await expect(consumer.commit([{ topic: 'a-lines', partition: 1, offset: 10 }])).rejects.toBeInstanceOf(CommitRefusedError);
    await consumer.commit([{ topic: 'a-lines', partition: 0, offset: 10 }]);
    expect((await client.committedOffsets('a-app', 'a-lines')).get(1) ?? -1).toBe(-1);
    // Assigned again (the controller gave it back): commits go through again.
    await consumer.assign([{ topic: 'a-lines', partition: 0 }]);
    await consumer.assign([
      { topic: 'a-lines', partition: 0 },
      { topic: 'a-lines', partition: 1 },
    ]);
    await consumer.commit([{ topic: 'a-lines', partition: 1, offset: 10 }]);
    expect((await client.committedOffsets('a-app', 'a-lines')).get(1)).toBe(10);
  } finally {
    await consumer.close();
  }
  expect(await records.next()).toEqual({ done: true, value: undefined });
});

test('RillStreams runs exactly the tasks it is given (external assignment) over it', async () => {
  await client.ensureTopics([{ name: 'x-in', partitions: 2 }]);
  await t.rill.producer().send(
    'x-in',
    Array.from({ length: 8 }, (_, i) => ({ value: `w${i}`, partition: i % 2 })),
  );
  const builder = new StreamsBuilder('x-app');
  builder.stream('x-in', { key: stringSerde(), value: stringSerde() }).pipe(
    mapValues((v: string) => v.toUpperCase()),
    to('x-out', { key: stringSerde(), value: stringSerde() }),
  );
  const app = new RillStreams(builder.build(), { log: client, logger: memoryLogger(), taskAssignment: 'external', commitIntervalMs: 50 });
  await app.start();
  try {
    await app.assignTasks([1]);
    // waitUntilCaughtUp() would wait for task 0 too (every input partition, by its owner): wait for task 1's commit.
    await committedTo(client, 'x-app', 'x-in', 1, 4);
    expect((await readTopic(t.rill, 'x-out')).map((r) => r.value!.toString()).sort()).toEqual(['W1', 'W3', 'W5', 'W7']);
    await app.assignTasks([0]);
    await app.waitUntilCaughtUp();
    expect((await readTopic(t.rill, 'x-out')).map((r) => r.value!.toString()).sort()).toEqual(['W0', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7']);
    const committed = await client.committedOffsets('x-app', 'x-in');
    expect([committed.get(0), committed.get(1)]).toEqual([4, 4]);
  } finally {
    await app.stop();
  }
});

test('event-time alignment over it (what rill worker runs): a stream-stream join of inputs written before the start matches every pair', async () => {
  const T0 = Date.UTC(2026, 0, 1);
  const n = 300;
  await client.ensureTopics([
    { name: 'j-orders', partitions: 1 },
    { name: 'j-payments', partitions: 1 },
  ]);
  // Each order is paid 60 s later: unaligned, all orders first would move stream time past every payment.
  await t.rill.producer().send(
    'j-orders',
    Array.from({ length: n }, (_, i) => ({ key: `o${i}`, value: `order${i}`, timestamp: T0 + i * 10_000 })),
  );
  await t.rill.producer().send(
    'j-payments',
    Array.from({ length: n }, (_, i) => ({ key: `o${i}`, value: `paid${i}`, timestamp: T0 + i * 10_000 + 60_000 })),
  );
  const builder = new StreamsBuilder('j-app');
  const payments = builder.stream('j-payments', { key: stringSerde(), value: stringSerde() });
  builder.stream('j-orders', { key: stringSerde(), value: stringSerde() }).pipe(
    join(payments, (order: string, payment: string) => `${order}+${payment}`, { window: { beforeMs: 10 * 60_000 } }),
    to('j-matched', { key: stringSerde(), value: stringSerde() }),
  );
  const app = new RillStreams(builder.build(), { log: client, logger: memoryLogger(), taskAssignment: 'external', commitIntervalMs: 50 });
  await app.start();
  try {
    await app.assignTasks([0]);
    await app.waitUntilCaughtUp();
    const matched = (await readTopic(t.rill, 'j-matched')).map((r) => r.value!.toString());
    expect(matched.sort()).toEqual(Array.from({ length: n }, (_, i) => `order${i}+paid${i}`).sort());
  } finally {
    await app.stop();
  }
});

test('topics: created once with their configs, counted, and their offsets read at the leaders', async () => {
  await client.ensureTopics([{ name: 'p-admin', partitions: 3, config: { 'cleanup.policy': 'compact' } }]);
  await client.ensureTopics([{ name: 'p-admin', partitions: 3 }]);
  expect(await client.partitionCount('p-admin')).toBe(3);
  expect(await client.partitionCount('p-missing')).toBeUndefined();
  const [described] = await t.rill.admin.describeTopics(['p-admin']);
  expect(described.configOverrides['cleanup.policy']).toBe('compact');
  await t.rill.producer().send('p-admin', [{ key: 'k', value: 'x', partition: 1 }]);
  expect(await client.offsets('p-admin')).toEqual([
    { partition: 0, start: 0, end: 0 },
    { partition: 1, start: 0, end: 1 },
    { partition: 2, start: 0, end: 0 },
  ]);
});

test('the producer writes keyed records to the partitions Kafka clients expect, with headers; fetch reads them back from an offset', async () => {
  await client.ensureTopics([{ name: 'p-produce', partitions: 4 }]);
  const producer = client.producer();
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      producer.send('p-produce', { key: Buffer.from(`key-${i}`), value: Buffer.from(String(i)), timestamp: 1000 + i, headers: { n: String(i) } }),
    ),
  );
  await producer.sendBatch('p-produce', [{ key: null, value: Buffer.from('fixed'), timestamp: 5, partition: 3 }]);
  await producer.close();
  const records = await readTopic(t.rill, 'p-produce');
  expect(records).toHaveLength(21);
  for (const r of records.filter((x) => x.value!.toString() !== 'fixed')) {
    const i = Number(r.value!.toString());
    expect(r.partition).toBe(partitionForKey(Buffer.from(`key-${i}`), 4));
    expect(r.timestamp).toBe(1000 + i);
    expect(r.headers!.find((h) => h.key === 'n')!.value!.toString()).toBe(String(i));
  }
  const p3 = records.filter((r) => r.partition === 3);
  const got = await client.fetch({ topic: 'p-produce', partition: 3 }, 1, 1024 * 1024);
  expect(got.records.map((r) => r.value!.toString())).toEqual(p3.slice(1).map((r) => r.value!.toString()));
  expect(got.nextOffset).toBe(p3.length);
  expect(await client.fetch({ topic: 'p-produce', partition: 3 }, p3.length, 1024 * 1024)).toEqual({ records: [], nextOffset: p3.length });
});

/** A LogRebalanceListener that keeps the member's partitions, and says when they change. */
function owning() {
  const owned = new Set<number>();
  let changed: () => void = () => undefined;
  return {
    owned,
    listener: {
      onAssigned: (added: readonly { partition: number }[]) => {
        for (const tp of added) owned.add(tp.partition);
        changed();
      },
      onRevoked: async (revoked: readonly { partition: number }[]) => {
        for (const tp of revoked) owned.delete(tp.partition);
        changed();
      },
    },
    /** Resolves once `condition` holds (bounded by the test timeout). */
    until(condition: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => condition() && resolve();
        changed = check;
        check();
      });
    },
  };
}

test('subscribed consumers split the partitions through the group (GroupMember over the protocol), commit as members, and the survivor takes all', async () => {
  await client.ensureTopics([{ name: 'g-in', partitions: 4 }]);
  await t.rill.producer().send(
    'g-in',
    Array.from({ length: 8 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })),
  );
  const group = { groupId: 'g-app', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 };
  const one = client.consumer({ ...group, clientId: 'one' });
  const two = client.consumer({ ...group, clientId: 'two' });
  const a = owning();
  const b = owning();
  try {
    await one.subscribe!(['g-in'], a.listener);
    expect([...a.owned].sort()).toEqual([0, 1, 2, 3]);
    await two.subscribe!(['g-in'], b.listener);
    await Promise.all([a.until(() => a.owned.size === 2), b.until(() => b.owned.size === 2)]);
    expect(new Set([...a.owned, ...b.owned]).size).toBe(4);
    const members = await client.groupMembers!('g-app');
    expect(members.map((m) => m.clientId).sort()).toEqual(['one', 'two']);
    expect(members.flatMap((m) => m.partitions.map((tp) => tp.partition)).sort()).toEqual([0, 1, 2, 3]);

    // Each reads its own partitions, from the start (nothing committed).
    const read = await take(two.records(), 4);
    expect(new Set(read.map((r) => r.partition))).toEqual(b.owned);
    const mine = [...b.owned].map((partition) => ({ topic: 'g-in', partition, offset: 2 }));
    await two.commit(mine);
    const committed = await client.committedOffsets('g-app', 'g-in');
    for (const p of b.owned) expect(committed.get(p)).toBe(2);

    await two.close();
    await a.until(() => a.owned.size === 4);
    // b's partitions start at b's commits on a.
    for (const p of mine) expect(one.position(p)).toBeGreaterThanOrEqual(2);
  } finally {
    await two.close();
    await one.close();
  }
});
