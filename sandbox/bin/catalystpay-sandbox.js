#!/usr/bin/env node
// The sandbox is TypeScript compiled into dist/, signing with the package's compiled core copied into
// core/ (npm run build:sandbox makes both); this shim says how to build them when either is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli.js');
const core = join(__dirname, '..', 'core', 'signature', 'index.js');
if (!existsSync(cli) || !existsSync(core)) {
	process.stderr.write('The sandbox is not built yet. Run: npm run build:sandbox (or npm run sandbox)\n');
	process.exit(2);
}
require(cli).run(process.argv.slice(2));
