#!/usr/bin/env node
// The sandbox is TypeScript compiled into dist/; this shim says how to build it when that is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'sandbox', 'src', 'cli.js');
if (!existsSync(cli)) {
	process.stderr.write('The sandbox is not built yet. Run: npm run build:sandbox (or npm run sandbox)\n');
	process.exit(2);
}
require(cli).run(process.argv.slice(2));
