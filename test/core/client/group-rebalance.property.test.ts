// Groups under random joins, leaves, crashes (session timeouts) and clock moves:
// the pure GroupCoordinator driven by simulated members that run the real
// assignors. Invariant: within one generation no partition is given to two
// members, and at no time do two live members own the same partition. At the end,
// once things settle, every subscribed partition is owned by exactly one member.
import * as fc from 'fast-check';
import { ErrorCode, GroupCoordinator, GroupInput, GroupResponse } from '../../../core/broker';
import {
  Assignor,
  MemberSubscription,
  TopicPartition,
  cooperativeStickyAssignor,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  rangeAssignor,
  roundRobinAssignor,
} from '../../../core/client';

const SESSION = 6000;
const PARTITIONS = new Map([
  ['a', 3],
  ['b', 5],
]);
const key = (tp: TopicPartition) => `${tp.topic}-${tp.partition}`;

interface SimMember {
  name: number;
  memberId: string;
  topics: string[];
  owned: TopicPartition[];
  generation: number;
  alive: boolean;
  left: boolean;
  /** The join or sync the member is waiting on (a member waits on one at a time). */
  inFlight: number | undefined;
}

type Action =
  | { kind: 'add'; topics: string[] }
  | { kind: 'leave'; who: number }
  | { kind: 'crash'; who: number }
  | { kind: 'advance'; ms: number }
  /** Responses travel separately: deliver one of those in flight, picked by `which`. */
  | { kind: 'deliver'; which: number };

class Simulation {
  readonly coordinator = new GroupCoordinator({ minSessionTimeoutMs: 1000 });
  now = 0;
  members: SimMember[] = [];
  private nextRequest = 0;
  private readonly waiting = new Map<number, { member: SimMember; generation?: number }>();
  private readonly inbox: { requestId: number; response: GroupResponse }[] = [];
  /** generation -> partition -> member name */
  readonly givenPerGeneration = new Map<number, Map<string, number>>();

  constructor(private readonly assignor: Assignor) {}

  apply(a: Action): void {
    switch (a.kind) {
      case 'add': {
        const m: SimMember = {
          name: this.members.length,
          memberId: '',
          topics: a.topics,
          owned: [],
          generation: -1,
          alive: true,
          left: false,
          inFlight: undefined,
        };
        this.members.push(m);
        this.join(m);
        break;
      }
      case 'leave': {
        const m = this.live()[a.who % Math.max(1, this.live().length)];
        if (!m) return;
        m.left = true;
        m.owned = [];
        if (m.memberId) this.send(m, { kind: 'leave', requestId: 0, groupId: 'g', memberIds: [m.memberId] });
        break;
      }
      case 'crash': {
        const m = this.live()[a.who % Math.max(1, this.live().length)];
        if (!m) return;
        m.alive = false; // stops talking; its partitions die with it
        m.owned = [];
        break;
      }
      case 'deliver': {
        if (this.inbox.length === 0) return;
        const [{ requestId, response }] = this.inbox.splice(a.which % this.inbox.length, 1);
        this.receive(requestId, response);
        break;
      }
      case 'advance': {
        this.now += a.ms;
        for (const m of this.live())
          if (m.memberId && m.generation >= 0 && m.inFlight === undefined)
            this.send(m, { kind: 'heartbeat', requestId: 0, groupId: 'g', generationId: m.generation, memberId: m.memberId });
        this.send(undefined, { kind: 'tick' });
        break;
      }
    }
  }

  live(): SimMember[] {
    return this.members.filter((m) => m.alive && !m.left);
  }

  private join(m: SimMember): void {
    if (this.assignor.rebalanceProtocol === 'eager') m.owned = [];
    const metadata = encodeSubscription({ topics: m.topics, userData: null, ownedPartitions: m.owned });
    this.send(m, {
      kind: 'join',
      requestId: 0,
      groupId: 'g',
      memberId: m.memberId,
      groupInstanceId: null,
      clientId: `m${m.name}`,
      sessionTimeoutMs: SESSION,
      rebalanceTimeoutMs: SESSION,
      protocolType: 'consumer',
      protocols: [{ name: this.assignor.name, metadata }],
    });
  }

