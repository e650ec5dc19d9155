#!/usr/bin/env node
// The sandbox is TypeScript compiled into dist/, and it signs with the package's own compiled signature
// core (../dist/lib); this shim says how to build both when either is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli.js');
const core = join(__dirname, '..', '..', 'dist', 'lib', 'signature', 'index.js');
if (!existsSync(cli) || !existsSync(core)) {
	process.stderr.write('The sandbox is not built yet. Run: npm run build:sandbox (or npm run sandbox)\n');
	process.exit(2);
}
require(cli).run(process.argv.slice(2));
