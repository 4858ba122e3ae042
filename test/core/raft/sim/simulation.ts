import * as E from 'fp-ts/Either';
import { Raft, DEFAULT_CONFIG, EMPTY_STATE, bootstrapState, type PersistedState } from '../../../../core/raft/raft';
import { SeededRandom } from '../../../../core/raft/random';
import type { Entry, Message, NodeId, Ready } from '../../../../core/raft/types';
import { SimLoop } from './sim-loop';
import { InvariantViolation, SafetyChecker } from './invariants';
import { encodePut, KvStateMachine } from './kv-state-machine';
import { checkKvHistory, type KvOperation } from './linearizability';
import { SimDisk } from './sim-disk';

/**
 * Deterministic simulation of a Raft cluster in one process (TigerBeetle's
 * VOPR, FoundationDB's simulator): a seeded PRNG drives a fake network that
 * drops, delays, duplicates, reorders and partitions messages, nodes that
 * crash (losing unsynced writes) and restart, membership changes and
 * leadership transfers, while clients run a key-value workload. Safety is
 * checked after every step, liveness after the network heals, and the client
 * history for linearizability at the end. A seed replays exactly.
 */

export interface SimulationOptions {
  readonly seed: number;
  /** Virtual time of the faulty phase (one node tick = 10 units). */
  readonly chaosTime?: number;
  /** Liveness bound after healing, in ticks. */
  readonly livenessTicks?: number;
  /** Keep a trace of the last events for a failure report. */
  readonly trace?: boolean;
}

export interface SimulationStats {
  events: number;
  messagesDelivered: number;
  messagesDropped: number;
  crashes: number;
  tornWrites: number;
  leaderChanges: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  membershipChanges: number;
  transfers: number;
  clientOps: number;
  highestCommitted: number;
  livenessTicks: number;
  catchUpTicks: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly ok: boolean;
  /** The broken property and how, when not ok. */
  readonly failure?: string;
  readonly stats: SimulationStats;
  readonly trace: readonly string[];
}

const TICK = 10;
const ELECTION_TICK = 10;
const HEARTBEAT_TICK = 2;
const TRACE_LINES = 3000;

type SimEvent =
  | { kind: 'tick'; node: NodeId; incarnation: number }
  | { kind: 'deliver'; msg: Message }
  | { kind: 'written'; node: NodeId; incarnation: number }
  | { kind: 'client'; client: number }
  | { kind: 'clientTimeout'; client: number; op: number }
  | { kind: 'fault' };

interface PendingPut {
  readonly kind: 'put';
  readonly op: number;
  readonly node: NodeId;
  readonly key: string;
  readonly value: string;
  readonly call: number;
  readonly index: number;
}

interface PendingGet {
  readonly kind: 'get';
  readonly op: number;
  readonly node: NodeId;
  readonly key: string;
  readonly call: number;
  readonly context: string;
  readIndex: number;
}

class SimNode {
  raft: Raft | undefined;
  kv = new KvStateMachine();
  incarnation = 0;
  /** The next Ready that writes anything is torn: the node dies before fsync. */
  crashOnNextWrite = false;
  /** Ever started (spare nodes start when they are added to the cluster). */
  started = false;
  /** The Ready being written (its fsync takes simulated time); lost if the node crashes first. */
  writing: Ready | undefined;
  /** The last index `kv` holds (ahead of, or behind, the core's `applied` while a write is in flight). */
  kvApplied = 0;

  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
  ) {}
}

class LivenessFailure extends Error {}

export class Simulation {
  private readonly rng: SeededRandom;
  private readonly loop: SimLoop<SimEvent>;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly safety = new SafetyChecker();
  private readonly history: KvOperation[] = [];
  private readonly clients: (PendingPut | PendingGet | undefined)[] = [];
  private readonly blocked = new Set<string>();
  /** Strictly increasing history clock: call/return order without ties. */
  private clock = 0;
  private nextOp = 1;
  private phase: 'chaos' | 'heal' = 'chaos';
  private lastLeader = 0;

  // Per-seed fault profile.
  private dropRate: number;
  private dupRate: number;
  private maxLatency: number;
  /** How long a write and its fsync take at most (0: done before anything else happens). */
  private readonly maxWriteLatency: number;
  private readonly compactEvery: number;
  private readonly maxInflight: number;
  private readonly maxEntriesPerMessage: number;
  private readonly membershipChanges: boolean;
  private readonly keys: string[];