  private send(m: SimMember | undefined, input: GroupInput): void {
    if (input.kind !== 'tick') {
      input.requestId = ++this.nextRequest;
      this.waiting.set(input.requestId, { member: m!, generation: input.kind === 'sync' ? input.generationId : undefined });
      if (input.kind === 'join' || input.kind === 'sync') m!.inFlight = input.requestId;
    }
    const out = this.coordinator.step(input, this.now);
    this.inbox.push(...out.responses);
  }

  get inFlight(): number {
    return this.inbox.length;
  }

  private receive(requestId: number, response: GroupResponse): void {
    {
      const w = this.waiting.get(requestId);
      this.waiting.delete(requestId);
      if (!w || !w.member.alive || w.member.left) return;
      if (response.kind === 'join' || response.kind === 'sync') {
        if (w.member.inFlight !== requestId) return; // superseded
        w.member.inFlight = undefined;
      }
      this.react(w.member, response, w.generation);
    }
  }

  private react(m: SimMember, r: GroupResponse, syncGeneration: number | undefined): void {
    switch (r.kind) {
      case 'join': {
        if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
          m.memberId = '';
          m.owned = [];
          return this.join(m);
        }
        if (r.errorCode !== 0) return this.join(m);
        m.memberId = r.memberId;
        const assignments = r.leader === r.memberId ? this.assign(r.members) : [];
        this.send(m, { kind: 'sync', requestId: 0, groupId: 'g', generationId: r.generationId, memberId: m.memberId, assignments });
        return;
      }
      case 'sync': {
        if (r.errorCode !== 0) {
          if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
            m.memberId = '';
            m.owned = [];
          }
          return this.join(m);
        }
        const generation = syncGeneration!;
        const assigned = (decodeAssignment(r.assignment) as { right: { partitions: TopicPartition[] } }).right.partitions;
        const given = this.givenPerGeneration.get(generation) ?? new Map<string, number>();
        this.givenPerGeneration.set(generation, given);
        for (const tp of assigned) {
          const other = given.get(key(tp));
          if (other !== undefined && other !== m.name) throw new Error(`generation ${generation}: ${key(tp)} given to m${other} and m${m.name}`);
          given.set(key(tp), m.name);
        }
        const keep = new Set(assigned.map(key));
        const revoked = m.owned.filter((tp) => !keep.has(key(tp)));
        m.owned = assigned;
        m.generation = generation;
        if (this.assignor.rebalanceProtocol === 'cooperative' && revoked.length > 0) this.join(m);
        return;
      }
      case 'heartbeat': {
        if (r.errorCode === 0) return;
        if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
          m.memberId = '';
          m.owned = [];
        }
        m.generation = -1;
        return this.join(m);
      }
      case 'leave':
        return;
    }
  }

  private assign(members: { memberId: string; metadata: Buffer }[]): { memberId: string; assignment: Buffer }[] {
    const subs: MemberSubscription[] = members.map((x) => {
      const s = decodeSubscription(x.metadata) as { right: { topics: string[]; ownedPartitions: TopicPartition[] } };
      return { memberId: x.memberId, topics: s.right.topics, ownedPartitions: s.right.ownedPartitions };
    });
    return [...this.assignor.assign(subs, PARTITIONS)].map(([memberId, partitions]) => ({
      memberId,
      assignment: encodeAssignment({ partitions, userData: null }),
    }));
  }

  /** No partition owned by two live members. */
  checkOwnership(): void {
    const owner = new Map<string, number>();
    for (const m of this.live()) {
      for (const tp of m.owned) {
        const other = owner.get(key(tp));
        if (other !== undefined) throw new Error(`${key(tp)} owned by m${other} and m${m.name} at t=${this.now}`);
        owner.set(key(tp), m.name);
      }
    }
  }
}

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.subarray(['a', 'b'], { minLength: 1 }).map((topics) => ({ kind: 'add' as const, topics })) },
  { weight: 1, arbitrary: fc.nat(10).map((who) => ({ kind: 'leave' as const, who })) },
  { weight: 1, arbitrary: fc.nat(10).map((who) => ({ kind: 'crash' as const, who })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: SESSION / 2 }).map((ms) => ({ kind: 'advance' as const, ms })) },
  { weight: 6, arbitrary: fc.nat(20).map((which) => ({ kind: 'deliver' as const, which })) },
);

