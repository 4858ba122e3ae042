// A damaged replica on a real cluster (3 controllers, 3 brokers, each its own
// process). A topic with one partition, replication factor 3 and
// min.insync.replicas=2 takes acks=all records from kafkajs. A follower is
// killed (-9), a byte inside a batch's records in its segment file is flipped
// (the batch's CRC no longer matches), and the follower restarts. Its recovery
// cuts the log at the damaged batch (the cut bytes moved aside into a .corrupt
// file, named in its log), it fetches the rest again from the leader and
// rejoins the ISR. Meanwhile the partition keeps taking acknowledged records,
// and afterwards every acknowledged record is there exactly once, in the
// leader's log and in the repaired follower's own copy on disk.
// Then the same cluster, a topic of small segments, and a follower whose middle
// segment file is deleted: the gap would fail the partition (as on a single
// node), but another in-sync replica holds those records, so the follower
// moves the segments from the gap on aside, fetches them again and rejoins.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isLeft } from 'fp-ts/Either';
import { PartitionLog, decodeRecordBatches } from '../../../../core/log';
import type { Kafka } from 'kafkajs';
import { AckedProducer, ackedProblems, ProcessCluster, readPartition, startReplicatedTopic, STARTUP_BUDGET_MS, timeline } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'damaged';
const GAPPED = 'gapped';
const DEADLINE_MS = 90_000;
/** Batch header bytes before its records (RecordBatch v2). */
const RECORDS_AT = 61;

/** The directory of partition 0 of `topic` under a broker's data directory. */
function partitionDir(root: string, topic: string): string {
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory() && entry.name === `${topic}-0`) return path.join(entry.parentPath, entry.name);
  }
  throw new Error(`no directory ${topic}-0 under ${root}`);
}

/** Flips a byte inside the records of the middle batch of the segment file; returns the batch's base offset. */
function damageMiddleBatch(segment: string): number {
  const bytes = fs.readFileSync(segment);
  const starts: number[] = [];
  for (let pos = 0; pos + RECORDS_AT <= bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) starts.push(pos);
  const at = starts[Math.floor(starts.length / 2)];
  const fd = fs.openSync(segment, 'r+');
  try {
    fs.writeSync(fd, Buffer.from([bytes[at + RECORDS_AT + 1] ^ 0xff]), 0, 1, at + RECORDS_AT + 1);
  } finally {
    fs.closeSync(fd);
  }
  return Number(bytes.readBigInt64BE(at));
}

/** The values of a stopped broker's copy of the partition, read from its files. */
function valuesOnDisk(dir: string): string[] {
  const log = PartitionLog.open(dir, {}, { replicated: true });
  const values: string[] = [];
  try {
    for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
      const batches = decodeRecordBatches(log.read(offset, 1 << 20, log.logEndOffset));
      if (isLeft(batches)) throw new Error(batches.left.message);
      for (const b of batches.right) values.push(...b.records.map((r) => r.value!.toString()));
      offset = batches.right[batches.right.length - 1].lastOffset + 1;
    }
  } finally {
    log.close();
  }
  return values;
}

