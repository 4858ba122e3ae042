// The cluster's metadata path at scale (issue #19): 3 controllers, up to 100
// brokers and 100,000 partitions at replication factor 3, on a virtual clock.
// No partition data moves; what is measured is what grows with the cluster:
// the active controller's decisions, the metadata log every controller and
// broker applies, snapshots, and the elections after a broker or the active
// controller dies.
//
// The controllers share one committed log (what Raft would commit; the Raft
// layer is tested on its own in test/core/raft/sim). Each controller and each
// broker applies every committed batch to its own image, as the real processes
// do (brokers apply deltas; only a snapshot replaces an image). Invariants are
// checked after every phase: every image equals the active controller's, every
// partition with a live in-sync replica has a live leader, and the per-broker
// replica counts match the partitions.
import * as E from 'fp-ts/Either';
import { encodeMetadataBatch, MetadataImage, MetadataStateMachine, NO_LEADER, QuorumController, type MetadataRecord } from '../../../../core/cluster';

export interface ScaleOptions {
  readonly brokers: number;
  readonly partitions: number;
  readonly partitionsPerTopic: number;
  readonly replicationFactor: number;
  /** Brokers killed one after the other (each fenced by its session or its closed connection). */
  readonly brokerKills: number;
  /** Whether killed brokers' connections close (kill -9: the disconnect grace) or they go silent (the session timeout). */
  readonly killCloses: boolean;
}

export interface ScaleResult {
  readonly options: ScaleOptions;
  readonly records: number;
  /** The active controller's CPU per metadata record it decided (topic creation). */
  readonly controllerMicrosPerRecord: number;
  /** One broker's CPU per committed record it applied (the same for every follower of the log). */
  readonly brokerApplyMicrosPerRecord: number;
  readonly snapshotBytes: number;
  readonly snapshotBytesPerPartition: number;
  readonly snapshotEncodeMs: number;
  readonly snapshotLoadMs: number;
  /** Heap of one metadata image per partition (measured with --expose-gc, else undefined). */
  readonly imageBytesPerPartition: number | undefined;
  readonly brokerKillRounds: readonly {
    readonly broker: number;
    readonly partitionsLed: number;
    readonly partitionsReLed: number;
    /** Virtual time from the kill to the committed fence: the session timeout or the disconnect grace (plus a tick). */
    readonly simulatedMs: number;
    /** CPU of the fence decision (every partition of the broker re-elected) on the active controller. */
    readonly decideMs: number;
    /** CPU for one broker to apply the fence's records. */
    readonly brokerApplyMs: number;
  }[];
  /** A new active controller takes over from its own image: the CPU it spends before it can decide. */
  readonly controllerFailoverMs: number;
  /** The first broker fence decided by the new controller. */
  readonly fenceAfterFailoverMs: number;
  readonly failures: readonly string[];
}

const SESSION_TIMEOUT_MS = 9000;
const DISCONNECT_GRACE_MS = 1000;
const HEARTBEAT_MS = 250;
const CONTROLLER_TICK_MS = 100;
/** Brokers that keep a full metadata image in this process (the others only heartbeat). */
const FOLLOWING_BROKERS = 3;

/** A follower of the committed metadata log: a controller or a broker. */
class Follower {
  readonly machine = new MetadataStateMachine();
  applied = 0;
}

