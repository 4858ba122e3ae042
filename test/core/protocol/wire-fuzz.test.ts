// The short run of the wire fuzzer inside npm test (the long one is
// `npm run fuzz:wire -- --frames 1000000`): a few thousand generated and
// mutated frames of every served API, the broker's invariants checked after
// every phase (known data intact, RSS and descriptors within bounds, partition
// limits, memory pool returned, a fresh client answered).
import { runWireFuzz } from '../../fuzz/wire-fuzz';

test('3,000 fuzzed frames: no invariant broken, the broker answers after every phase', async () => {
  const r = await runWireFuzz({ frames: 3000, seed: 21 });
  expect(r.violations).toEqual([]);
  expect(r.frames).toBe(3000);
  expect(r.mutated).toBeGreaterThan(300);
  expect(r.responses).toBeGreaterThan(1000);
  expect(r.phases).toBeGreaterThan(10);
});
