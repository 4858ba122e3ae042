// The partition flood of issue 21: many partitions under a small file-handle
// budget (open descriptors stay bounded, data reads back, restart works),
// max.broker.partitions, and all-or-none creation when opening fails half-way
// (an injected EMFILE).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker, ErrorCode } from '../../../core/broker';
import { decodeRecordBatches, encodeRecordBatch } from '../../../core/log';
import { err, ok, tempDir } from './helpers';

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

function valueAt(broker: Broker, topic: string, partition: number): string {
  const p = ok(broker.topics.partition(topic, partition));
  const batches = decodeRecordBatches(p.read(0, 1 << 20));
  if (batches._tag === 'Left') throw new Error(batches.left.message);
  return batches.right[0].records[0].value!.toString();
}

test('120 partitions under log.max.open.files=8: descriptors stay within the budget, every record reads back, and a restart opens them all', async () => {
  const { dir, cleanup } = tempDir();
  const before = openFds();
  let broker = Broker.open({ dir, scheduler: false, groupTickIntervalMs: 0, limits: { maxOpenFiles: 8 } });
  try {
    ok(broker.createTopic({ name: 'flood-a', partitions: 60 }));
    ok(broker.createTopic({ name: 'flood-b', partitions: 60 }));
    expect(broker.fileHandles.openCount).toBeLessThanOrEqual(8);
    for (const t of ['flood-a', 'flood-b']) {
      for (let i = 0; i < 60; i++) ok(broker.produce(t, i, encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`${t}/${i}`) }] })));
    }
    expect(broker.fileHandles.openCount).toBeLessThanOrEqual(8);
    expect(openFds() - before).toBeLessThanOrEqual(8 + 8);
    for (const i of [0, 29, 59]) expect(valueAt(broker, 'flood-b', i)).toBe(`flood-b/${i}`);
    expect(await broker.topics.closeAsync()).toEqual([]);
    broker = Broker.open({ dir, scheduler: false, groupTickIntervalMs: 0, limits: { maxOpenFiles: 8 } });
    expect(broker.topics.totalPartitions).toBe(120);
    expect(broker.fileHandles.openCount).toBeLessThanOrEqual(8);
    for (let i = 0; i < 60; i += 7) expect(valueAt(broker, 'flood-a', i)).toBe(`flood-a/${i}`);
    expect(openFds() - before).toBeLessThanOrEqual(8 + 8);
  } finally {
    expect(await broker.topics.closeAsync()).toEqual([]);
    cleanup();
  }
});

test('max.broker.partitions refuses a topic that would pass it with POLICY_VIOLATION; nothing of it is created', async () => {
  const { dir, cleanup } = tempDir();
  const broker = Broker.open({ dir, scheduler: false, groupTickIntervalMs: 0, limits: { maxBrokerPartitions: 20 } });
  try {
    ok(broker.createTopic({ name: 'a', partitions: 12 }));
    const refused = err(broker.createTopic({ name: 'b', partitions: 9 }));
    expect(refused.code).toBe(ErrorCode.POLICY_VIOLATION);
    expect(refused.message).toContain('max.broker.partitions (20)');
    expect(broker.listTopics()).toEqual(['a']);
    expect(fs.existsSync(path.join(dir, 'b-0'))).toBe(false);
    expect(err(broker.createPartitions('a', 21)).code).toBe(ErrorCode.POLICY_VIOLATION);
    ok(broker.createTopic({ name: 'b', partitions: 8 }));
    expect(broker.topics.totalPartitions).toBe(20);
    ok(broker.deleteTopic('a'));
    ok(broker.createPartitions('b', 20));
  } finally {
    expect(await broker.topics.closeAsync()).toEqual([]);
    cleanup();
  }
});

test('a creation that fails half-way (EMFILE on partition 50 of 100) leaves no partition, no directory and no metadata; the broker goes on', async () => {
  const { dir, cleanup } = tempDir();
  const broker = Broker.open({ dir, scheduler: false, groupTickIntervalMs: 0 });
  // Every new segment file is created through the broker's file-handle cache: the 150th fails as the kernel would.
  const cache = broker.fileHandles;
  const realUse = cache.use.bind(cache);
  let calls = 0;
  const spy = jest.spyOn(cache, 'use').mockImplementation((f) => {
    if (f.path.includes('half-') && ++calls === 50) throw Object.assign(new Error(`EMFILE: too many open files, open '${f.path}'`), { code: 'EMFILE' });
    return realUse(f);
  });
  try {
    const refused = err(broker.createTopic({ name: 'half', partitions: 100 }));
    expect(refused.code).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(refused.message).toContain('nothing was created');
    expect(broker.listTopics()).not.toContain('half');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('half-'))).toEqual([]);
    const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'rill-metadata.json'), 'utf8'));
    expect(metadata.topics.map((t: { name: string }) => t.name)).not.toContain('half');
    // Growing a topic fails the same way: all or none.
    ok(broker.createTopic({ name: 'half-grown', partitions: 1 }));
    calls = 0;
    expect(err(broker.createPartitions('half-grown', 100)).code).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(broker.describeTopic('half-grown')._tag === 'Right' && ok(broker.describeTopic('half-grown')).partitions).toBe(1);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('half-grown-'))).toEqual(['half-grown-0']);
    spy.mockRestore();
    ok(broker.createTopic({ name: 'half', partitions: 100 }));
    expect(broker.topics.totalPartitions).toBe(101);
  } finally {
    spy.mockRestore();
    expect(await broker.topics.closeAsync()).toEqual([]);
    cleanup();
  }
});
