#!/usr/bin/env node
'use strict';
// Runs the built CLI when `npm run build` has produced it, and the TypeScript sources through tsx otherwise,
// so a fresh clone works without a build step.
const fs = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (fs.existsSync(built) && process.env.QBSYNC_FROM_SOURCE !== '1') {
  require(built).main(process.argv);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'client', 'cli.ts')).main(process.argv);
}
