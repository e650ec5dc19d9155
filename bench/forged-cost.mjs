#!/usr/bin/env node
/**
 * Benchmark: what one request costs the trigger's own code, on n8n's event loop, by kind: a genuine
 * delivery (a few hundred bytes, verified and parsed), a forged one at the size limit (32 KB, wrongly
 * signed: canonicalized and hashed once, no diagnosis, which only runs for refusals that are logged),
 * one over the limit (refused on its length before anything is read), and, for comparison, what a
 * forged 1 MB and 15 MB body cost before the limit existed (canonicalized, hashed, diagnosed up to 1 MB).
 * n8n's own JSON parse of the body happens before the trigger runs and is bounded by
 * N8N_PAYLOAD_SIZE_MAX, not by the trigger (README, Security). Median of interleaved rounds.
 *
 *   npm run build && node bench/forged-cost.mjs [--rounds 9]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { arg } from './common.mjs';
import { ROOT } from './n8n-webhooks.mjs';

const require = createRequire(import.meta.url);
const { checkSignature, sign } = require(join(ROOT, 'dist', 'lib', 'signature', 'index.js'));
const { diagnoseMismatch } = require(join(ROOT, 'dist', 'lib', 'signature', 'diagnosis.js'));
const { DEFAULT_MAX_BODY_KB } = require(join(ROOT, 'dist', 'nodes', 'CatalystPayTrigger', 'webhook.js'));

const ROUNDS = arg('rounds', 9);
const SECRET = 'whsec_bench_0123456789abcdef';
const LIMIT = DEFAULT_MAX_BODY_KB * 1024;

const genuineBody = JSON.stringify({ session_token: 'ps_abc123def456ghi789jkl012mno345', status: 'COMPLETED', order_number: 'ORD-a1b2c3d4', amount: '29.99', currency: 'EUR', email: 'max@example.com', customer_name: 'Jürgen Müller' });
const filled = (bytes) => {
	const head = '{"session_token":"ps_abc123def456ghi789jkl012mno345","status":"COMPLETED","note":"';
	return Buffer.from(`${head}${'x'.repeat(bytes - head.length - 2)}"}`);
};
const forged = 'f'.repeat(64);
const genuineSignature = sign(genuineBody, SECRET);

const kinds = {
	'genuine delivery (verified, parsed)': { body: Buffer.from(genuineBody), run: (b) => checkSignature(b, genuineSignature, [SECRET]).valid && JSON.parse(b.toString('utf8')) },
	[`forged at the limit (${DEFAULT_MAX_BODY_KB} KB)`]: { body: filled(LIMIT), run: (b) => b.byteLength <= LIMIT && checkSignature(b, forged, [SECRET]) },
	'forged over the limit (15 MB, refused on its length)': { body: filled(15 * 1024 * 1024), run: (b) => b.byteLength <= LIMIT && checkSignature(b, forged, [SECRET]) },
	'before the limit: forged 1 MB, with the diagnosis': { body: filled(1024 * 1024), run: (b) => checkSignature(b, forged, [SECRET]).valid || diagnoseMismatch({ body: b, signature: forged, secrets: [SECRET], hasPreviousSecret: false }) },
	'before the limit: forged 15 MB': { body: filled(15 * 1024 * 1024), run: (b) => checkSignature(b, forged, [SECRET]) },
};

function timeOne(kind) {
	// Enough calls for a measurable time, fewer for the large bodies.
	const calls = kind.body.byteLength > 1024 * 1024 ? 3 : kind.body.byteLength > 16 * 1024 ? 50 : 2000;
	const t0 = process.hrtime.bigint();
	for (let i = 0; i < calls; i++) kind.run(kind.body);
	return Number(process.hrtime.bigint() - t0) / 1e3 / calls;
}

const samples = Object.fromEntries(Object.keys(kinds).map((name) => [name, []]));
for (const kind of Object.values(kinds)) timeOne(kind);
for (let round = 0; round < ROUNDS; round++) for (const [name, kind] of Object.entries(kinds)) samples[name].push(timeOne(kind));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`The trigger's own work per request, on the event loop (median of ${ROUNDS} rounds, Node ${process.version}):`);
const genuine = median(samples['genuine delivery (verified, parsed)']);
for (const name of Object.keys(kinds)) {
	const us = median(samples[name]);
	console.log(`  ${name.padEnd(54)} ${us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`}`.padEnd(72) + `  ${(us / genuine).toFixed(1)}x a genuine delivery`);
}
