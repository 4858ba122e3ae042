#!/usr/bin/env node
// Entry point of `npm run bench:raft`: see raft.bench.ts.
require('../test/support/register-ts.js');
require('./raft.bench.ts');
