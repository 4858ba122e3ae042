import { PartitionLog } from '../../../core/log';
import { LogScheduler } from '../../../core/broker';
import { FakeClock, tempDir } from './helpers';

describe('LogScheduler', () => {
  let t: ReturnType<typeof tempDir>;
  let logs: PartitionLog[];
  const clock = new FakeClock();
  beforeEach(() => {
    t = tempDir('rill-scheduler-');
    logs = [0, 1, 2].map((i) => PartitionLog.open(`${t.dir}/t-${i}`, { 'retention.ms': 1000, 'segment.bytes': 200 }, { clock }));
  });
  afterEach(() => {
    for (const l of logs) l.close();
    t.cleanup();
  });

  const fill = (log: PartitionLog) => {
    for (let i = 0; i < 5; i++) log.appendRecords([{ key: null, value: Buffer.alloc(50), timestamp: clock.now() }]);
  };

  it('applies retention to every log, yielding to appends between partitions', async () => {
    logs.forEach(fill);
    clock.advance(5000);
    const scheduler = new LogScheduler(() => logs, { clock });
    let appendedDuringPass = false;
    const pass = scheduler.runPass({ forceRetention: true });
    setImmediate(() => {
      logs[2].appendRecords([{ key: null, value: Buffer.from('x'), timestamp: clock.now() }]);
      appendedDuringPass = true;
    });
    await pass;
    expect(appendedDuringPass).toBe(true);
    for (const log of logs) expect(log.logStartOffset).toBeGreaterThan(0);
    await scheduler.stop();
  });

  it('calls the compaction hook for compacted logs only, and reports failures without stopping', async () => {
    logs[1].updateConfig({ 'cleanup.policy': 'compact' });
    const cleaned: string[] = [];
    const errors: unknown[] = [];
    const scheduler = new LogScheduler(() => logs, {
      clock,
      cleanLog: (log) => {
        cleaned.push(log.dir);
        throw new Error('cleaner broke');
      },
      onError: (e) => errors.push(e),
    });
    await scheduler.runPass({ forceRetention: true });
    expect(cleaned).toEqual([logs[1].dir]);
    expect(errors).toHaveLength(1);
    await scheduler.stop();
  });

  it('stop() waits for the running pass and no pass runs after it', async () => {
    const scheduler = new LogScheduler(() => logs, { clock, intervalMs: 10 });
    scheduler.start();
    const pass = scheduler.runPass();
    await scheduler.stop();
    await pass;
    let visited = 0;
    const after = new LogScheduler(
      () => {
        visited++;
        return logs;
      },
      { clock },
    );
    await after.stop();
    await after.runPass();
    expect(visited).toBe(1); // the list is read, but a stopped scheduler touches no log
  });
});