/** Resolves when `check` holds, polling; throws at the deadline. */
async function until(check: () => boolean, what: string, deadline: number): Promise<void> {
  while (!check()) {
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a follower whose segment is damaged on disk', () => {
  let dir: string;
  let cluster: ProcessCluster;
  let kafka: Kafka | undefined;

  /** Restarts broker `id` and waits until it hosts partition 0 of `topic` again; returns its lines since the restart. */
  async function restartHosting(id: number, topic: string, deadline: number): Promise<() => string[]> {
    const linesBefore = cluster.output.get(`b${id}`)!.length;
    const restartLines = () => cluster.output.get(`b${id}`)!.slice(linesBefore);
    await cluster.startBroker(id);
    // The broker opens its replicas once it has the metadata, after it is up.
    await until(() => restartLines().some((l) => l.includes(`hosting ${topic}-0`)), `broker ${id} hosting ${topic}-0`, deadline);
    return restartLines;
  }

  /** Stops the producer, then checks the leader's log against what was acknowledged, and a repaired follower's copy against the leader's. */
  async function checkRecords(producer: AckedProducer, topic: string, repaired: number, deadline: number): Promise<string> {
    await producer.stop();
    const { leaderId } = await cluster.waitForPartition(topic, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
    const stored = await readPartition(cluster, leaderId, topic, deadline);
    expect(ackedProblems(producer.acked, stored)).toEqual([]);
    if (repaired !== leaderId) {
      // The repaired follower's own copy holds the same records (a clean stop, then its files).
      await cluster.terminate(`b${repaired}`);
      const copy = valuesOnDisk(partitionDir(path.join(dir, `broker-${repaired}`), topic));
      expect(copy.slice(0, stored.length)).toEqual(stored);
      await cluster.startBroker(repaired);
      await cluster.waitForPartition(topic, deadline, (p) => p.isrNodes.length === 3);
    }
    return `acked ${producer.acked.length}, stored ${stored.length}`;
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-damaged-replica-'));
    cluster = new ProcessCluster(dir, IDS, IDS, ['--broker-session-timeout-ms', '60000'], ['--replica-lag-time-max-ms', '4000']);
  });
  afterAll(async () => {
    await cluster.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'is cut at the damage on restart, fetches the rest again from the leader, and no acknowledged record is lost',
    async () => {
      const { phase, phases } = timeline();
      try {
        const started = await startReplicatedTopic(cluster, IDS, TOPIC, DEADLINE_MS, phase);
        const { producer, deadline } = started;
        kafka = started.kafka;
        let victim = -1;
        try {
          await producer.waitForAcks(30);
          const { leaderId, isrNodes } = await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
          victim = isrNodes.find((id) => id !== leaderId)!;
          await cluster.kill(`b${victim}`);
          phase(`follower ${victim} killed (leader ${leaderId})`);
          const replica = partitionDir(path.join(dir, `broker-${victim}`), TOPIC);
          const damagedAt = damageMiddleBatch(path.join(replica, '00000000000000000000.log'));
          phase(`batch at offset ${damagedAt} damaged`);
          // The partition goes on without the follower (two in-sync replicas are enough).
          await producer.waitForAcks(10);
          const restartLines = await restartHosting(victim, TOPIC, deadline);
          phase(`follower ${victim} restarted`);
          expect(fs.readdirSync(replica).filter((n) => n.endsWith('.corrupt'))).toEqual([expect.stringMatching(new RegExp(`^0*${damagedAt}-`))]);
          expect(restartLines().filter((l) => l.includes('.corrupt'))).toHaveLength(1);
          // Caught up again: back in the ISR, while records keep being acknowledged.
          await cluster.waitForPartition(TOPIC, deadline, (p) => p.isrNodes.includes(victim) && p.isrNodes.length === 3);
          phase(`follower ${victim} back in the ISR`);
          await producer.waitForAcks(10);
        } finally {
          await producer.stop();
        }
        phase(await checkRecords(producer, TOPIC, victim, deadline));
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${cluster.dump()}`);
      }
    },
    STARTUP_BUDGET_MS + DEADLINE_MS + 20_000,
  );

  it(
    'a deleted middle segment: the follower moves the segments from the gap aside, fetches them again, and no acknowledged record is lost',
    async () => {
      const { phase, phases } = timeline();
      const deadline = Date.now() + DEADLINE_MS;
      const admin = kafka!.admin();
      await admin.connect();
      try {
        // Segments of about 1 KiB: a few records each.
        const configEntries = [
          { name: 'min.insync.replicas', value: '2' },
          { name: 'segment.bytes', value: '1024' },
        ];
        await admin.createTopics({ topics: [{ topic: GAPPED, numPartitions: 1, replicationFactor: 3, configEntries }] });
      } finally {
        await admin.disconnect();
      }
      const producer = new AckedProducer(kafka!, GAPPED, deadline);
      producer.start();
      try {
        await producer.waitForAcks(60);
        const { leaderId, isrNodes } = await cluster.waitForPartition(GAPPED, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
        const victim = isrNodes.find((id) => id !== leaderId)!;
        await cluster.kill(`b${victim}`);
        const replica = partitionDir(path.join(dir, `broker-${victim}`), GAPPED);
        const segments = fs
          .readdirSync(replica)
          .filter((n) => n.endsWith('.log'))
          .sort();
        expect(segments.length).toBeGreaterThanOrEqual(3);
        const middle = segments[Math.floor(segments.length / 2)];
        fs.rmSync(path.join(replica, middle));
        phase(`follower ${victim} killed, ${middle} of its ${segments.length} segments deleted`);
        await producer.waitForAcks(10);
        const restartLines = await restartHosting(victim, GAPPED, deadline);
        expect(restartLines().filter((l) => l.includes('repairing it from the other replicas'))).toHaveLength(1);
        expect(fs.readdirSync(replica).filter((n) => n.endsWith('.corrupt')).length).toBeGreaterThan(0);
        await cluster.waitForPartition(GAPPED, deadline, (p) => p.isrNodes.includes(victim) && p.isrNodes.length === 3);
        phase(`follower ${victim} back in the ISR`);
        await producer.waitForAcks(10);
        phase(await checkRecords(producer, GAPPED, victim, deadline));
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${cluster.dump()}`);
      } finally {
        await producer.stop();
      }
    },
    DEADLINE_MS + 20_000,
  );
});