  readonly stats: SimulationStats = {
    events: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    crashes: 0,
    tornWrites: 0,
    leaderChanges: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    membershipChanges: 0,
    transfers: 0,
    clientOps: 0,
    highestCommitted: 0,
    livenessTicks: 0,
    catchUpTicks: 0,
  };

  constructor(private readonly options: SimulationOptions) {
    this.loop = new SimLoop(options.trace === true, TRACE_LINES);
    this.rng = new SeededRandom(options.seed);
    const rng = this.rng;
    this.dropRate = rng.pick([0, 0.01, 0.05, 0.1]);
    this.dupRate = rng.pick([0, 0.02, 0.05]);
    this.maxLatency = rng.pick([2, 5, 10, 25]);
    this.compactEvery = rng.pick([3, 8, 20, 1000]);
    this.maxInflight = rng.pick([1, 4, 256]);
    this.maxEntriesPerMessage = rng.pick([1, 8, 64]);
    this.membershipChanges = rng.chance(0.5);
    this.maxWriteLatency = rng.pick([0, 1, 4, 15]);
    const voterCount = rng.chance(0.75) ? 3 : 5;
    const spares = this.membershipChanges ? 2 : 0;
    this.keys = ['a', 'b', 'c'].slice(0, 1 + rng.nextInt(3));
    const voters = Array.from({ length: voterCount }, (_, k) => k + 1);
    for (let id = 1; id <= voterCount + spares; id++) {
      const founder = id <= voterCount;
      const node = new SimNode(id, new SimDisk(founder ? bootstrapState(voters) : EMPTY_STATE));
      this.nodes.set(id, node);
      if (founder) this.start(node);
    }
    const clientCount = 2 + rng.nextInt(2);
    for (let c = 0; c < clientCount; c++) {
      this.clients.push(undefined);
      this.loop.at(rng.nextInt(50), { kind: 'client', client: c });
    }
    this.loop.at(100 + rng.nextInt(200), { kind: 'fault' });
  }

