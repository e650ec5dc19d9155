#!/usr/bin/env node
/**
 * Benchmark: what answering CatalystPay at the end of the workflow costs, against answering at once.
 * In real n8n 2.41.1 with this package from its packed tarball, one process on SQLite, then queue
 * mode (PostgreSQL, Redis, nginx, main, 2 webhook processes, 1 worker), the same run:
 *
 *   v1    trigger version 1.1: answers before the workflow runs; remembers in static data (today's workflows)
 *   v2    trigger version 2, Answer CatalystPay: When the Workflow Has Finished (the default; records
 *         each succeeded delivery in n8n's database before answering)
 *   v2i   trigger version 2, Answer CatalystPay: Immediately
 *
 * each -> No Operation, Confirm Session Status off, distinct signed deliveries, a fixed number in
 * flight, in rounds that rotate the order. Per endpoint: deliveries/s to the last saved execution (what
 * n8n sustains), and p50/p95/p99 of the HTTP answer (what CatalystPay waits). Lost: a non-2xx answer or
 * a delivery without its saved execution. Then, per mode, a repeat of each delivery: what it costs
 * and what it answers. Figures are printed, never asserted; the ratios are from one run.
 *
 *   node bench/answer-modes.mjs [--per-round 100] [--rounds 3] [--in-flight 8] [--warmup 20] [--only single,queue]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { Agent } from 'undici';

import { arg } from './common.mjs';
import { addWorkflow, ASCII_NAMES, canonicalDumps, catalystPayTrigger, countExecutions, delivery, n8nErrorLines, payload, ROOT, runRounds, sendAll, startBenchStack } from './n8n-webhooks.mjs';

const require = createRequire(import.meta.url);
const { startQueueStack } = require(join(ROOT, 'scripts', 'n8n-queue-stack.cjs'));

const PER_ROUND = arg('per-round', 100);
const ROUNDS = arg('rounds', 3);
const IN_FLIGHT = arg('in-flight', 8);
const WARMUP = arg('warmup', 20);
const onlyAt = process.argv.indexOf('--only');
const SETUPS = onlyAt >= 0 ? process.argv[onlyAt + 1].split(',') : ['single', 'queue'];

const MODES = {
	v1: { label: 'version 1.1: answers at once', workflow: () => catalystPayTrigger('Bench: trigger 1.1', false, 1.1) },
	v2: { label: 'version 2: answers when finished', workflow: () => catalystPayTrigger('Bench: trigger 2, when finished', false, 2, {}, { respond: 'whenFinished' }) },
	v2i: { label: 'version 2: answers at once', workflow: () => catalystPayTrigger('Bench: trigger 2, immediately', false, 2, {}, { respond: 'immediately' }) },
};

async function measure(stack, setup) {
	const secret = stack.sandboxConfig.signingSecret;
	const agent = new Agent({ connections: IN_FLIGHT, pipelining: 1, keepAliveTimeout: 4000, keepAliveMaxTimeout: 4000 });
	const endpoints = {};
	for (const [key, mode] of Object.entries(MODES)) endpoints[key] = await addWorkflow(stack, mode.workflow());
	const sent = new Map(Object.keys(MODES).map((key) => [key, []]));
	const make = (key, count, offset) => {
		const made = Array.from({ length: count }, (_, k) => delivery(canonicalDumps(payload(offset + k, { names: ASCII_NAMES })), secret));
		sent.get(key).push(...made);
		return made;
	};
	const tallies = await runRounds(stack, agent, endpoints, make, { rounds: ROUNDS, perRound: PER_ROUND, warmup: WARMUP, inFlight: IN_FLIGHT });

	console.log(`\n  ${setup}: ${ROUNDS} rounds x ${PER_ROUND} deliveries per mode (after ${WARMUP} unmeasured), ${IN_FLIGHT} in flight`);
	console.log('  mode                               deliveries/s   answer p50      p95      p99   lost');
	for (const key of Object.keys(MODES)) {
		const t = tallies[key];
		const executions = await countExecutions(stack, endpoints[key].id);
		const lost = t.sent - t.answered((s) => s >= 200 && s < 300) + Math.abs(WARMUP + t.sent - executions);
		console.log(
			`  ${key.padEnd(4)} ${MODES[key].label.padEnd(32)} ${t.rate.toFixed(1).padStart(8)}   ${t.p(50).toFixed(1).padStart(8)} ms ${t.p(95).toFixed(1).padStart(7)} ms ${t.p(99).toFixed(1).padStart(7)} ms   ${lost}`,
		);
	}
	const ratio = (a, b) => (tallies[a].rate / tallies[b].rate).toFixed(2);
	console.log(
		`  v2 (safe) / v1: ${ratio('v2', 'v1')}x the deliveries/s; answer p50 ${(tallies.v2.p(50) / tallies.v1.p(50)).toFixed(2)}x, p99 ${(tallies.v2.p(99) / tallies.v1.p(99)).toFixed(2)}x v1's`,
	);

	// A repeat of deliveries already handled: answered how, and at what cost.
	const repeats = {};
	for (const key of Object.keys(MODES)) {
		const again = sent.get(key).slice(0, PER_ROUND);
		const before = await countExecutions(stack, endpoints[key].id);
		const run = await sendAll(agent, endpoints[key].url, again, IN_FLIGHT);
		// An execution a repeat starts is saved after its answer: give n8n a moment to save any.
		await new Promise((resolve) => setTimeout(resolve, 3000));
		const started = (await countExecutions(stack, endpoints[key].id)) - before;
		const latencies = [...run.latencies].sort((a, b) => a - b);
		repeats[key] = { answers: Object.fromEntries(run.statuses), executionsStarted: started, p50: latencies[Math.floor(latencies.length / 2)].toFixed(1) };
	}
	console.log(`  repeats of ${PER_ROUND} handled deliveries per mode: ${JSON.stringify(repeats)}`);
	await agent.close();
	const errors = n8nErrorLines(stack);
	if (errors.length > 0) console.log(`  n8n logged ${errors.length} error line(s), e.g. ${errors[0].slice(0, 200)}`);
}

if (SETUPS.includes('single')) {
	const stack = await startBenchStack();
	try {
		console.log(`\n=== One n8n process (n8n ${stack.runtime.n8nVersion}, SQLite, n8n's default expression engine) ===`);
		await measure(stack, 'one process');
	} finally {
		await stack.stop();
	}
}

if (SETUPS.includes('queue')) {
	const stack = await startQueueStack({
		install: 'pack',
		webhookProcesses: 2,
		proxyBalance: 'signature',
		logLevel: 'warn',
		configureSandbox: (config) => {
			config.campaigns[0].webhook.url = null;
		},
		log: (line) => process.env.BENCH_VERBOSE && process.stderr.write(`  [stack] ${line}\n`),
	});
	try {
		console.log(`\n=== Queue mode (n8n ${stack.runtime.n8nVersion}: PostgreSQL, Redis, nginx, main, 2 webhook processes, 1 worker) ===`);
		await measure(stack, 'queue mode, through nginx');
	} finally {
		await stack.stop();
	}
}
