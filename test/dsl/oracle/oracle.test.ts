// The differential oracle in `npm test`: generated topologies and inputs give
// the same results through TopologyTestDriver and through RillStreams on the
// embedded log (several partitions, repartition topics through the log, a
// stop and restart in the middle). The contract is in compare.ts; more cases:
// `npm run fuzz:dsl -- --runs N [--seed S]`. ORACLE_RUNS / ORACLE_SEED
// override the defaults here.
import { checkCase, runOracle } from './check';
import { RuntimeHarness } from './runner';
import type { OracleCase } from './spec';

const runs = Number(process.env.ORACLE_RUNS ?? 300);
const seed = Number(process.env.ORACLE_SEED ?? 20261207);

describe('differential oracle: TopologyTestDriver vs RillStreams', () => {
  test(`${runs} generated cases (seed ${seed}) agree`, async () => {
    const result = await runOracle({ runs, seed, parallel: 2 });
    expect(result.failures).toEqual([]);
    expect(result.runs).toBe(runs);
  }, 300_000);

  describe('cases it found', () => {
    const harness = new RuntimeHarness();
    afterAll(() => harness.close());
    const at = (topic: string, key: string, value: number | null, timestamp: number) => ({ topic, key, value, timestamp });

    test('emit-final hopping count: a window emitted before a restart is not emitted again after it (stream time is restored)', async () => {
      const c: OracleCase = {
        topology: {
          partitions: 1,
          steps: [],
          rekey: 'none',
          terminal: { kind: 'aggregate', agg: 'count', window: { type: 'hopping', size: 20, advance: 8, grace: 0 }, emit: 'final' },
        },
        phase1: [at('A', 'k0', null, 10000), at('A', 'k0', 0, 10060), at('A', 'k0', 0, 10070)],
        phase2: [at('A', 'k0', 0, 10080)],
      };
      await checkCase(c, harness);
    });

    test('session windows: the issue 13 repro agrees, with a restart before the out-of-order click', async () => {
      const min = 60_000;
      const T = 100 * min;
      const c: OracleCase = {
        topology: {
          partitions: 2,
          steps: [],
          rekey: 'none',
          terminal: { kind: 'aggregate', agg: 'count', window: { type: 'session', gap: 5 * min, grace: 2 * min }, emit: 'update' },
        },
        phase1: [0, 3, 6, 9, 12].map((m) => at('A', 'k1', m, T + m * min)),
        phase2: [at('A', 'k1', 99, T - 4 * min)],
      };
      await checkCase(c, harness);
    });
  });
});
