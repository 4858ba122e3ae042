// Same-process, alternating A/B of the replica fetch's wire code: the leader
// decoding a follower's batch and encoding its answers, and the follower
// decoding them (core/cluster/broker/replica-fetch-wire.ts), for a batch of 6
// partitions with 2 record chunks each. The JSON round trip of the answer's
// body is included (the same in both trees); record bytes are not copied.
//
//   node bench/replica-fetch-wire-ab.cjs BEFORE_TREE [AFTER_TREE (default: this tree)]
//
// BEFORE_TREE is a checkout or `git archive` export of the code to compare
// with. Prints CPU microseconds per fetch for each, medians of 6 alternating rounds.
'use strict';
const path = require('node:path');
require('../test/support/register-ts.js');

const WIRE = 'core/cluster/broker/replica-fetch-wire.ts';
const beforeTree = process.argv[2];
if (!beforeTree) {
  process.stderr.write('usage: node bench/replica-fetch-wire-ab.cjs BEFORE_TREE [AFTER_TREE]\n');
  process.exit(2);
}
const trees = { before: path.resolve(beforeTree), after: path.resolve(process.argv[3] ?? path.join(__dirname, '..')) };
const wire = Object.fromEntries(Object.entries(trees).map(([name, tree]) => [name, require(path.join(tree, WIRE))]));

const ITEMS = 6;
const CHUNK_BYTES = 16 * 1024;
const FETCHES = 20_000;
const ROUNDS = 6;
const chunk = Buffer.alloc(CHUNK_BYTES, 1);
const blob = Buffer.alloc(2 * ITEMS * CHUNK_BYTES);
// As the leader receives it: parsed from JSON.
const batchBody = JSON.parse(
  JSON.stringify({
    replicaId: 2,
    maxWaitMs: 500,
    wake: false,
    items: Array.from({ length: ITEMS }, (_, i) => ({
      topic: 'bench-rf3',
      partition: i,
      req: { kind: 'fetch', requestId: i + 1, replicaId: 2, replicaEpoch: 7, currentLeaderEpoch: 3, fetchOffset: 1000 * i, maxBytes: 1 << 20 },
    })),
  }),
);
const answers = Array.from({ length: ITEMS }, (_, i) => ({
  kind: 'fetchResponse',
  requestId: i + 1,
  errorCode: 0,
  highWatermark: 5000,
  logStartOffset: 0,
  records: [chunk, chunk],
}));

function fetches(w, n) {
  let sink = 0;
  for (let k = 0; k < n; k++) {
    const batch = w.decodeFetchBatch(batchBody);
    if (typeof batch === 'string') throw new Error(batch);
    const encoded = w.encodeFetchAnswers(answers);
    const decoded = w.decodeFetchAnswers(JSON.parse(JSON.stringify(encoded.body)), blob, ITEMS);
    if (typeof decoded === 'string') throw new Error(decoded);
    sink += batch.items.length + decoded.length;
  }
  return sink;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const w of Object.values(wire)) fetches(w, FETCHES); // warm up both
const us = { before: [], after: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
    const t0 = process.cpuUsage();
    fetches(wire[name], FETCHES);
    const t = process.cpuUsage(t0);
    us[name].push((t.user + t.system) / FETCHES);
  }
}
const before = median(us.before);
const after = median(us.after);
console.log(
  JSON.stringify({
    trees,
    itemsPerFetch: ITEMS,
    cpuUsPerFetch: { before: +before.toFixed(2), after: +after.toFixed(2) },
    afterOverBefore: +(after / before).toFixed(2),
    rounds: us,
  }),
);
