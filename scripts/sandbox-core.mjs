#!/usr/bin/env node
// Copies the package's compiled signature core and input checks (dist/lib) into sandbox/core/, which
// the sandbox imports: it signs with the very code the package ships, and its own package (packed
// from sandbox/) carries that code, so `npx catalystpay-sandbox` runs without this repository.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(ROOT, 'dist', 'lib');
const to = join(ROOT, 'sandbox', 'core');
if (!existsSync(join(from, 'signature', 'index.js'))) {
	process.stderr.write('dist/lib is not built: run npm run build first\n');
	process.exit(1);
}
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
cpSync(join(from, 'signature'), join(to, 'signature'), { recursive: true, filter: (path) => !path.endsWith('.map') });
for (const file of ['validate.js', 'validate.d.ts']) cpSync(join(from, file), join(to, file));
