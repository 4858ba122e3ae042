// Preloaded (`node -r ./bench/cluster-lifeline.cjs ...`) into every node that
// bench/cluster.ts starts, so no node outlives the bench: the node's stdin is a
// pipe from the bench, and when that pipe closes (the bench exited, however it
// exited, even by SIGKILL) the node stops. RILL_BENCH_MAX_LIFETIME_MS bounds
// its life in any case. It stops with SIGTERM first (a graceful stop, which also
// lets --cpu-prof write its profile), then exits hard if that takes too long.
'use strict';

let dying = false;
function die(why) {
  if (dying) return;
  dying = true;
  try {
    process.stderr.write(`${new Date().toISOString()} lifeline: ${why}; stopping\n`);
  } catch {
    // stderr may be gone with the parent
  }
  setTimeout(() => process.exit(1), 5000).unref();
  process.kill(process.pid, 'SIGTERM');
}

function holdTheLifeline() {
  process.stdin.on('end', () => die('the bench closed its pipe'));
  process.stdin.on('close', () => die('the bench closed its pipe'));
  process.stdin.on('error', () => die('the pipe to the bench broke'));
  process.stdin.resume();

  const maxLifetime = Number(process.env.RILL_BENCH_MAX_LIFETIME_MS);
  if (Number.isFinite(maxLifetime) && maxLifetime > 0) setTimeout(() => die(`lived ${maxLifetime} ms`), maxLifetime).unref();
}

// A node's own threads (a worker's heartbeat thread) load the preloads again: only the main thread holds the lifeline.
if (require('node:worker_threads').isMainThread) holdTheLifeline();
