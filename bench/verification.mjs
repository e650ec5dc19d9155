// Benchmark 1: verifying a webhook signature.
//
// Ours (verifySignature from the built package) against the integration guide's own JavaScript
// sample (JSON.parse, recursive key sort, JSON.stringify, HMAC) and against the floor (one HMAC over
// the raw body), on bodies as a Python sender emits them: json.dumps(payload) with its defaults.
// Prints per-call times (median of interleaved rounds) and the ratios the issue sets targets for.
//
//   npm run build && node bench/verification.mjs [--rounds 15]
import { execFileSync } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { verifySignature, sign } = require(join(here, '..', 'dist', 'index.js'));

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 15;
const SECRET = 'whsec_sandbox_9f8e7d6c5b4a3928170615';

// The JavaScript sample of CatalystPay's integration guide, verbatim but for the name.
function sortKeys(obj) {
	if (typeof obj !== 'object' || obj === null) return obj;
	if (Array.isArray(obj)) return obj.map(sortKeys);
	return Object.keys(obj)
		.sort()
		.reduce((acc, key) => {
			acc[key] = sortKeys(obj[key]);
			return acc;
		}, {});
}
function guideVerifyWebhook(payloadBody, signature, signingSecret) {
	const payload = JSON.parse(payloadBody);
	const canonical = JSON.stringify(sortKeys(payload));
	const expected = createHmac('sha256', signingSecret).update(canonical).digest('hex');
	return timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

function floor(body, signature, secret) {
	return createHmac('sha256', secret).update(body).digest('hex') === signature;
}

const bodies = JSON.parse(
	execFileSync('python3', [join(here, 'bodies.py')], { maxBuffer: 1 << 30, encoding: 'utf8' }),
);

function timePerCall(fn, iterations) {
	const started = process.hrtime.bigint();
	for (let i = 0; i < iterations; i++) fn();
	return Number(process.hrtime.bigint() - started) / iterations / 1000;
}

function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

const format = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} µs`);

console.log(`Verification, median of ${rounds} interleaved rounds (Node ${process.version})`);
console.log('Bodies as a Python sender emits them: json.dumps(payload) defaults (", " and ": ", insertion order, \\uXXXX).\n');
console.log('size    bytes     ours        guide       floor       ours/guide  ours/floor  guide accepts?');

const results = {};
for (const [name, text] of Object.entries(bodies)) {
	if (name === '5 MB') continue;
	const body = Buffer.from(text, 'utf8');
	const signature = sign(body, SECRET);
	const guideAccepts = (() => {
		try {
			return guideVerifyWebhook(body, signature, SECRET);
		} catch {
			return false;
		}
	})();
	if (!verifySignature(body, signature, SECRET)) throw new Error(`ours refused the ${name} body`);
	const contenders = {
		ours: () => verifySignature(body, signature, SECRET),
		guide: () => {
			try {
				guideVerifyWebhook(body, signature, SECRET);
			} catch {
				// The sample throws on a length mismatch; the cost is what is measured.
			}
		},
		floor: () => floor(body, signature, SECRET),
	};
	// Enough calls per batch for ~20 ms, after a warm-up.
	const iterations = Math.max(3, Math.round(20_000 / Math.max(0.5, timePerCall(contenders.guide, 50))));
	for (const fn of Object.values(contenders)) timePerCall(fn, iterations);
	const samples = { ours: [], guide: [], floor: [] };
	const names = Object.keys(contenders);
	for (let round = 0; round < rounds; round++) {
		for (let k = 0; k < names.length; k++) {
			const which = names[(round + k) % names.length];
			samples[which].push(timePerCall(contenders[which], iterations));
		}
	}
	const ours = median(samples.ours);
	const guide = median(samples.guide);
	const floorTime = median(samples.floor);
	results[name] = { ours, guide, floor: floorTime };
	console.log(
		`${name.padEnd(7)} ${String(body.length).padEnd(9)} ${format(ours).padEnd(11)} ${format(guide).padEnd(11)} ${format(floorTime).padEnd(11)} ${(ours / guide).toFixed(2).padEnd(11)} ${(ours / floorTime).toFixed(2).padEnd(11)} ${guideAccepts ? 'yes' : 'NO (wrong canonical form)'}`,
	);
}

const big = Buffer.from(bodies['5 MB'], 'utf8');
const bigSignature = sign(big, SECRET);
const bigTimes = [];
for (let i = 0; i < 5; i++) {
	const started = process.hrtime.bigint();
	if (!verifySignature(big, bigSignature, SECRET)) throw new Error('ours refused the 5 MB body');
	bigTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
}
const bigMs = median(bigTimes);

// Hostile bodies from the shared vectors: refused, and how long refusing takes (the test suite only
// checks that they are refused; their cost is measured here).
const hostile = JSON.parse(readFileSync(join(here, '..', 'test', 'fixtures', 'signature-vectors', 'vectors.json'), 'utf8')).hostile;
const deepBody = '{"a":'.repeat(hostile.deep_nesting_depth) + '1' + '}'.repeat(hostile.deep_nesting_depth);
const hostileBodies = {
	[`nested ${hostile.deep_nesting_depth} deep`]: deepBody,
	[`${hostile.long_string_chars}-char string`]: '{"a":"' + 'x'.repeat(hostile.long_string_chars) + '"}',
	[`${hostile.long_string_chars} umlauts`]: Buffer.from('{"a":"' + 'ü'.repeat(hostile.long_string_chars) + '"}'),
	[`${hostile.deep_nesting_depth} open brackets`]: '['.repeat(hostile.deep_nesting_depth),
};
const hostileMs = {};
for (const [name, body] of Object.entries(hostileBodies)) {
	const started = process.hrtime.bigint();
	if (verifySignature(body, 'b'.repeat(64), SECRET)) throw new Error(`ours accepted the hostile body ${name}`);
	hostileMs[name] = Number(process.hrtime.bigint() - started) / 1e6;
}

console.log('\nTargets:');
const check = (ok, text) => console.log(`  ${ok ? 'met ' : 'MISS'}  ${text}`);
for (const [name, r] of Object.entries(results)) {
	check(r.ours <= r.guide, `${name}: at least as fast as the guide's sample (ours/guide ${(r.ours / r.guide).toFixed(2)}, target <= 1.00)`);
}
const small = results['200 B'];
check(small.ours <= 2 * small.floor, `200 B: within 2x of one HMAC over the raw body (ours/floor ${(small.ours / small.floor).toFixed(2)}, target <= 2.00)`);
check(bigMs < 1000, `5 MB (${big.length} bytes): verified in ${bigMs.toFixed(0)} ms (target < 1000 ms)`);
for (const [name, ms] of Object.entries(hostileMs)) check(ms < 2000, `hostile body, ${name}: refused in ${ms.toFixed(1)} ms (target < 2000 ms)`);
