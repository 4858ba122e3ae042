#!/usr/bin/env node
// Entry point of `npm run sim:cluster`: see cli.ts.
require('../../../support/register-ts.js');
require('./cli.ts');
