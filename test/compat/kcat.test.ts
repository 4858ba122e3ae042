// kcat (librdkafka) against both modes: -L metadata, -P produce, -C consume,
// -G group consume, compressed batches (-z), topic auto-creation.
import { protocolLogClient } from '../../core/client';
import { run } from '../core/protocol/children';
import { describeModes } from './modes';
import { bootstrapOf, createTopics, fetchBatches } from './targets';

describeModes('kcat', ({ target, kafka, test }) => {
  const kcat = (args: string[], input?: string) => run('kcat', ['-b', bootstrapOf(target()).join(','), ...args], { input, timeoutMs: 30000 });
  const produced = (lines: string[]) => lines.join('\n') + '\n';

  test('kcat -L lists every broker, one as controller, and the topics with their partitions and replicas', async () => {
    await createTopics(target(), kafka(), [{ topic: 'listed', numPartitions: 3 }]);
    const r = await kcat(['-L']);
    expect(r.code).toBe(0);
    for (const [id, address] of target().brokers) expect(r.stdout).toContain(`broker ${id} at ${address}`);
    expect(r.stdout.match(/\(controller\)/g)).toHaveLength(1);
    expect(r.stdout).toContain('topic "listed" with 3 partitions:');
    const [, leader, replicas, isrs] = r.stdout.match(/partition 2, leader (\d+), replicas: ([\d,]+), isrs: ([\d,]+)/) ?? [];
    expect([...target().brokers.keys()]).toContain(Number(leader));
    expect(replicas.split(',')).toHaveLength(target().replicationFactor);
    expect(isrs.split(',')).toHaveLength(target().replicationFactor);
  });

  test('kcat -P then -C reads back keys, values and headers exactly', async () => {
    await createTopics(target(), kafka(), [{ topic: 'kcat-topic', numPartitions: 1 }]);
    const lines = Array.from({ length: 20 }, (_, i) => `key${i}\tvalue ${i} ünïcode`);
    const p = await kcat(['-P', '-t', 'kcat-topic', '-K', '\t', '-H', 'origin=kcat'], produced(lines));
    expect(p.code).toBe(0);
    const c = await kcat(['-C', '-t', 'kcat-topic', '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\t%h\t%o\n']);
    expect(c.code).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(lines.map((l, i) => `${l}\torigin=kcat\t${i}`));
  });

  test('kcat -C from an offset stops at the end', async () => {
    await createTopics(target(), kafka(), [{ topic: 'kcat-offsets', numPartitions: 1 }]);
    expect((await kcat(['-P', '-t', 'kcat-offsets'], produced(Array.from({ length: 20 }, (_, i) => `v${i}`)))).code).toBe(0);
    const c = await kcat(['-C', '-t', 'kcat-offsets', '-o', '15', '-e', '-q', '-f', '%o\n']);
    expect(c.stdout.trim().split('\n')).toEqual(['15', '16', '17', '18', '19']);
  });

  test('kcat -G consumes as a group member and commits, so a second run reads nothing old', async () => {
    await createTopics(target(), kafka(), [{ topic: 'kcat-group-topic', numPartitions: 1 }]);
    await kcat(['-P', '-t', 'kcat-group-topic'], produced(['one', 'two', 'three']));
    const first = await kcat(['-G', 'kcat-group', 'kcat-group-topic', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual(['one', 'two', 'three']);
    const admin = kafka().admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: 'kcat-group', topics: ['kcat-group-topic'] });
      expect(committed.partitions).toEqual([{ partition: 0, offset: '3', metadata: null }]);
    } finally {
      await admin.disconnect();
    }
    await kcat(['-P', '-t', 'kcat-group-topic'], produced(['four']));
    const second = await kcat(['-G', 'kcat-group', 'kcat-group-topic', '-e', '-q', '-f', '%s\n']);
    expect(second.stdout.trim().split('\n')).toEqual(['four']);
  });

  test('kcat -z writes gzip, snappy, lz4 and zstd batches that kcat -C reads back', async () => {
    const codecs = ['gzip', 'snappy', 'lz4', 'zstd'];
    await createTopics(target(), kafka(), [{ topic: 'kcat-compressed', numPartitions: 1 }]);
    for (const codec of codecs) {
      const p = await kcat(['-P', '-t', 'kcat-compressed', '-z', codec], produced([`${codec}-1`, `${codec}-2`]));
      expect({ codec, code: p.code, stderr: p.stderr }).toEqual({ codec, code: 0, stderr: '' });
    }
    const c = await kcat(['-C', '-t', 'kcat-compressed', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
    expect(c.stdout.trim().split('\n')).toEqual(codecs.flatMap((codec) => [`${codec}-1`, `${codec}-2`]));
  });

  // librdkafka 2.0 (kcat 1.7) compresses gzip, snappy and lz4 only for brokers that still serve Produce v0-2 and
  // FindCoordinator v0 (its feature checks predate Kafka 4, which dropped them too): with Rill, as with Kafka 4, it
  // logs "Broker does not support compression type" and sends those uncompressed. Its zstd check (Produce v7,
  // Fetch v10) passes, and its readers decode every codec.
  test("Rill's client reads kcat's zstd batches, stored as written; kcat reads Rill's gzip, snappy and lz4 batches", async () => {
    await createTopics(target(), kafka(), [
      { topic: 'kcat-zstd-in', numPartitions: 1 },
      { topic: 'rill-codecs-out', numPartitions: 1 },
    ]);
    // Compressible lines (a client may send a batch that does not shrink uncompressed).
    const lines = (codec: string) => Array.from({ length: 20 }, (_, i) => `${codec}-${i} ${'compressible text '.repeat(8).trim()}`);
    // A long linger keeps the 20 lines in one batch; on a loaded machine kcat may still read its input in two
    // linger windows and send two batches, so the check is that every stored batch is zstd (the values, read
    // back below, show that nothing was stored twice).
    const p = await kcat(['-P', '-t', 'kcat-zstd-in', '-z', 'zstd', '-X', 'linger.ms=1000'], produced(lines('zstd')));
    expect({ code: p.code, stderr: p.stderr }).toEqual({ code: 0, stderr: '' });
    // The broker validated the batches (decompressing them) and stored their bytes untouched.
    const stored = (await fetchBatches(target(), 'kcat-zstd-in', 0)).map((b) => b.compression);
    expect(stored.length).toBeGreaterThan(0);
    expect(new Set(stored)).toEqual(new Set(['zstd']));
    const reader = protocolLogClient({ brokers: bootstrapOf(target()) });
    try {
      const { records } = await reader.fetch({ topic: 'kcat-zstd-in', partition: 0 }, 0, 1024 * 1024);
      expect(records.map((r) => r.value?.toString())).toEqual(lines('zstd'));
    } finally {
      await reader.close();
    }
    const written = ['gzip', 'snappy', 'lz4'] as const;
    for (const compression of written) {
      const writer = protocolLogClient({ brokers: bootstrapOf(target()), compression });
      try {
        const record = (value: string) => ({ key: null, value: Buffer.from(value), timestamp: Date.now() });
        await writer.producer().sendBatch('rill-codecs-out', lines(compression).map(record));
      } finally {
        await writer.close();
      }
    }
    expect((await fetchBatches(target(), 'rill-codecs-out', 0)).map((b) => b.compression)).toEqual(written);
    const c = await kcat(['-C', '-t', 'rill-codecs-out', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
    expect(c.stdout.trim().split('\n')).toEqual(written.flatMap(lines));
  });

  test('kcat -P to a topic that does not exist creates it', async () => {
    // A bounded delivery (librdkafka waits 5 minutes by default for a topic to appear): a failure says so in 5 s.
    const p = await kcat(['-P', '-t', 'kcat-auto-created', '-X', 'message.timeout.ms=5000'], produced(['first']));
    expect({ code: p.code, stderr: p.stderr }).toEqual({ code: 0, stderr: '' });
    const c = await kcat(['-C', '-t', 'kcat-auto-created', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
    expect(c.stdout.trim()).toBe('first');
  });
});
