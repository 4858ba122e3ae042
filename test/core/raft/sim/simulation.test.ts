import { runSimulation } from './simulation';

// The deterministic simulation: every seed runs a cluster through drops,
// delays, duplicates, partitions, crashes with torn writes, restarts,
// membership changes and leadership transfers, checking Raft's safety
// properties after every step, liveness after healing, and linearizability of
// the clients' key-value history at the end.

const SEEDS = Number(process.env.RAFT_SIM_SEEDS ?? 1000);
const FIRST_SEED = Number(process.env.RAFT_SIM_FIRST_SEED ?? 1);

describe('raft deterministic simulation', () => {
  it(`holds every invariant for ${SEEDS} seeds`, () => {
    const failures: string[] = [];
    let events = 0;
    let crashes = 0;
    let snapshots = 0;
    let membership = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const r = runSimulation({ seed });
      events += r.stats.events;
      crashes += r.stats.crashes;
      snapshots += r.stats.snapshotsInstalled;
      membership += r.stats.membershipChanges;
      if (!r.ok) failures.push(`seed ${seed}: ${r.failure} (replay: npm run sim -- --seed ${seed} --trace)`);
    }
    expect(failures).toEqual([]);
    // The faults really happened (a simulation that injects nothing proves nothing).
    expect(crashes).toBeGreaterThan(SEEDS);
    expect(snapshots).toBeGreaterThan(SEEDS);
    expect(membership).toBeGreaterThan(SEEDS / 2);
    expect(events).toBeGreaterThan(SEEDS * 1000);
  });

  it('replays a seed exactly', () => {
    const a = runSimulation({ seed: 4242, chaosTime: 5000, trace: true });
    const b = runSimulation({ seed: 4242, chaosTime: 5000, trace: true });
    expect(b.stats).toEqual(a.stats);
    expect(b.trace).toEqual(a.trace);
    const c = runSimulation({ seed: 4243, chaosTime: 5000, trace: true });
    expect(c.trace).not.toEqual(a.trace);
  });
});