  run(): SimulationResult {
    const chaosTime = this.options.chaosTime ?? 10000;
    const livenessTicks = this.options.livenessTicks ?? 150;
    try {
      this.runUntil(chaosTime);
      this.heal();
      this.checkLiveness(livenessTicks);
      for (let c = 0; c < this.clients.length; c++) if (this.clients[c] !== undefined) this.abandon(c);
      const badKey = checkKvHistory(this.history);
      if (badKey !== undefined) {
        throw new InvariantViolation('linearizability', `the history of key "${badKey}" has no legal order`);
      }
      return this.result(undefined);
    } catch (e) {
      if (e instanceof InvariantViolation || e instanceof LivenessFailure) return this.result(e.message);
      // A crash inside the core is a bug too: report it with its seed.
      return this.result(`exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }

  private result(failure: string | undefined): SimulationResult {
    this.stats.highestCommitted = this.safety.highestCommitted;
    this.stats.events = this.loop.events;
    return { seed: this.options.seed, ok: failure === undefined, failure, stats: this.stats, trace: this.loop.traceLines };
  }

  private get now(): number {
    return this.loop.now;
  }

  private runUntil(time: number, stop?: () => boolean): boolean {
    return this.loop.runUntil(time, (ev) => this.handle(ev), stop);
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick': {
        const node = this.nodes.get(ev.node) as SimNode;
        if (node.raft === undefined || node.incarnation !== ev.incarnation) return;
        node.raft.tick();
        this.process(node);
        this.loop.at(this.now + TICK, ev);
        return;
      }
      case 'deliver': {
        const node = this.nodes.get(ev.msg.to);
        if (node?.raft === undefined) return;
        this.stats.messagesDelivered++;
        this.loop.trace(() => `deliver ${describe(ev.msg)}`);
        node.raft.step(ev.msg);
        this.process(node);
        return;
      }
      case 'written': {
        const node = this.nodes.get(ev.node) as SimNode;
        if (node.raft !== undefined && node.incarnation === ev.incarnation) this.written(node);
        return;
      }
      case 'client':
        this.clientStep(ev.client);
        return;
      case 'clientTimeout': {
        const p = this.clients[ev.client];
        if (p !== undefined && p.op === ev.op) this.abandon(ev.client);
        return;
      }
      case 'fault':
        if (this.phase !== 'chaos') return;
        this.injectFault();
        this.loop.at(this.now + 50 + this.rng.nextInt(250), ev);
        return;
    }
  }

  // ---- nodes ---------------------------------------------------------------

  private start(node: SimNode): void {
    const state: PersistedState = node.disk.load();
    node.raft = new Raft(
      {
        ...DEFAULT_CONFIG,
        id: node.id,
        electionTick: ELECTION_TICK,
        heartbeatTick: HEARTBEAT_TICK,
        maxInflight: this.maxInflight,
        maxEntriesPerMessage: this.maxEntriesPerMessage,
        random: new SeededRandom(this.rng.nextInt(0x7fffffff)),
      },
      state,
    );
    node.started = true;
    node.incarnation++;
    node.crashOnNextWrite = false;
    node.writing = undefined;
    node.kv = new KvStateMachine();
    node.kv.restore(state.snapshot?.data ?? Buffer.alloc(0));
    node.kvApplied = state.snapshot?.metadata.index ?? 0;
    this.safety.observeSnapshotInstalled(node.id, state.snapshot?.metadata.index ?? 0);
    this.loop.at(this.now + 1 + this.rng.nextInt(TICK), { kind: 'tick', node: node.id, incarnation: node.incarnation });
    this.loop.trace(`start ${node.id} term ${state.hardState.term} commit ${state.hardState.commit}`);
    this.process(node);
  }

  private crash(node: SimNode): void {
    if (node.raft === undefined) return;
    node.raft = undefined;
    node.incarnation++;
    this.stats.crashes++;
    this.loop.trace(`crash ${node.id}`);
    for (let c = 0; c < this.clients.length; c++) {
      if (this.clients[c]?.node === node.id) this.abandon(c);
    }
  }

  /**
   * Drive one node's Ready loop as RaftNode does: a leader's messages may
   * leave before its write (Ready.sendBeforePersist); committed entries are
   * applied at once; a write takes simulated time, during
   * which the node goes on stepping messages, ticks and proposals, and only
   * then do the other messages leave and the core learn the Ready was
   * handled.
   */
  private process(node: SimNode): void {
    while (node.raft !== undefined && node.writing === undefined && node.raft.hasReady()) {
      const raft = node.raft;
      const rd = raft.ready();
      // Applied below, before the write: the commit index is known now. The
      // entries are checked as they are written, against the log they extend
      // now (it may change while the write is in flight).
      if (rd.hardState !== undefined) this.safety.observeCommitIndex(raft, rd.hardState.commit);
      this.safety.observePersisted(raft, rd.entries);
      this.safety.observeRole(raft);
      if (raft.role === 'leader' && this.lastLeader !== raft.id) {
        this.lastLeader = raft.id;
        this.stats.leaderChanges++;
        this.loop.trace(`leader ${raft.id} term ${raft.term}`);
      }
      if (rd.sendBeforePersist) for (const m of rd.messages) this.send(m);
      if (rd.snapshot !== undefined) {
        node.kv.restore(rd.snapshot.data);
        node.kvApplied = rd.snapshot.metadata.index;
        this.safety.observeSnapshotInstalled(node.id, rd.snapshot.metadata.index);
        this.stats.snapshotsInstalled++;
        this.loop.trace(`install-snapshot ${node.id} @${rd.snapshot.metadata.index}`);
      }
      for (const e of rd.committedEntries) this.apply(node, e);
      this.acceptReadStates(node, rd);
      if (rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined) {
        node.writing = rd;
        this.loop.at(this.now + this.rng.nextInt(this.maxWriteLatency + 1), { kind: 'written', node: node.id, incarnation: node.incarnation });
        return;
      }
      this.handled(node, raft, rd);
    }
    const raft = node.raft;
    if (raft !== undefined && node.writing === undefined && raft.log.applied - raft.log.snapshot.metadata.index >= this.compactEvery) {
      const snap = raft.compact(node.kv.snapshot());
      if (E.isRight(snap)) {
        node.disk.compact(snap.right);
        this.stats.snapshotsTaken++;
      }
    }
  }

  /** The node's write in flight ended: durable, unless the node dies now (a torn write). */
  private written(node: SimNode): void {
    const rd = node.writing;
    const raft = node.raft;
    if (rd === undefined || raft === undefined) return;
    node.writing = undefined;
    if (node.crashOnNextWrite) {
      // Power lost before fsync: this Ready never reached the disk; a
      // leader's appends may already be on their way.
      this.stats.tornWrites++;
      this.crash(node);
      return;
    }
    node.disk.save(rd);
    if (rd.hardState !== undefined) this.safety.observeHardState(raft, rd.hardState);
    this.handled(node, raft, rd);
    this.process(node);
  }

  /** `rd` is as durable as it needs to be: the rest of its messages leave and the core advances. */
  private handled(node: SimNode, raft: Raft, rd: Ready): void {
    if (!rd.sendBeforePersist) for (const m of rd.messages) this.send(m);
    raft.advance(rd);
    this.completeReads(node);
  }

  private apply(node: SimNode, e: Entry): void {
    this.safety.observeApplied(node.id, e);
    node.kvApplied = e.index;
    if (e.type !== 'normal' || e.data.length === 0) return;
    const op = node.kv.apply(e.data);
    for (let c = 0; c < this.clients.length; c++) {
      const p = this.clients[c];
      if (p?.kind !== 'put' || p.node !== node.id) continue;
      if (p.op === op) this.complete(c, undefined);
      else if (p.index === e.index) this.abandon(c); // our entry lost that slot
    }
  }

  // ---- network -------------------------------------------------------------

  private send(m: Message): void {
    const chaos = this.phase === 'chaos';
    if (this.blocked.has(`${m.from}>${m.to}`) || (chaos && this.rng.chance(this.dropRate))) {
      this.stats.messagesDropped++;
      return;
    }
    const copies = chaos && this.rng.chance(this.dupRate) ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      this.loop.at(this.now + 1 + this.rng.nextInt(this.maxLatency), { kind: 'deliver', msg: m });
    }
  }

  private partition(groups: NodeId[][]): void {
    this.blocked.clear();
    for (const g of groups) {
      for (const h of groups) {
        if (g === h) continue;
        for (const a of g) for (const b of h) this.blocked.add(`${a}>${b}`);
      }
    }
  }

  // ---- faults --------------------------------------------------------------

  private running(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.raft !== undefined);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.running()) {
      const r = n.raft as Raft;
      if (r.role === 'leader' && (best === undefined || r.term > (best.raft as Raft).term)) best = n;
    }
    return best;
  }

  private injectFault(): void {
    const rng = this.rng;
    const ids = [...this.nodes.values()].filter((n) => n.started).map((n) => n.id);
    const leader = this.leader();
    const roll = rng.nextInt(100);
    if (roll < 15) {
      // Symmetric partition into two random groups.
      const a: NodeId[] = [];
      const b: NodeId[] = [];
      for (const id of ids) (rng.chance(0.5) ? a : b).push(id);
      this.partition([a, b]);
      this.loop.trace(`partition [${a}] | [${b}]`);
    } else if (roll < 22 && leader !== undefined) {
      this.partition([[leader.id], ids.filter((id) => id !== leader.id)]);
      this.loop.trace(`isolate leader ${leader.id}`);
    } else if (roll < 30) {
      // Asymmetric: some links drop one way only.
      this.blocked.clear();
      for (const a of ids) for (const b of ids) if (a !== b && rng.chance(0.25)) this.blocked.add(`${a}>${b}`);
      this.loop.trace(`asymmetric ${[...this.blocked].join(',')}`);
    } else if (roll < 45) {
      this.blocked.clear();
      this.loop.trace('heal network');
    } else if (roll < 58) {
      const up = this.running();
      const down = ids.length - up.length;
      if (down < Math.floor((ids.length - 1) / 2) && up.length > 0) {
        const victim = rng.chance(0.4) && leader !== undefined ? leader : rng.pick(up);
        if (rng.chance(0.3)) victim.crashOnNextWrite = true;
        else this.crash(victim);
      }
    } else if (roll < 70) {
      const down = [...this.nodes.values()].filter((n) => n.started && n.raft === undefined);
      if (down.length > 0) this.start(rng.pick(down));
    } else if (roll < 76) {
      this.dropRate = rng.pick([0, 0.01, 0.05, 0.1, 0.3]);
      this.maxLatency = rng.pick([2, 5, 10, 25, 60]);
    } else if (roll < 84 && leader !== undefined) {
      const voters = [...(leader.raft as Raft).membership.voters].filter((v) => v !== leader.id);
      if (voters.length > 0) {
        const to = rng.pick(voters);
        if (E.isRight((leader.raft as Raft).transferLeadership(to))) {
          this.stats.transfers++;
          this.loop.trace(`transfer ${leader.id} -> ${to}`);
        }
        this.process(leader);
      }
    } else if (this.membershipChanges && leader !== undefined) {
      this.changeMembership(leader);
    }
  }

  /** Add a spare as learner, promote a caught-up learner, or remove a voter. */
  private changeMembership(leaderNode: SimNode): void {
    const leader = leaderNode.raft as Raft;
    const m = leader.membership;
    const spare = [...this.nodes.values()].find((n) => !n.started);
    const caughtUp = [...m.learners].find((id) => (leader.progressOf(id)?.match ?? 0) >= leader.log.committed);
    const choice = this.rng.nextInt(3);
    let proposal: E.Either<string, unknown> | undefined;
    let what = '';
    if (choice === 0 && spare !== undefined) {
      proposal = leader.proposeConfChange({ type: 'addLearner', node: spare.id });
      what = `add learner ${spare.id}`;
      if (E.isRight(proposal)) this.start(spare);
    } else if (choice === 1 && caughtUp !== undefined) {
      proposal = leader.proposeConfChange({ type: 'addVoter', node: caughtUp });
      what = `promote ${caughtUp}`;
    } else if (choice === 2 && m.voters.size > 3) {
      const victim = this.rng.pick([...m.voters]);
      proposal = leader.proposeConfChange({ type: 'removeNode', node: victim });
      what = `remove ${victim}`;
    }
    if (proposal !== undefined && E.isRight(proposal)) {
      this.stats.membershipChanges++;
      this.loop.trace(what);
    }
    this.process(leaderNode);
  }

  // ---- clients -------------------------------------------------------------

  private clientStep(c: number): void {
    if (this.clients[c] !== undefined) return;
    const up = this.running();
    if (up.length === 0) {
      this.loop.at(this.now + 20, { kind: 'client', client: c });
      return;
    }
    const leader = this.leader();
    const node = leader !== undefined && this.rng.chance(0.7) ? leader : this.rng.pick(up);
    const raft = node.raft as Raft;
    const key = this.rng.pick(this.keys);
    const op = this.nextOp++;
    const call = ++this.clock;
    let accepted = false;
    if (this.rng.chance(0.5)) {
      const value = `v${op}`;
      const res = raft.propose(encodePut({ key, value, op }));
      if (E.isRight(res)) {
        this.clients[c] = { kind: 'put', op, node: node.id, key, value, call, index: res.right.index };
        accepted = true;
      }
    } else {
      const context = `r${op}`;
      if (E.isRight(raft.readIndex(context))) {
        this.clients[c] = { kind: 'get', op, node: node.id, key, call, context, readIndex: 0 };
        accepted = true;
      }
    }
    if (accepted) {
      this.stats.clientOps++;
      this.loop.at(this.now + 400, { kind: 'clientTimeout', client: c, op });
      this.process(node);
    } else {
      // Refused outright (not leader, no leader known): no effect, try again later.
      this.loop.at(this.now + 5 + this.rng.nextInt(40), { kind: 'client', client: c });
    }
  }

  private acceptReadStates(node: SimNode, rd: Ready): void {
    for (const rs of rd.readStates) {
      for (const p of this.clients) {
        if (p?.kind === 'get' && p.node === node.id && p.context === rs.context) p.readIndex = rs.index;
      }
    }
  }

  private completeReads(node: SimNode): void {
    const applied = node.kvApplied;
    for (let c = 0; c < this.clients.length; c++) {
      const p = this.clients[c];
      if (p?.kind === 'get' && p.node === node.id && p.readIndex > 0 && applied >= p.readIndex) {
        this.complete(c, node.kv.get(p.key));
      }
    }
  }

  private complete(c: number, output: string | undefined): void {
    const p = this.clients[c] as PendingPut | PendingGet;
    const ret = ++this.clock;
    if (p.kind === 'put') this.history.push({ key: p.key, call: p.call, ret, input: { kind: 'put', value: p.value }, output: undefined });
    else this.history.push({ key: p.key, call: p.call, ret, input: { kind: 'get' }, output });
    this.finishOp(c);
  }

  /** The client gives up: a write may still take effect later, a read has none. */
  private abandon(c: number): void {
    const p = this.clients[c] as PendingPut | PendingGet;
    if (p.kind === 'put') {
      this.history.push({ key: p.key, call: p.call, ret: Infinity, input: { kind: 'put', value: p.value }, output: undefined });
    }
    this.finishOp(c);
  }

  private finishOp(c: number): void {
    this.clients[c] = undefined;
    if (this.phase === 'chaos') this.loop.at(this.now + 1 + this.rng.nextInt(40), { kind: 'client', client: c });
  }

  // ---- the end: heal, then demand progress ---------------------------------

  private heal(): void {
    this.phase = 'heal';
    this.blocked.clear();
    this.maxLatency = 10;
    this.loop.trace('heal all');
    for (const n of this.nodes.values()) {
      n.crashOnNextWrite = false;
      if (n.started && n.raft === undefined) this.start(n);
    }
  }

  /**
   * With every node up and the network healed, a leader must be elected and a
   * fresh proposal committed (applied by a majority of voters) within `ticks`
   * ticks; then every member, learners included, must apply it within a
   * catch-up bound (a far-behind learner fed one entry per round trip needs
   * one round trip per entry).
   */
  private checkLiveness(ticks: number): void {
    const start = this.now;
    let marker: { index: number; term: number } | undefined;
    const appliedBy = (id: NodeId, index: number) => (this.nodes.get(id)?.raft?.log.applied ?? 0) >= index;
    const committed = () => {
      const leader = this.leader();
      if (leader === undefined) return false;
      const raft = leader.raft as Raft;
      if (marker === undefined || raft.term !== marker.term) {
        const res = raft.propose(Buffer.alloc(0));
        marker = E.isRight(res) ? res.right : undefined;
        this.process(leader);
        return false;
      }
      const m = marker;
      if (this.safety.committedEntry(m.index)?.term !== m.term) return false;
      const voters = [...raft.membership.voters];
      return voters.filter((id) => appliedBy(id, m.index)).length > voters.length / 2;
    };
    if (!this.runUntil(this.now + ticks * TICK, committed)) {
      throw new LivenessFailure(`liveness: no proposal committed within ${ticks} ticks of healing (${this.describeNodes()}; marker ${JSON.stringify(marker)})`);
    }
    this.stats.livenessTicks = Math.ceil((this.now - start) / TICK);
    const m = marker as { index: number; term: number };
    const converged = () => {
      const leader = this.leader()?.raft;
      if (leader === undefined) return false;
      return [...leader.membership.voters, ...leader.membership.learners].every((id) => appliedBy(id, m.index));
    };
    const catchUpTicks = 200 + 2 * m.index;
    const catchUpStart = this.now;
    if (!this.runUntil(this.now + catchUpTicks * TICK, converged)) {
      throw new LivenessFailure(`liveness: members did not all apply index ${m.index} within ${catchUpTicks} more ticks (${this.describeNodes()})`);
    }
    this.stats.catchUpTicks = Math.ceil((this.now - catchUpStart) / TICK);
  }

  private describeNodes(): string {
    const nodes = [...this.nodes.values()]
      .filter((n) => n.raft)
      .map((n) => `${n.id}:${n.raft?.role}@${n.raft?.term} applied ${n.raft?.log.applied}/${n.raft?.log.lastIndex()}`);
    const leader = this.leader()?.raft;
    return `${nodes.join(', ')}; members ${leader ? JSON.stringify(leader.membership.toConfState()) : 'unknown'}`;
  }
}

function describe(m: Message): string {
  switch (m.type) {
    case 'append':
      return `${m.type} ${m.from}->${m.to} t${m.term} prev ${m.prevLogIndex}/${m.prevLogTerm} n=${m.entries.length} c${m.commit}`;
    case 'appendResp':
      return `${m.type} ${m.from}->${m.to} t${m.term} ${m.reject ? 'reject' : 'ok'} ${m.index} hint ${m.rejectHint}/${m.hintTerm}`;
    case 'snapshot':
      return `${m.type} ${m.from}->${m.to} t${m.term} @${m.snapshot.metadata.index}`;
    default:
      return `${m.type} ${m.from}->${m.to} t${m.term}`;
  }
}

export function runSimulation(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}
