#!/usr/bin/env node
/**
 * npm run bench: the benchmarks, one after another, each in a process of its own so
 * that one's memory and event loop do not colour the next's figures.
 *   1. verification       bench/verification.mjs     (verifySignature vs the integration guide's sample vs one HMAC)
 *   2. batch create       bench/batch-create.mjs     (a real n8n: the CatalystPay node against the HTTP Request node)
 *   3. webhook throughput bench/webhook-throughput.mjs (a real n8n with the packed package)
 *   4. queue mode         bench/queue-throughput.mjs   (n8n in queue mode, 1 and 2 webhook processes, nginx routing)
 *   5. answer modes       bench/answer-modes.mjs       (trigger 1.1 against 2: answering at once or when the workflow has finished)
 *   6. forged cost        bench/forged-cost.mjs        (the trigger's own event-loop time per request: genuine, forged at and over the size limit)
 * `npm run bench` builds the package (dist/) and the sandbox first; this compiles the TypeScript
 * benchmarks. Figures are printed, never asserted; the exit code is non-zero only when a benchmark
 * could not run or an item or delivery was lost.
 *
 *   node bench/run.mjs [verification|batch-create|webhook-throughput|expression-engine|queue-throughput|forged-cost|answer-modes ...]   (a subset, in this order)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const only = process.argv.slice(2);

const benches = [
	{ name: 'verification', title: '1. Verification', file: join(HERE, 'verification.mjs') },
	{ name: 'batch-create', title: '2. Batch create in real n8n: the CatalystPay node against the HTTP Request node', file: join(HERE, 'batch-create.mjs') },
	{ name: 'webhook-throughput', title: '3. Webhooks in real n8n: the trigger against what users build instead, and a forged flood', file: join(HERE, 'webhook-throughput.mjs') },
	{ name: 'expression-engine', title: "3b. The trigger under n8n's expression engine settings", file: join(HERE, 'expression-engine.mjs') },
	{ name: 'queue-throughput', title: '4. Webhook throughput in n8n queue mode', file: join(HERE, 'queue-throughput.mjs') },
	{ name: 'forged-cost', title: "6. A forged request's cost to the trigger, against a genuine delivery's", file: join(HERE, 'forged-cost.mjs') },
	{ name: 'answer-modes', title: "5. Answering CatalystPay at the end of the workflow (safe) against at once, one process and queue mode", file: join(HERE, 'answer-modes.mjs') },
].filter((bench) => only.length === 0 || only.includes(bench.name));

const run = (command, args) => spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });

console.log(`Benchmarks on ${process.platform}-${process.arch}, Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs. ` +
	'One run on a shared machine: expect a few percent of noise between runs.');
const summary = [];
for (const bench of benches) {
	console.log(`\n=== ${bench.title} (${relative(ROOT, bench.file)}) ===`);
	if (!existsSync(bench.file)) {
		console.log(`  not run: ${relative(ROOT, bench.file)} does not exist`);
		summary.push([bench.title, 'missing']);
		continue;
	}
	const t0 = Date.now();
	const result = run(process.execPath, [bench.file]);
	const seconds = ((Date.now() - t0) / 1000).toFixed(0);
	summary.push([bench.title, result.status === 0 ? `done in ${seconds} s` : `FAILED (exit ${result.status ?? result.signal}) after ${seconds} s`]);
}
console.log('\n=== Summary ===');
for (const [title, outcome] of summary) console.log(`  ${title}: ${outcome}`);
if (summary.some(([, outcome]) => outcome !== 'missing' && !outcome.startsWith('done'))) process.exitCode = 1;
