import { Rill } from '../../../core/client';
import { memoryLogger, RillStreams } from '../../../dsl';
import { buildTopology } from './topology';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
(async () => {
  for (let i = 0; i < 3; i++) {
    const t = [Date.now()];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-oracle-'));
    const rill = Rill.open({ dir });
    t.push(Date.now());
    await rill.admin.createTopics([{ name: 'A', partitions: 3 }]);
    await rill.producer().send('A', [{ key: 'k1', value: '1', timestamp: 5 }]);
    t.push(Date.now());
    const spec = { partitions: 3, steps: [], rekey: 'same' as const, terminal: { kind: 'aggregate' as const, agg: 'count' as const, window: { type: 'none' as const }, emit: 'update' as const } };
    const app = new RillStreams(buildTopology('oracle', spec), { log: rill, logger: memoryLogger(), taskAssignment: 'all', localRepartition: false });
    await app.start();
    t.push(Date.now());
    await app.waitUntilCaughtUp();
    t.push(Date.now());
    await app.stop();
    t.push(Date.now());
    await rill.close();
    t.push(Date.now());
    console.log(t.slice(1).map((x, j) => x - t[j]));
  }
})();
