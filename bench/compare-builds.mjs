// Verification speed of two builds of the package, interleaved in one process, so a refactor's
// before/after ratio does not depend on how busy this shared machine was at the time of each run.
//
//   git worktree add /tmp/before <commit> && (cd /tmp/before && ln -s $PWD/node_modules . && npx tsc)
//   npm run build && node bench/compare-builds.mjs /tmp/before/dist [--rounds 11]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const otherDist = process.argv[2];
if (!otherDist) {
	console.error('usage: node bench/compare-builds.mjs <the other build\'s dist folder> [--rounds 11]');
	process.exit(2);
}
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 11;
const before = require(join(resolve(otherDist), 'index.js'));
const after = require(join(here, '..', 'dist', 'index.js'));
const SECRET = 'whsec_sandbox_9f8e7d6c5b4a3928170615';
const bodies = JSON.parse(execFileSync('python3', [join(here, 'bodies.py')], { maxBuffer: 1 << 30, encoding: 'utf8' }));

const perCall = (fn, n) => {
	const started = process.hrtime.bigint();
	for (let i = 0; i < n; i++) fn();
	return Number(process.hrtime.bigint() - started) / n / 1000;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`verifySignature, median of ${rounds} interleaved rounds (Node ${process.version}); other = ${otherDist}`);
for (const name of ['200 B', '24 KB', '1 MB']) {
	const body = Buffer.from(bodies[name]);
	const signature = after.sign(body, SECRET);
	if (!before.verifySignature(body, signature, SECRET)) throw new Error(`the other build rejects the ${name} body`);
	const n = body.length < 1000 ? 100_000 : body.length < 100_000 ? 2_000 : 20;
	const times = { other: [], this: [] };
	for (let round = 0; round < rounds; round++) {
		times.other.push(perCall(() => before.verifySignature(body, signature, SECRET), n));
		times.this.push(perCall(() => after.verifySignature(body, signature, SECRET), n));
	}
	const [other, mine] = [median(times.other), median(times.this)];
	console.log(`${name.padEnd(6)} other ${other.toFixed(2)} µs   this ${mine.toFixed(2)} µs   this/other ${(mine / other).toFixed(2)}`);
}
