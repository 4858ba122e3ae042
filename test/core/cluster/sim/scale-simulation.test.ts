// The small version of `npm run sim:scale`: the same phases at 20 brokers and
// 2,000 partitions, checked for correctness only (the figures are the script's).
import { runScaleSimulation } from './scale-simulation';

test.each([true, false])(
  '20 brokers, 2,000 partitions: topics, snapshots, broker kills (connections closing: %s) and a controller failover keep every image equal and every partition led',
  (killCloses) => {
    const r = runScaleSimulation({ brokers: 20, partitions: 2000, partitionsPerTopic: 50, replicationFactor: 3, brokerKills: 3, killCloses });
    expect(r.failures).toEqual([]);
    expect(r.brokerKillRounds).toHaveLength(4);
    for (const k of r.brokerKillRounds) {
      expect(k.partitionsLed).toBeGreaterThan(0);
      // Every partition the dead broker led moved to a live in-sync replica.
      expect(k.partitionsReLed).toBe(k.partitionsLed);
      // Fenced by the disconnect grace, else by the session timeout (virtual time: exact bounds hold).
      expect(k.simulatedMs).toBeLessThanOrEqual(killCloses ? 1100 : 9100);
      expect(k.simulatedMs).toBeGreaterThanOrEqual(killCloses ? 1000 : 9000 - 250);
    }
  },
);
