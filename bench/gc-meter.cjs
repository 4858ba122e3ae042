// Preloaded (`node -r ./bench/gc-meter.cjs ...`) into the brokers bench/cluster.ts
// starts: counts the node's garbage collections, their time and the bytes it
// allocated, and writes the running totals to $RILL_BENCH_GC_DIR/<pid>.json
// every 100 ms (one pwrite over the same bytes of a file kept open: opening and
// closing it each time cost the broker ~5% of its CPU in a profile). CPU time per MB swings with the machine's load (other work
// changes how many records each request and fetch carries); bytes allocated and
// GC time per MB replicated are steadier measures of what a change saved.
//
// Allocation = what the heap grew by between collections: V8's GCProfiler
// reports the used heap before and after each one. Buffers larger than Node's
// pool live outside the heap ("external" memory, counted apart the same way):
// their growth is what makes V8 run full collections early.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

const dir = process.env.RILL_BENCH_GC_DIR;
if (dir) {
  const fd = fs.openSync(path.join(dir, `${process.pid}.json`), 'w');
  const SLOT = 512; // the text is padded to this size, so every write covers the last
  const totals = { collections: 0, scavenges: 0, gcMs: 0, allocatedBytes: 0, externalBytes: 0, byType: {} };
  let lastAfter = v8.getHeapStatistics().used_heap_size;
  let lastExternalAfter = v8.getHeapStatistics().external_memory;
  let profiler = new v8.GCProfiler();
  profiler.start();
  const timer = setInterval(() => {
    const data = profiler.stop();
    profiler = new v8.GCProfiler();
    profiler.start();
    for (const s of data?.statistics ?? []) {
      totals.collections++;
      if (s.gcType === 'Scavenge') totals.scavenges++;
      totals.byType[s.gcType] = (totals.byType[s.gcType] ?? 0) + 1;
      totals.gcMs += s.cost / 1000;
      totals.allocatedBytes += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - lastAfter);
      lastAfter = s.afterGC.heapStatistics.usedHeapSize;
      totals.externalBytes += Math.max(0, s.beforeGC.heapStatistics.externalMemory - lastExternalAfter);
      lastExternalAfter = s.afterGC.heapStatistics.externalMemory;
    }
    // Allocated since the last collection counts now, not at the next one.
    const now = v8.getHeapStatistics();
    const pending = Math.max(0, now.used_heap_size - lastAfter);
    const pendingExternal = Math.max(0, now.external_memory - lastExternalAfter);
    try {
      fs.writeSync(
        fd,
        JSON.stringify({ ...totals, allocatedBytes: totals.allocatedBytes + pending, externalBytes: totals.externalBytes + pendingExternal }).padEnd(SLOT),
        0,
      );
    } catch {
      // the bench's directory is gone: it has finished
    }
  }, 100);
  timer.unref();
}
