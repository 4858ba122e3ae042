import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog, LogDirCheckpoints } from '../core/log';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-open-'));
const cps = new LogDirCheckpoints(dir, {});
const N = 1000;
const c0 = process.cpuUsage(); const t0 = performance.now();
const logs = [];
for (let i = 0; i < N; i++) {
  const d = path.join(dir, `t-${i}`);
  const log = PartitionLog.open(d, {}, { replicated: true, recentAppendBytes: 4 << 20, dirCheckpoints: cps });
  fs.writeFileSync(path.join(d, 'topic-id'), '1\n');
  log.leaderEpochs.assign(0, 0);
  logs.push(log);
}
const c = process.cpuUsage(c0);
console.log('open new', ((performance.now() - t0) / N).toFixed(3), 'ms wall/log', ((c.user + c.system) / 1000 / N).toFixed(3), 'CPU ms/log');
setTimeout(() => {
  const c1 = process.cpuUsage(); const t1 = performance.now();
  for (const l of logs) l.close();
  const c2 = process.cpuUsage(c1);
  console.log('close', ((performance.now() - t1) / N).toFixed(3), 'ms wall/log', ((c2.user + c2.system) / 1000 / N).toFixed(3), 'CPU ms/log');
  fs.rmSync(dir, { recursive: true, force: true });
}, 2000);
