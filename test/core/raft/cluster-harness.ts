import { DEFAULT_CONFIG, Raft, bootstrapState, type PersistedState } from '../../../core/raft/raft';
import { SeededRandom } from '../../../core/raft/random';
import type { Entry, Message, NodeId, ReadState } from '../../../core/raft/types';
import { SimDisk } from './sim/sim-disk';

/**
 * A hand-driven cluster for paper-style tests (etcd's raft_test `network`):
 * the test decides which links are cut and when messages are delivered;
 * `stabilize()` delivers until nothing is left to say.
 */
export class TestCluster {
  readonly nodes = new Map<NodeId, Raft>();
  readonly disks = new Map<NodeId, SimDisk>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  private inbox: Message[] = [];
  private readonly cut = new Set<string>();
  private seed = 1;

  constructor(ids: NodeId[], opts: { preVote?: boolean; checkQuorum?: boolean } = {}) {
    for (const id of ids) this.add(id, bootstrapState(ids), opts);
  }

  add(id: NodeId, state: PersistedState, opts: { preVote?: boolean; checkQuorum?: boolean } = {}): Raft {
    const raft = new Raft(
      {
        ...DEFAULT_CONFIG,
        id,
        electionTick: 10,
        heartbeatTick: 1,
        preVote: opts.preVote ?? true,
        checkQuorum: opts.checkQuorum ?? true,
        random: new SeededRandom(this.seed++),
      },
      state,
    );
    this.nodes.set(id, raft);
    this.disks.set(id, new SimDisk(state));
    this.applied.set(id, []);
    this.readStates.set(id, []);
    return raft;
  }

  node(id: NodeId): Raft {
    const r = this.nodes.get(id);
    if (!r) throw new Error(`no node ${id}`);
    return r;
  }

  /** Run each node's Ready loop; outgoing messages land in the inbox. */
  flush(): void {
    for (const [id, raft] of this.nodes) {
      while (raft.hasReady()) {
        const rd = raft.ready();
        (this.disks.get(id) as SimDisk).save(rd);
        this.inbox.push(...rd.messages);
        (this.applied.get(id) as Entry[]).push(...rd.committedEntries);
        (this.readStates.get(id) as ReadState[]).push(...rd.readStates);
        raft.advance(rd);
      }
    }
  }

  /** Deliver everything (respecting cut links) until the cluster is quiet. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      this.flush();
      if (this.inbox.length === 0) return;
      const batch = this.inbox;
      this.inbox = [];
      for (const m of batch) {
        if (this.cut.has(`${m.from}>${m.to}`)) continue;
        this.nodes.get(m.to)?.step(m);
      }
    }
    throw new Error('cluster did not stabilize');
  }

  /** Messages waiting in the inbox, removed from it. */
  take(filter: (m: Message) => boolean = () => true): Message[] {
    this.flush();
    const out = this.inbox.filter(filter);
    this.inbox = this.inbox.filter((m) => !filter(m));
    return out;
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  tick(id: NodeId, times = 1): void {
    for (let k = 0; k < times; k++) this.node(id).tick();
  }

  /** Tick every node `times` times, stabilizing after each round. */
  tickAll(times: number): void {
    for (let k = 0; k < times; k++) {
      for (const r of this.nodes.values()) r.tick();
      this.stabilize();
    }
  }

  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
    if (this.node(id).role !== 'leader') throw new Error(`node ${id} did not win`);
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()].filter((r) => r.role === 'leader').map((r) => r.id);
  }

  appliedData(id: NodeId): string[] {
    return (this.applied.get(id) as Entry[]).filter((e) => e.type === 'normal' && e.data.length > 0).map((e) => e.data.toString());
  }
}
