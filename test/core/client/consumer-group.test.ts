import { Broker } from '../../../core/broker';
import { Admin, Assignor, Consumer, ConsumerRecord, Producer, TopicPartition, cooperativeStickyAssignor, rangeAssignor } from '../../../core/client';
import { FakeClock, tempDir } from '../broker/helpers';

/** Resolves when `check` holds, re-checked whenever a consumer reports a rebalance. */
class RebalanceWatch {
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  /** Checked at every rebalance callback; a failure is kept and reported by the test. */
  invariant: (() => string | undefined) | undefined;
  readonly violations: string[] = [];
  notify = (): void => {
    const broken = this.invariant?.();
    if (broken) this.violations.push(broken);
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  };
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }
}

const names = (tps: TopicPartition[]) => tps.map((tp) => `${tp.topic}-${tp.partition}`).sort();

describe.each([
  ['cooperative-sticky', cooperativeStickyAssignor],
  ['range', rangeAssignor],
] as [string, Assignor][])('consumer groups (%s)', (_, assignor) => {
  let t: ReturnType<typeof tempDir>;
  let broker: Broker;
  let clock: FakeClock;
  let watch: RebalanceWatch;
  const consumers: Consumer[] = [];
  const consumer = (extra: Partial<ConstructorParameters<typeof Consumer>[1]> = {}) => {
    const c = new Consumer(broker, {
      groupId: 'g',
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 10,
      fetchMaxWaitMs: 20,
      assignors: [assignor],
      rebalanceListener: { onAssigned: watch.notify, onRevoked: watch.notify },
      ...extra,
    });
    consumers.push(c);
    return c;
  };

  beforeEach(() => {
    t = tempDir('rill-group-');
    clock = new FakeClock();
    watch = new RebalanceWatch();
    broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0, clock, groups: { minSessionTimeoutMs: 100 } });
    broker.createTopic({ name: 't', partitions: 4 });
  });
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.close();
    await broker.close();
    t.cleanup();
  });

  it('rebalances on join and on leave, never sharing a partition', async () => {
    const a = consumer();
    const b = consumer();
    watch.invariant = () => {
      const both = [...names(a.assignment()), ...names(b.assignment())];
      return new Set(both).size === both.length ? undefined : `shared partition: ${both.join(',')}`;
    };
    await a.subscribe(['t']);
    await watch.until(() => a.assignment().length === 4);
    await b.subscribe(['t']);
    await watch.until(() => a.assignment().length === 2 && b.assignment().length === 2);
    expect([...names(a.assignment()), ...names(b.assignment())].sort()).toEqual(['t-0', 't-1', 't-2', 't-3']);
    expect(broker.describeGroup('g').state).toBe('Stable');

    await b.close();
    await watch.until(() => a.assignment().length === 4);
    expect(names(a.assignment())).toEqual(['t-0', 't-1', 't-2', 't-3']);
    expect(watch.violations).toEqual([]);
  });

  it('rebalances when a member stops heartbeating (session timeout)', async () => {
    // A member that joins and then goes silent, as a crashed process would.
    const silent = await broker.joinGroup({
      groupId: 'g',
      memberId: '',
      clientId: 'silent',
      sessionTimeoutMs: 1000,
      protocolType: 'consumer',
      protocols: [{ name: assignor.name, metadata: Buffer.alloc(0) }],
    });
    await broker.syncGroup({ groupId: 'g', generationId: silent.generationId, memberId: silent.memberId, assignments: [] });
    const a = consumer();
    const joined = a.subscribe(['t']);
    clock.advance(1001);
    broker.tick();
    await joined;
    await watch.until(() => a.assignment().length === 4);
    expect(broker.describeGroup('g').members.map((m) => m.clientId)).toEqual(['rill-consumer']);
  });

  it('resumes from committed offsets when the group restarts', async () => {
    const producer = new Producer(broker);
    await producer.send(
      't',
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
    const a = consumer({ autoCommit: false });
    await a.subscribe(['t']);
    await watch.until(() => a.assignment().length === 4);
    const seen: ConsumerRecord[] = [];
    for await (const r of a) {
      seen.push(r);
      if (seen.length === 40) break;
    }
    await a.commit();
    const lag = await new Admin(broker).lag('g');
    expect(lag.reduce((s, l) => s + l.lag, 0)).toBe(0);
    await producer.send(
      't',
      Array.from({ length: 8 }, (_, i) => ({ key: `n${i}`, value: `new${i}` })),
    );
    expect((await new Admin(broker).lag('g')).reduce((s, l) => s + l.lag, 0)).toBe(8);
    await a.close();

    const b = consumer();
    await b.subscribe(['t']);
    await watch.until(() => b.assignment().length === 4);
    const fresh: string[] = [];
    for await (const r of b) {
      fresh.push(r.value!.toString());
      if (fresh.length === 8) break;
    }
    expect(fresh.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `new${i}`).sort());
  });
});

describe('static membership', () => {
  it('a restarted member with the same groupInstanceId gets its partitions back without a rebalance', async () => {
    const t = tempDir('rill-static-');
    const broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0, groups: { minSessionTimeoutMs: 100 } });
    broker.createTopic({ name: 't', partitions: 2 });
    const watch = new RebalanceWatch();
    const options = {
      groupId: 's',
      groupInstanceId: 'worker-1',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 10,
      rebalanceListener: { onAssigned: watch.notify },
    };
    const first = new Consumer(broker, options);
    let second: Consumer | undefined;
    try {
      await first.subscribe(['t']);
      await watch.until(() => first.assignment().length === 2);
      const generation = broker.describeGroup('s').generationId;
      await first.close();
      expect(broker.describeGroup('s').members).toHaveLength(1); // still there, waiting for its return
      second = new Consumer(broker, options);
      await second.subscribe(['t']);
      await watch.until(() => second!.assignment().length === 2);
      expect(broker.describeGroup('s').generationId).toBe(generation);
    } finally {
      await second?.close();
      await broker.close();
      t.cleanup();
    }
  });
});

describe('subscribe to a pattern', () => {
  it('picks up matching topics created later', async () => {
    const t = tempDir('rill-pattern-');
    const broker = Broker.open({ dir: t.dir, scheduler: false, groupTickIntervalMs: 0, groups: { minSessionTimeoutMs: 100 } });
    const watch = new RebalanceWatch();
    const c = new Consumer(broker, {
      groupId: 'p',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 10,
      autoOffsetReset: 'earliest',
      rebalanceListener: { onAssigned: watch.notify },
    });
    try {
      broker.createTopic({ name: 'events.a', partitions: 1 });
      broker.createTopic({ name: 'other', partitions: 1 });
      await c.subscribe(/^events\./);
      await watch.until(() => names(c.assignment()).join() === 'events.a-0');
      broker.createTopic({ name: 'events.b', partitions: 2 });
      await watch.until(() => c.assignment().length === 3);
      expect(names(c.assignment())).toEqual(['events.a-0', 'events.b-0', 'events.b-1']);
    } finally {
      await c.close();
      await broker.close();
      t.cleanup();
    }
  });
});