describe.each([rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor])('group rebalancing with the $name assignor', (assignor) => {
  it('never gives a partition to two members, and settles with every partition owned', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 60 }), (actions) => {
        const sim = new Simulation(assignor);
        for (const a of actions) {
          sim.apply(a);
          sim.checkOwnership();
        }
        // Settle: time passes with everyone alive heartbeating (crashed members time out).
        for (let i = 0; i < 8; i++) {
          sim.apply({ kind: 'advance', ms: SESSION / 2 });
          for (let n = 0; sim.inFlight > 0 && n < 1000; n++) {
            sim.apply({ kind: 'deliver', which: n * 7 });
            sim.checkOwnership();
          }
        }
        const live = sim.live();
        const wanted = new Set([...new Set(live.flatMap((m) => m.topics))].flatMap((t) => Array.from({ length: PARTITIONS.get(t)! }, (_, p) => `${t}-${p}`)));
        const owned = live.flatMap((m) => m.owned.map(key));
        expect(new Set(owned)).toEqual(wanted);
        expect(owned.length).toBe(wanted.size);
      }),
      { numRuns: 300, seed: 20261129, ...(process.env.SIM_CASE ? { examples: [[JSON.parse(process.env.SIM_CASE)]], numRuns: 1 } : {}) },
    );
  });
});

describe('assignors', () => {
  const subs = (n: number, topics = ['a', 'b']): MemberSubscription[] =>
    Array.from({ length: n }, (_, i) => ({ memberId: `m${i}`, topics, ownedPartitions: [] }));
  const show = (m: Map<string, TopicPartition[]>) => Object.fromEntries([...m].map(([k, v]) => [k, v.map(key)]));

  it('range gives contiguous ranges per topic, extra partitions to the first members', () => {
    expect(show(rangeAssignor.assign(subs(2), PARTITIONS))).toEqual({ m0: ['a-0', 'a-1', 'b-0', 'b-1', 'b-2'], m1: ['a-2', 'b-3', 'b-4'] });
  });

  it('roundrobin deals all partitions in order', () => {
    expect(show(roundRobinAssignor.assign(subs(3), PARTITIONS))).toEqual({ m0: ['a-0', 'b-0', 'b-3'], m1: ['a-1', 'b-1', 'b-4'], m2: ['a-2', 'b-2'] });
  });

  it('cooperative-sticky keeps owned partitions and withholds the ones that move', () => {
    const first = cooperativeStickyAssignor.assign(subs(1), PARTITIONS);
    expect(first.get('m0')!.length).toBe(8);
    const withNew: MemberSubscription[] = [
      { memberId: 'm0', topics: ['a', 'b'], ownedPartitions: first.get('m0')! },
      { memberId: 'm1', topics: ['a', 'b'], ownedPartitions: [] },
    ];
    const second = cooperativeStickyAssignor.assign(withNew, PARTITIONS);
    expect(second.get('m0')!.length).toBe(4); // kept half, gave up the rest
    expect(second.get('m1')).toEqual([]); // gets them only after m0 revoked them
    const third = cooperativeStickyAssignor.assign(
      [
        { memberId: 'm0', topics: ['a', 'b'], ownedPartitions: second.get('m0')! },
        { memberId: 'm1', topics: ['a', 'b'], ownedPartitions: [] },
      ],
      PARTITIONS,
    );
    expect(third.get('m0')).toEqual(second.get('m0'));
    expect(third.get('m1')!.length).toBe(4);
  });
});
