// Preloaded (`node -r ./bench/alloc-sampler.cjs ...`) into a process a bench
// starts: V8's sampling heap profiler over the process's whole life, counting
// the objects later collected too (node --heap-prof keeps only those still
// alive at exit, which hides the short-lived garbage a hot path makes). On exit
// it writes $RILL_BENCH_ALLOC_DIR/<pid>.heapprofile (Chrome DevTools' format).
'use strict';
const fs = require('node:fs');
const inspector = require('node:inspector');
const path = require('node:path');

const dir = process.env.RILL_BENCH_ALLOC_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.on('exit', () => {
    // The inspector answers synchronously in the same thread.
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err) fs.writeFileSync(path.join(dir, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
}
