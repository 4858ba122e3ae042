// Seeded pseudo-random numbers for benches, so every run (and every lane of a
// comparison) draws the same input.

/** Seeded generator of uniform numbers in [0, n) (mulberry32). */
export function uniform(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}
