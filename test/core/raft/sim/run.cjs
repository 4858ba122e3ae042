#!/usr/bin/env node
// Entry point of `npm run sim`: see cli.ts.
require('../../../support/register-ts.js');
require('./cli.ts');
