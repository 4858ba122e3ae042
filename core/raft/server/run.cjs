#!/usr/bin/env node
// Entry point of the standalone raft server process: see main.ts.
require('../../../test/support/register-ts.js');
require('./main.ts');