function cpuMs(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export function runScaleSimulation(options: ScaleOptions): ScaleResult {
  const failures: string[] = [];
  const log: Buffer[] = [];
  const controllers = [new Follower(), new Follower(), new Follower()];
  // Every broker registers and heartbeats; a few of them (as many images as one
  // process can hold at 100,000 partitions) also follow the log and are checked.
  // They are the first ones; the kills spare them so they stay comparable.
  const brokers = Array.from({ length: Math.min(options.brokers, FOLLOWING_BROKERS) }, () => new Follower());
  let now = 0;
  let recordCount = 0;
  const config = { brokerSessionTimeoutMs: SESSION_TIMEOUT_MS, workerSessionTimeoutMs: 10_000, brokerDisconnectGraceMs: DISCONNECT_GRACE_MS };
  let activeIndex = 0;
  const dead = new Set<number>();
  let active = new QuorumController(controllers[activeIndex].machine.image, now, config);

  const commit = (records: readonly MetadataRecord[]): void => {
    if (records.length === 0) return;
    log.push(encodeMetadataBatch(records));
    recordCount += records.length;
  };
  const catchUp = (f: Follower): void => {
    for (; f.applied < log.length; f.applied++) f.machine.apply(log[f.applied], f.applied + 1);
  };
  const decide = <R>(d: E.Either<{ message: string }, { records: readonly MetadataRecord[]; response: R }>, what: string): R | undefined => {
    if (E.isLeft(d)) {
      failures.push(`${what} refused: ${d.left.message}`);
      return undefined;
    }
    commit(d.right.records);
    return d.right.response;
  };

  // Brokers register and, once they have applied their own registration, are unfenced.
  const epochs = new Map<number, number>();
  for (let id = 1; id <= options.brokers; id++) {
    const r = decide(active.registerBroker({ brokerId: id, rack: `rack-${id % 3}`, host: `broker-${id}`, port: 9092 }, now), `register ${id}`);
    if (r !== undefined) epochs.set(id, r.brokerEpoch);
  }
  for (let id = 1; id <= options.brokers; id++)
    decide(active.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, caughtUp: true }, now), `unfence ${id}`);
  for (const f of [...controllers, ...brokers]) catchUp(f);

  // Topics up to the partition target.
  const topics = Math.ceil(options.partitions / options.partitionsPerTopic);
  const before = recordCount;
  let decideCpu = 0;
  for (let k = 0; k < topics; k++) {
    decideCpu += cpuMs(() =>
      decide(active.createTopic({ name: `topic-${k}`, partitions: options.partitionsPerTopic, replicationFactor: options.replicationFactor }), `topic ${k}`),
    );
  }
  const created = recordCount - before;
  // One broker's catching up on the topics' records (every follower does the same work).
  const brokerApplyCpu = cpuMs(() => catchUp(brokers[0]));
  for (const f of [...controllers, ...brokers]) catchUp(f);
  check('after topic creation');

  // Snapshots: what a new controller or a far-behind broker loads.
  const image = controllers[0].machine.image;
  let snapshot: Buffer = Buffer.alloc(0);
  const snapshotEncodeMs = cpuMs(() => (snapshot = image.encode()));
  let loaded: MetadataImage | undefined;
  const snapshotLoadMs = cpuMs(() => {
    const d = MetadataImage.decode(snapshot);
    if (E.isLeft(d)) failures.push(`snapshot does not load: ${d.left}`);
    else loaded = d.right;
  });
  if (loaded !== undefined && !loaded.encode().equals(snapshot)) failures.push('a loaded snapshot encodes differently');
  const imageBytesPerPartition = measureImageBytes(snapshot, options.partitions);

  // Brokers die one after the other; the others keep heartbeating.
  const rounds: ScaleResult['brokerKillRounds'][number][] = [];
  const heartbeatLive = (): void => {
    for (let id = 1; id <= options.brokers; id++) {
      if (dead.has(id)) continue;
      const d = active.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, caughtUp: true }, now);
      if (E.isRight(d)) commit(d.right.records);
    }
  };
  const killOne = (victim: number): void => {
    const led = countLed(controllers[activeIndex].machine.image, victim);
    dead.add(victim);
    const killedAt = now;
    if (options.killCloses) active.brokerDisconnected(victim, now);
    let fenced: readonly MetadataRecord[][] = [];
    let decideMs = 0;
    while (fenced.length === 0 && now - killedAt <= SESSION_TIMEOUT_MS + 2 * CONTROLLER_TICK_MS) {
      now += CONTROLLER_TICK_MS;
      if (now % HEARTBEAT_MS < CONTROLLER_TICK_MS) heartbeatLive();
      decideMs = cpuMs(() => (fenced = active.expireSessions(now) as MetadataRecord[][]));
    }
    const fence = fenced.find((records) => records.some((r) => r.type === 'FenceBroker' && r.brokerId === victim));
    if (fence === undefined) failures.push(`broker ${victim} was not fenced within its session`);
    for (const records of fenced) commit(records);
    for (const f of controllers) catchUp(f);
    const brokerApplyMs = cpuMs(() => catchUp(brokers[0]));
    for (const f of brokers) catchUp(f);
    rounds.push({
      broker: victim,
      partitionsLed: led,
      partitionsReLed: led - countLed(controllers[activeIndex].machine.image, victim),
      simulatedMs: now - killedAt,
      decideMs,
      brokerApplyMs,
    });
  };
  const killable = options.brokers - FOLLOWING_BROKERS;
  for (let k = 0; k < options.brokerKills; k++) killOne(FOLLOWING_BROKERS + 1 + ((k * 7) % killable));
  check('after broker kills');

  // The active controller dies: the next one takes over from its own image (as ControllerProcess.active() does).
  activeIndex = 1;
  let controllerFailoverMs = 0;
  controllerFailoverMs = cpuMs(() => (active = new QuorumController(controllers[activeIndex].machine.image, now, config)));
  const next = [...Array(options.brokers).keys()].map((i) => i + 1).find((id) => id > FOLLOWING_BROKERS && !dead.has(id))!;
  const beforeFence = rounds.length;
  killOne(next);
  const fenceAfterFailoverMs = rounds[beforeFence]?.decideMs ?? Number.NaN;
  check('after a controller failover and one more kill');

  return {
    options,
    records: recordCount,
    controllerMicrosPerRecord: round((decideCpu * 1000) / Math.max(1, created)),
    brokerApplyMicrosPerRecord: round((brokerApplyCpu * 1000) / Math.max(1, created)),
    snapshotBytes: snapshot.length,
    snapshotBytesPerPartition: round(snapshot.length / options.partitions),
    snapshotEncodeMs: round(snapshotEncodeMs),
    snapshotLoadMs: round(snapshotLoadMs),
    imageBytesPerPartition,
    brokerKillRounds: rounds.map((r) => ({ ...r, decideMs: round(r.decideMs), brokerApplyMs: round(r.brokerApplyMs) })),
    controllerFailoverMs: round(controllerFailoverMs),
    fenceAfterFailoverMs: round(fenceAfterFailoverMs),
    failures,
  };

  function check(when: string): void {
    const reference = controllers[activeIndex].machine.image;
    const expected = reference.encode();
    for (const [i, c] of controllers.entries()) if (!c.machine.image.encode().equals(expected)) failures.push(`${when}: controller ${i + 1}'s image differs`);
    for (const [i, b] of brokers.entries()) if (!b.machine.image.encode().equals(expected)) failures.push(`${when}: broker ${i + 1}'s image differs`);
    const counted = new Map<number, number>();
    let partitions = 0;
    for (const t of reference.topics.values()) {
      for (const p of t.partitions.values()) {
        partitions++;
        for (const r of p.replicas) counted.set(r, (counted.get(r) ?? 0) + 1);
        const liveIsr = p.isr.filter((r) => reference.isUnfenced(r));
        if (liveIsr.length > 0 && (p.leader === NO_LEADER || !reference.isUnfenced(p.leader)))
          failures.push(`${when}: ${t.name}-${p.partition} has live in-sync replicas ${liveIsr} but leader ${p.leader}`);
        if (p.leader !== NO_LEADER && dead.has(p.leader)) failures.push(`${when}: ${t.name}-${p.partition} is led by dead broker ${p.leader}`);
      }
    }
    if (partitions !== topics * options.partitionsPerTopic) failures.push(`${when}: ${partitions} partitions, expected ${topics * options.partitionsPerTopic}`);
    for (const [b, n] of counted)
      if (reference.hostedReplicas(b) !== n) failures.push(`${when}: broker ${b} hosts ${n} replicas, the image counts ${reference.hostedReplicas(b)}`);
  }
}

function countLed(image: MetadataImage, broker: number): number {
  let n = 0;
  for (const t of image.topics.values()) for (const p of t.partitions.values()) if (p.leader === broker) n++;
  return n;
}

/** Heap held by one image loaded from `snapshot`, per partition (needs --expose-gc to be meaningful). */
function measureImageBytes(snapshot: Buffer, partitions: number): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return undefined;
  gc();
  const before = process.memoryUsage().heapUsed;
  const d = MetadataImage.decode(snapshot);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (E.isLeft(d) || d.right.topics.size === 0) return undefined;
  return Math.round((after - before) / partitions);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
